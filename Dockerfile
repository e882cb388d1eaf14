# The gateway's image: built in one stage (TypeScript, the console, better-sqlite3's native module),
# run in another with production dependencies only, as a non-root user, under tini so that SIGTERM
# reaches the gateway (which drains and stops cleanly: docs/operations.md) and zombies are reaped.
# The command is node itself, not `npm start`: npm would swallow the signal.
# syntax=docker/dockerfile:1.7

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles against this Node's headers.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 make g++ > /dev/null && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
COPY docs ./docs
COPY examples ./examples
# `npm ci` runs `prepare`, which builds dist/ (the server and the console).
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends tini > /dev/null && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    FAPIAO_DATA_DIR=/data \
    FAPIAO_PORT=8080
COPY --from=build --chown=root:root /app/package.json ./
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --from=build --chown=root:root /app/bin ./bin
COPY --from=build --chown=root:root /app/docs ./docs
COPY --from=build --chown=root:root /app/examples ./examples
# The data directory (signing key, sealing key, and the SQLite file when there is no DATABASE_URL)
# belongs to the unprivileged `node` user (uid 1000) of the base image; the code does not.
RUN mkdir -p /data && chown node:node /data && chmod 700 /data
USER node
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["/usr/bin/tini", "--"]
# A young generation of 4 MB a half-space (V8 gives up to 16): the gateway held ~25 MB less draining
# 100,000 waiting invoices, for no CPU that runs apart from the noise (bench/RESULTS.md, "How cost grows").
CMD ["node", "--max-semi-space-size=4", "bin/fapiao", "serve", "--host", "0.0.0.0", "--db", "/data/fapiao.db"]

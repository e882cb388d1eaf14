/**
 * When a TLS connection to an upstream fails on its certificate (expired, not yet valid,
 * untrusted), the connection never hands the certificate over, so its expiry would go unreported
 * exactly when it matters. This reads it with a second handshake that accepts any certificate
 * and sends nothing, at most once a minute per upstream.
 */
import { connect } from 'node:tls';

const CERTIFICATE_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|DEPTH_ZERO|HOSTNAME|ALTNAME/;
const READ_EVERY_MS = 60_000;
const lastRead = new Map<string, number>();

export function isCertificateError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CERTIFICATE_ERROR.test(code);
}

/** The expiry (epoch ms) of the certificate that `host:port` presents, or undefined. */
export function readCertificateExpiry(options: { host: string; port: number; servername?: string; timeoutMs: number }): Promise<number | undefined> {
  const key = `${options.host}:${options.port}`;
  const now = Date.now();
  if ((lastRead.get(key) ?? 0) > now - READ_EVERY_MS) return Promise.resolve(undefined);
  lastRead.set(key, now);
  return new Promise((resolve) => {
    const socket = connect({
      host: options.host,
      port: options.port,
      // Only looking: nothing is sent over this connection, and it is closed at once.
      rejectUnauthorized: false,
      ...(options.servername !== undefined && /[a-z]/i.test(options.servername) && { servername: options.servername }),
      timeout: options.timeoutMs,
    });
    const done = (value: number | undefined) => {
      socket.destroy();
      resolve(value);
    };
    socket.once('secureConnect', () => {
      const validTo = socket.getPeerCertificate()?.valid_to;
      done(validTo ? Date.parse(validTo) : undefined);
    });
    socket.once('error', () => done(undefined));
    socket.once('timeout', () => done(undefined));
  });
}

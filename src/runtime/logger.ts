/** The process's logger: pino JSON lines on stdout; secrets are redacted wherever they appear. */
import { pino, type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'fapiao-gateway' },
    redact: { paths: ['req.headers.authorization', '*.authorization', 'key', 'apiKey', '*.bankAccount'], censor: '[redacted]' },
  });
}

/**
 * The server's pino logger: JSON lines, with every place a secret could sit
 * redacted (Authorization headers, credentials in bodies or objects).
 * Fastify's request serializer logs method, URL and remote address only;
 * bodies are never logged.
 */
import pino, { type DestinationStream, type Logger } from 'pino';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'password',
  'token',
  '*.password',
  '*.token',
  '*.credentials.password',
  '*.credentials.token',
  'spec.credentials.password',
  'spec.credentials.token',
  '*.spec.credentials.password',
  '*.spec.credentials.token',
];

export function createLogger(options: { level?: string | undefined; destination?: DestinationStream | undefined } = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.TUG_LOG_LEVEL ?? 'info',
      base: { service: 'tug-serve' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    },
    options.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

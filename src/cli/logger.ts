import pino, { type DestinationStream, type Logger } from 'pino';

/** Key names that hold secrets in any object we log; values are replaced before a line is written. */
const redactPaths = ['secret', 'password', 'apiKey', 'token', 'authorization', '*.secret', '*.password', '*.apiKey', '*.token', '*.authorization', 'headers.authorization'];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: redactPaths, censor: '[REDACTED]' } };
  return destination === undefined ? pino(options) : pino(options, destination);
}

import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../../src/cli/logger.js';

/** A real pino logger whose lines are kept, so tests can check what reached the log. */
export function capturedLogger(level = 'debug'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter((l) => l !== ''));
      done();
    },
  });
  return { logger: createLogger(level, stream), lines };
}

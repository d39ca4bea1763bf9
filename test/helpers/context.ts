import type { ConnectorContext } from '../../src/core/connector.js';
import type { ExchangeEntry } from '../../src/core/exchange.js';
import { SecretScrubber } from '../../src/core/redact.js';
import { capturedLogger } from './logger.js';

/**
 * What the app hands a connector, for tests that build one connector alone: exchanges and log lines are
 * kept for assertions, state lives in memory, and no other connection exists.
 */
export function connectorContext(name: string): { context: ConnectorContext; exchanges: ExchangeEntry[]; scrubber: SecretScrubber; lines: string[] } {
  const exchanges: ExchangeEntry[] = [];
  const scrubber = new SecretScrubber();
  const { logger, lines } = capturedLogger();
  const state = new Map<string, string>();
  const context: ConnectorContext = {
    name,
    exchanges: (entry) => {
      exchanges.push(entry);
    },
    scrubber,
    logger,
    connection: (other) => {
      throw new Error(`no connection ${other} in this test`);
    },
    exclusive: (_key, fn) => fn(new AbortController().signal),
    state: {
      get: (key) => Promise.resolve(state.get(key) ?? null),
      set: (key, value) => {
        state.set(key, value);
        return Promise.resolve();
      },
    },
  };
  return { context, exchanges, scrubber, lines };
}

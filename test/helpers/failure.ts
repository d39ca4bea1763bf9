import { isIntegrationError, type IntegrationError } from '../../src/core/errors.js';

/** The typed error a call failed with; anything else (or success) fails the test. */
export async function failure(promise: Promise<unknown>): Promise<IntegrationError> {
  try {
    await promise;
  } catch (err) {
    if (isIntegrationError(err)) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

import { isIntegrationError, type IntegrationError } from '../../src/core/errors.js';
import { XmlRpcFault } from '../../src/xmlrpc/client.js';

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

/** The XML-RPC fault a call failed with; anything else (or success) fails the test. */
export async function faultOf(promise: Promise<unknown>): Promise<XmlRpcFault> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof XmlRpcFault) return err;
    throw err;
  }
  throw new Error('expected an XML-RPC fault');
}

/** The last line of a fault string: the exception Odoo's traceback ends with. */
export const lastLine = (s: string): string => s.trimEnd().split('\n').pop()!;

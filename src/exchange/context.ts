import { AsyncLocalStorage } from 'node:async_hooks';

/** What the current external call is for; set by the job engine and the poll around their work. */
export interface CallContext {
  route: string | null;
  sourceId: string | null;
  jobId: number | null;
}

const storage = new AsyncLocalStorage<CallContext>();

export function withCallContext<T>(context: CallContext, fn: () => Promise<T>): Promise<T> {
  return storage.run(context, fn);
}

export function currentCallContext(): CallContext {
  return storage.getStore() ?? { route: null, sourceId: null, jobId: null };
}

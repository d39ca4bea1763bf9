/**
 * What went wrong when `fetch` threw, for every HTTP client here: our timeout, the caller's
 * cancellation, or the connection (with the socket's error code, which fetch buries in its cause chain).
 */
export interface FetchFailure {
  kind: 'timeout' | 'aborted' | 'connection';
  /** The most specific error code and message down the cause chain (fetch itself only says "fetch failed"). */
  code: string | undefined;
  message: string;
  /**
   * The server closed a socket under us — typically a kept-alive one idle past its keep-alive timeout.
   * An idempotent request may be sent once more at once.
   */
  reset: boolean;
}

const resetCodes = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const resetMessages = ['socket hang up', 'other side closed'];

export function describeFetchFailure(err: unknown, timeout: AbortSignal, caller: AbortSignal | undefined): FetchFailure {
  let current: unknown = err;
  let code: string | undefined;
  let message = err instanceof Error ? err.message : String(err);
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const candidate = (current as { code?: unknown }).code;
    if (typeof candidate === 'string') code = candidate;
    if (current.message !== '' && current.message !== 'fetch failed') message = current.message;
    current = current.cause;
  }
  const kind = caller?.aborted === true ? 'aborted' : timeout.aborted ? 'timeout' : 'connection';
  const reset = kind === 'connection' && ((code !== undefined && resetCodes.has(code)) || resetMessages.some((m) => message.includes(m)));
  return { kind, code, message, reset };
}

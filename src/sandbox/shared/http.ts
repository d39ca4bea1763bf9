/**
 * The HTTP plumbing the fakes share: one request's body, an answer worked out before it is written (so that
 * a fault can hold it back or replace it), the delays a fake waits out, and the server's life on
 * 127.0.0.1.
 */
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An answer as a fake works it out, before it is written. */
/** What every stand-in records of a request it received; each adds what its protocol needs. */
export interface RecordedRequestBase {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** null while unanswered, when a fault dropped the answer, and when the client left before it. */
  status: number | null;
}

export interface Answer {
  status: number;
  body: string;
  headers: Record<string, string>;
}

/** Never rejects: when a client leaves mid-body the promise stays pending, and the fake neither records nor answers it. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

/** What a request record keeps of a body: parsed JSON, the text when it is not JSON, undefined when empty. */
export function jsonOrText(raw: Buffer, text = raw.toString('utf8')): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Writes the answer unless the client is gone (it left, or a fault dropped the connection); the record's
 * status says what the client was sent.
 */
export function send(res: ServerResponse, record: { status: number | null }, answer: Answer): void {
  if (res.destroyed || res.writableEnded) return;
  record.status = answer.status;
  res.writeHead(answer.status, { ...answer.headers, 'Content-Length': Buffer.byteLength(answer.body) });
  res.end(answer.body);
}

/** The error page of a web server or proxy in front of the application (nginx unless `server` says). */
export function errorPageText(status: number, reason: string, server = 'nginx'): string {
  const title = `${status} ${reason}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>${server}</center>\r\n</body>\r\n</html>\r\n`;
}

export function errorPage(status: number, reason: string, server = 'nginx'): Answer {
  return { status, body: errorPageText(status, reason, server), headers: { 'Content-Type': 'text/html', Server: server } };
}

/** nginx's own wording, which differs from the RFC's for 503 and 504. */
export function nginxReason(status: 429 | 502 | 503 | 504): string {
  switch (status) {
    case 429:
      return 'Too Many Requests';
    case 502:
      return 'Bad Gateway';
    case 503:
      return 'Service Temporarily Unavailable';
    case 504:
      return 'Gateway Time-out';
  }
}

/** Delayed work, kept so that closing the fake cancels it instead of answering on closed sockets. */
export class Delays {
  private readonly pending = new Set<NodeJS.Timeout>();

  after(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      run();
    }, ms);
    this.pending.add(timer);
  }

  cancelAll(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }
}

/** Listens on 127.0.0.1 (port 0: any free one); the server's origin, e.g. "http://127.0.0.1:40123". */
export async function listen(server: Server, port = 0): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Also drops kept-alive and unanswered connections, which would otherwise hold the close open. */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((err) => (err === undefined ? resolve() : reject(err)));
    server.closeAllConnections();
  });
}

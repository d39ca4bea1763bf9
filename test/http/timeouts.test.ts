import { connect } from 'node:net';
import t from 'tap';
import type { Test } from 'tap';
import { ADMIN_TOKEN } from '../helpers/admin.js';
import { capturedLogger } from '../helpers/logger.js';
import { HOOK_TOKEN, ROUTE, startStack, type Stack } from '../../src/sandbox/stack.js';
import { listJobs } from '../../src/store/jobs.js';

/** What a raw connection received before the service closed it. */
function rawExchange(stack: Stack, text: string): Promise<string> {
  const { hostname, port } = new URL(stack.baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(text));
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
  });
}

/** A request head with a body announced and never finished. */
function unfinishedPost(path: string, headers: string[] = []): string {
  return [`POST ${path} HTTP/1.1`, 'Host: order-bridge', 'Content-Type: application/json', 'Content-Length: 5000', ...headers, '', '{"_id": 1, "_mod'].join('\r\n');
}

async function stackFor(t: Test): Promise<Stack> {
  const stack = await startStack({
    logger: capturedLogger('silent').logger,
    adminToken: ADMIN_TOKEN,
    http: { headersTimeout: '1s', requestTimeout: '2s', idleTimeout: '1s' },
  });
  t.teardown(() => stack.close());
  return stack;
}

t.test('300 webhook bodies that never finish, without the token: each refused before its body, and its connection closed', async (t) => {
  const stack = await stackFor(t);
  const answers = await Promise.all(Array.from({ length: 300 }, (_, i) => rawExchange(stack, unfinishedPost(`/hooks/odoo/${i % 2 === 0 ? ROUTE : 'no-such-route'}?token=wrong-${i}`))));
  t.equal(answers.filter((a) => a.startsWith('HTTP/1.1 404 ')).length, 300, 'all 300 answered 404 without their body (a wait for it would end in 408)');
  t.equal(answers.filter((a) => /\r\nconnection: close\r\n/i.test(a)).length, 300, 'and told the connection is closed');
  t.equal((await listJobs(stack.app.db)).length, 0);
});

t.test('an admin request whose body never finishes, without the token: refused at once and closed', async (t) => {
  const stack = await stackFor(t);
  const answer = await rawExchange(stack, unfinishedPost('/admin/jobs/1/retry'));
  t.match(answer, /^HTTP\/1\.1 401 /);
  const withToken = await rawExchange(stack, unfinishedPost('/admin/jobs/1/retry', [`Authorization: Bearer ${ADMIN_TOKEN}`]));
  t.match(withToken, /^HTTP\/1\.1 408 /, 'with the token, the body is waited for until requestTimeout, no longer');
});

t.test('a webhook with the token whose body never finishes is cut off at requestTimeout', async (t) => {
  const stack = await stackFor(t);
  const answer = await rawExchange(stack, unfinishedPost(`/hooks/odoo/${ROUTE}?token=${HOOK_TOKEN}`));
  t.match(answer, /^HTTP\/1\.1 408 /);
  t.equal((await listJobs(stack.app.db)).length, 0, 'nothing was stored');
});

t.test('a connection that sends nothing, or half its headers, is closed at headersTimeout', async (t) => {
  const stack = await stackFor(t);
  const [silent, halfHeaders] = await Promise.all([rawExchange(stack, ''), rawExchange(stack, 'POST /hooks/odoo/x HTTP/1.1\r\nHost: a\r\n')]);
  t.match(silent, /^(HTTP\/1\.1 408 |$)/, 'closed (408 or nothing at all)');
  t.match(halfHeaders, /^HTTP\/1\.1 408 /);
});

t.test('a kept-alive connection with no further request is closed at idleTimeout', async (t) => {
  const stack = await stackFor(t);
  const answer = await rawExchange(stack, 'GET /health HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n');
  t.match(answer, /^HTTP\/1\.1 200 /, 'answered, then closed by the service without a second request');
});

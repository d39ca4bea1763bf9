import t from 'tap';
import { classify, isRetryableHttpStatus, parseRetryAfter, permanent, retryable } from '../../src/core/errors.js';

t.test('Retry-After is read as seconds or as an HTTP date', async (t) => {
  t.equal(parseRetryAfter('3'), 3000);
  t.equal(parseRetryAfter('0.5'), 500);
  const now = Date.parse('2026-11-24T10:00:00Z');
  t.equal(parseRetryAfter('Tue, 24 Nov 2026 10:00:07 GMT', now), 7000);
  t.equal(parseRetryAfter('soon'), undefined);
  t.equal(parseRetryAfter(null), undefined);
});

t.test('statuses that mean try again later', async (t) => {
  t.ok(isRetryableHttpStatus(429));
  t.ok(isRetryableHttpStatus(503));
  t.notOk(isRetryableHttpStatus(422));
  t.notOk(isRetryableHttpStatus(401));
});

t.test('unknown failures are retryable, typed ones keep their kind', async (t) => {
  t.equal(classify(new Error('boom')).kind, 'retryable');
  t.equal(classify(permanent('X', 'bad')).kind, 'permanent');
  t.equal(classify(retryable('Y', 'later', { retryAfterMs: 5 })).retryAfterMs, 5);
});

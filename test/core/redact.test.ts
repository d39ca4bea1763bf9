import t from 'tap';
import { SecretScrubber } from '../../src/core/redact.js';
import { checkExternalUrl } from '../../src/core/url.js';

t.test('known secrets and secret-named fields are scrubbed', async (t) => {
  const scrubber = new SecretScrubber();
  scrubber.add('sk_live_abc123');
  scrubber.add('abc');
  t.equal(scrubber.scrub('<string>sk_live_abc123</string>'), '<string>[REDACTED]</string>');
  t.equal(scrubber.scrub('key=sk_live_abc123&x=1'), 'key=[REDACTED]&x=1');
  t.equal(scrubber.scrub('abc stays: too short to be a secret'), 'abc stays: too short to be a secret');
  t.equal(scrubber.scrub('{"api_key":"zzz","name":"x"}'), '{"api_key":"[REDACTED]","name":"x"}');
  t.equal(scrubber.scrub('/hooks/odoo/r?token=anything&a=b'), '/hooks/odoo/r?token=[REDACTED]&a=b');
  t.equal(scrubber.scrub('Authorization: Bearer eyJhbGciOi.x-y'), 'Authorization: Bearer [REDACTED]');
});

t.test('external URLs must be HTTPS unless they are this machine', async (t) => {
  t.equal(checkExternalUrl('https://719.eu6.ysell.pro'), null);
  t.equal(checkExternalUrl('http://127.0.0.1:8069'), null);
  t.equal(checkExternalUrl('http://localhost:8069'), null);
  t.match(checkExternalUrl('http://erp.example.com'), /must use https/);
  t.match(checkExternalUrl('ftp://127.0.0.1'), /must use https/);
  t.match(checkExternalUrl('not a url'), /not a valid URL/);
});

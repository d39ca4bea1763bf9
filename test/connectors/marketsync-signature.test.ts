import t from 'tap';
import {
  canonicalQuery,
  mexicoCityTimestamp,
  parseMexicoCityTime,
  rawUrlEncode,
  signCanonical,
  signedQuery,
} from '../../src/connectors/marketsync/signature.js';

/*
 * Expected signatures were computed outside this code, key "my-private-key": the seed's example with the
 * documented Python code (links/keys.md), where both encodings agree; the others with `openssl dgst -sha256
 * -hmac` over the string PHP's rawurlencode builds (the documentation's PHP 7 example).
 */
const key = 'my-private-key';
const docToken = 'r559f7ab1cr3f97c7cc64b7fa43r54af';

t.test("the seed document's example URL is reproduced byte for byte", async (t) => {
  const params = {
    after: '2019-11-15T00:00',
    before: '2019-11-16T00:00',
    limit: '2',
    offset: '5',
    timestamp: '2019-12-12T10:52:31.231000',
    token: docToken,
    version: '1.0',
  };
  const canonical = canonicalQuery(params);
  t.equal(
    canonical,
    'after=2019-11-15T00%3A00&before=2019-11-16T00%3A00&limit=2&offset=5&timestamp=2019-12-12T10%3A52%3A31.231000&token=r559f7ab1cr3f97c7cc64b7fa43r54af&version=1.0',
  );
  t.equal(signCanonical(canonical, key), 'ba50bd686a636c24f9f0517a7c3966134f036dfb050458c7c16c7501d68709d8');
  t.equal(canonicalQuery({ ...params, signature: 'anything' }), canonical, 'the signature is not part of what is signed');
});

t.test("PHP's rawurlencode (RFC 3986), as the documentation's PHP example signs: a space is %20", async (t) => {
  t.equal(rawUrlEncode('a b'), 'a%20b', 'a space is %20 (the Python example wrote "+")');
  t.equal(rawUrlEncode("!'()*"), '%21%27%28%29%2A', 'encodeURIComponent would keep these');
  t.equal(rawUrlEncode('a+b%c&d=e'), 'a%2Bb%25c%26d%3De');
  t.equal(rawUrlEncode('2019-12-12T10:52:31'), '2019-12-12T10%3A52%3A31');
  t.equal(rawUrlEncode('1080,1085/x'), '1080%2C1085%2Fx');
  t.equal(rawUrlEncode('A-z_0.9~'), 'A-z_0.9~', 'RFC 3986 keeps "~"');
  t.equal(rawUrlEncode('José €'), 'Jos%C3%A9%20%E2%82%AC', 'UTF-8 bytes');

  const spaced = canonicalQuery({ token: 'tok', timestamp: '2024-01-02T03:04:05', version: '1.0', name: 'a b~c*d/e:f', orders: '1080,1085' });
  t.equal(spaced, 'name=a%20b~c%2Ad%2Fe%3Af&orders=1080%2C1085&timestamp=2024-01-02T03%3A04%3A05&token=tok&version=1.0');
  t.equal(signCanonical(spaced, key), 'b655ab73d5ef66d5cd250a3936e651812233fdddaea60260cbea8474e0973a2d');

  const utf8 = canonicalQuery({ token: 'tok', timestamp: '2024-01-02T03:04:05', version: '1.0', name: 'José Ñandú €' });
  t.equal(utf8, 'name=Jos%C3%A9%20%C3%91and%C3%BA%20%E2%82%AC&timestamp=2024-01-02T03%3A04%3A05&token=tok&version=1.0');
  t.equal(signCanonical(utf8, key), 'a623c1f90e60dd6a736248ba33cb1581f72f19fd61363ae89a934c7940644f70');
});

t.test('a signed query: sorted, token, Mexico City timestamp, version, signature last', async (t) => {
  const at = Date.parse('2026-03-02T16:00:05.900Z');
  const query = signedQuery({ offset: '0', limit: '100', token: 'forged', version: '9' }, { token: 'tok-1234', privateKey: key }, at);
  const [signed, signature] = query.split('&signature=');
  t.equal(signed, 'limit=100&offset=0&timestamp=2026-03-02T10%3A00%3A05&token=tok-1234&version=1.0', 'our token and version win');
  t.match(signature, /^[0-9a-f]{64}$/);
  t.equal(signature, signCanonical(signed ?? '', key));
  t.notMatch(query, key, 'the private key is never sent');
});

t.test('Mexico City wall-clock time, both ways', async (t) => {
  t.equal(mexicoCityTimestamp(Date.parse('2026-03-02T16:00:00Z')), '2026-03-02T10:00:00');
  t.equal(mexicoCityTimestamp(new Date('2021-06-24T16:46:26Z')), '2021-06-24T11:46:26', 'daylight saving time until October 2022');
  t.equal(mexicoCityTimestamp(Date.parse('2027-01-01T05:59:59Z')), '2026-12-31T23:59:59');

  t.equal(parseMexicoCityTime('2021-06-24 11:46:26')?.toISOString(), '2021-06-24T16:46:26.000Z');
  t.equal(parseMexicoCityTime('2019-12-12 10:52:31')?.toISOString(), '2019-12-12T16:52:31.000Z');
  t.equal(parseMexicoCityTime('2022-05-09T22:07:47')?.toISOString(), '2022-05-10T03:07:47.000Z');
  t.equal(parseMexicoCityTime('2019-11-15T00:00')?.toISOString(), '2019-11-15T06:00:00.000Z');
  t.equal(parseMexicoCityTime('2019-12-12T10:52:31.231000')?.toISOString(), '2019-12-12T16:52:31.000Z');
  for (const bad of ['0000-00-00 00:00:00', '2021-02-30 10:00:00', '2021-01-01 24:00:00', 'yesterday', '']) {
    t.equal(parseMexicoCityTime(bad), null, `"${bad}" is no date`);
  }
});

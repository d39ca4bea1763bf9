import t from 'tap';
import {
  canonicalQuery,
  mexicoCityTimestamp,
  parseMexicoCityTime,
  quotePlus,
  signCanonical,
  signedQuery,
} from '../../src/connectors/marketsync/signature.js';

/*
 * Expected signatures were computed with the documented Python code (links/keys.md), key "my-private-key":
 * Python 2.7 `HMAC(key, urllib.urlencode(sorted(params.items())), hashlib.sha256).hexdigest()`, and the same
 * with Python 3.11's `urllib.parse.urlencode` where the two differ.
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

t.test("Python's quote_plus, not encodeURIComponent nor rawurlencode", async (t) => {
  t.equal(quotePlus('a b'), 'a+b', 'a space is a plus (PHP rawurlencode would write %20)');
  t.equal(quotePlus("!'()*"), '%21%27%28%29%2A', 'encodeURIComponent would keep these');
  t.equal(quotePlus('a+b%c&d=e'), 'a%2Bb%25c%26d%3De');
  t.equal(quotePlus('2019-12-12T10:52:31'), '2019-12-12T10%3A52%3A31');
  t.equal(quotePlus('1080,1085/x'), '1080%2C1085%2Fx');
  t.equal(quotePlus('A-z_0.9~'), 'A-z_0.9~', 'Python 3 keeps "~" (Python 2 wrote %7E)');
  t.equal(quotePlus('José €'), 'Jos%C3%A9+%E2%82%AC', 'UTF-8 bytes');

  const py3 = canonicalQuery({ token: 'tok', timestamp: '2024-01-02T03:04:05', version: '1.0', name: 'a b~c*d/e:f', orders: '1080,1085' });
  t.equal(py3, 'name=a+b~c%2Ad%2Fe%3Af&orders=1080%2C1085&timestamp=2024-01-02T03%3A04%3A05&token=tok&version=1.0');
  t.equal(signCanonical(py3, key), 'dedf1ceb33c85b642467886cb1de23394bed55ac5e547ce01603cc3f12ce93f5');

  const utf8 = canonicalQuery({ token: 'tok', timestamp: '2024-01-02T03:04:05', version: '1.0', name: 'José Ñandú €' });
  t.equal(utf8, 'name=Jos%C3%A9+%C3%91and%C3%BA+%E2%82%AC&timestamp=2024-01-02T03%3A04%3A05&token=tok&version=1.0');
  t.equal(signCanonical(utf8, key), 'b02e3ee05e9592e94a62247439d5ac68d234b93969b6652427d2f92d73e951be');
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

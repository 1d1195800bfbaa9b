import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { dnsNameMatches, matchHostName } from '../../src/rules/name-match.ts';

// RFC 6125 §6.4.3 and RFC 7817 §3, as applied by mail clients.
const TABLE: Array<[host: string, presented: string, expected: boolean]> = [
  ['mx.example.com', 'mx.example.com', true],
  ['MX.Example.COM', 'mx.example.com', true],
  ['mx.example.com.', 'mx.example.com', true],
  ['mx.example.com', 'MX.EXAMPLE.COM.', true],
  ['mx.example.com', '*.example.com', true],
  ['a.mx.example.com', '*.example.com', false], // one label only
  ['example.com', '*.example.com', false], // not the bare domain
  ['mx.example.com', '*.com', false], // not a public-suffix-like wildcard
  ['mx.example.com', 'm*.example.com', false], // partial-label wildcards are not honoured
  ['mx.example.com', 'mx.*.com', false], // only the left-most label
  ['mx.example.com', '*.*.com', false],
  ['mx.example.com', 'mx.example.org', false],
  ['mx.example.com', 'xmx.example.com', false],
  ['mx.example.com', '', false],
  ['xn--bcher-kva.example', 'xn--bcher-kva.example', true],
];

for (const [host, presented, expected] of TABLE) {
  test(`${JSON.stringify(host)} vs ${JSON.stringify(presented)} → ${expected}`, () => {
    assert.equal(dnsNameMatches(host, presented), expected);
  });
}

test('DNS SANs are used and the CN ignored when any DNS SAN exists', () => {
  assert.deepEqual(matchHostName('mx.example.com', ['DNS:other.example.com'], ['mx.example.com']), { match: false, matchedName: null });
  assert.deepEqual(matchHostName('mx.example.com', ['DNS:a.example.com', 'DNS:*.example.com'], []), {
    match: true,
    matchedName: 'DNS:*.example.com',
  });
});

test('the CN is used only when there is no DNS SAN', () => {
  assert.deepEqual(matchHostName('mx.example.com', [], ['mx.example.com']), { match: true, matchedName: 'CN=mx.example.com' });
  assert.deepEqual(matchHostName('mx.example.com', ['IP:192.0.2.1'], ['mx.example.com']), { match: true, matchedName: 'CN=mx.example.com' });
});

test('an IP host matches IP SANs only, IPv6 in any spelling', () => {
  assert.equal(matchHostName('192.0.2.1', ['DNS:192.0.2.1'], ['192.0.2.1']).match, false);
  assert.equal(matchHostName('192.0.2.1', ['IP:192.0.2.1'], []).match, true);
  assert.equal(matchHostName('2001:db8::1', ['IP:2001:DB8:0:0:0:0:0:1'], []).match, true);
  assert.equal(matchHostName('2001:db8::2', ['IP:2001:DB8:0:0:0:0:0:1'], []).match, false);
});

test('agrees with Node checkHost on the table (same RFC 6125 rules)', async () => {
  const { makeTestPki } = await import('../helpers/pki.ts');
  const pki = await makeTestPki();
  const wildcard = new X509Certificate(pki.certs.wildcard.leaf);
  for (const host of ['mx.test.example', 'a.b.test.example', 'test.example']) {
    const ours = matchHostName(host, ['DNS:*.test.example'], []).match;
    assert.equal(ours, wildcard.checkHost(host) !== undefined, host);
  }
});

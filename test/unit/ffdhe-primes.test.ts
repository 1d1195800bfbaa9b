// The DH prime in a ServerKeyExchange is told to be an RFC 7919 group by the prime itself
// (model/named-groups.ts FFDHE_PRIME_SHA256): checked against OpenSSL's own built-in groups
// (`openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdheN`), and against primes that
// are not RFC 7919's (RFC 3526 MODP, a random one), which must stay unnamed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createDiffieHellman, getDiffieHellman } from 'node:crypto';
import { keyExchangeGroup } from '../../src/tls/wire/server-key-exchange.ts';
import { FFDHE_PRIME_SHA256, NAMED_GROUPS } from '../../src/model/named-groups.ts';

/** The prime of `openssl genpkey -genparam` output (DHParameter ::= SEQUENCE { p INTEGER, g INTEGER, … }). */
function opensslPrime(group: string): Buffer {
  const pem = execFileSync('openssl', ['genpkey', '-genparam', '-algorithm', 'DH', '-pkeyopt', `group:${group}`], { encoding: 'utf8' });
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s/g, ''), 'base64');
  let i = 0;
  const length = (): number => {
    let l = der[i++] as number;
    if (l & 0x80) {
      let n = l & 0x7f;
      l = 0;
      while (n-- > 0) l = l * 256 + (der[i++] as number);
    }
    return l;
  };
  assert.equal(der[i++], 0x30);
  length();
  assert.equal(der[i++], 0x02);
  const l = length();
  return der.subarray(i, i + l);
}

/** An unsigned ServerKeyExchange body for DH (anonymous layout): p, g, Ys. */
function dhBody(p: Buffer): Buffer {
  const vec = (b: Buffer) => Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
  return Buffer.concat([vec(p), vec(Buffer.from([2])), vec(Buffer.alloc(p.length, 7))]);
}

test('every RFC 7919 group of the named-group table is recognised by its prime, as OpenSSL builds it (leading zero byte or not)', () => {
  const ffdhe = NAMED_GROUPS.filter((g) => g.kind === 'ffdhe');
  assert.equal(FFDHE_PRIME_SHA256.size, ffdhe.length);
  for (const group of ffdhe) {
    const p = opensslPrime(group.name); // DER INTEGER: a leading zero byte, the prime's top bit being set
    for (const prime of [p, p.subarray(1)]) {
      const kx = keyExchangeGroup(dhBody(prime), false);
      assert.deepEqual(kx, { type: 'DH', primeBits: group.bits, named: group.name }, group.name);
    }
  }
});

test('a prime that is not RFC 7919\'s is a prime of the server\'s own: named null, whatever its size', () => {
  for (const p of [getDiffieHellman('modp14').getPrime(), getDiffieHellman('modp16').getPrime(), createDiffieHellman(512).getPrime()]) {
    const kx = keyExchangeGroup(dhBody(p), false);
    assert.equal(kx?.type, 'DH');
    assert.equal(kx?.type === 'DH' ? kx.named : undefined, null);
  }
});

// The one TLS protocol table and the one cipher classification (model/tls-protocols.ts,
// model/cipher-classes.ts), tested as tables: every row, every spelling, every class; and that
// no second copy of either is left in the judges, the headers reader or the CSV.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TLS_PROTOCOLS, normaliseVersion, oldestProtocol, protocolRank, tlsProtocol } from '../../src/model/tls-protocols.ts';
import { CIPHER_CLASSES, MIN_CIPHER_BITS, cipherClasses, cipherWeaknesses } from '../../src/model/cipher-classes.ts';
import { judgeAddress } from '../../src/judge/judge-address.ts';
import { addressFacts, NOW } from '../helpers/facts.ts';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

test('protocols: oldest first, each name among its own spellings, no spelling in two rows', () => {
  assert.deepEqual(TLS_PROTOCOLS.map((p) => p.name), ['SSLv2', 'SSLv3', 'TLSv1/SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']);
  const seen = new Map<string, string>();
  TLS_PROTOCOLS.forEach((row, i) => {
    assert.ok((row.spellings as readonly string[]).includes(row.name), row.name);
    assert.equal(protocolRank(row.name), i, row.name);
    for (const spelling of row.spellings) {
      const key = spelling.toLowerCase();
      assert.ok(!seen.has(key), `${spelling} in ${row.name} and ${seen.get(key)}`);
      seen.set(key, row.name);
      for (const variant of [spelling, spelling.toUpperCase(), spelling.toLowerCase()]) assert.equal(normaliseVersion(variant), row.name, variant);
    }
  });
});

test('protocols: legacy per RFC 6176, 7568 and 8996; SSLv2 broken; TLS 1.2 and 1.3 current', () => {
  assert.deepEqual(TLS_PROTOCOLS.filter((p) => p.legacy).map((p) => p.name), ['SSLv2', 'SSLv3', 'TLSv1/SSLv3', 'TLSv1', 'TLSv1.1']);
  assert.deepEqual(TLS_PROTOCOLS.filter((p) => p.broken).map((p) => p.name), ['SSLv2']);
  for (const row of TLS_PROTOCOLS) assert.match(row.rfc, /^RFC \d+$/, row.name);
  assert.equal(tlsProtocol('TLS1_1')?.rfc, 'RFC 8996');
});

test('protocols: as Received fields write them; unknown and over-long texts are null and rank below all', () => {
  const cases: Array<[string, string | null]> = [
    ['TLSv1.3', 'TLSv1.3'], ['TLS1_3', 'TLSv1.3'], ['TLS1.3', 'TLSv1.3'], ['tls1.2', 'TLSv1.2'], ['TLS1_2', 'TLSv1.2'],
    ['TLSv1', 'TLSv1'], ['TLS1.0', 'TLSv1'], ['TLS1_0', 'TLSv1'], ['SSLv3', 'SSLv3'], ['SSL3_0', 'SSLv3'], ['TLSv1/SSLv3', 'TLSv1/SSLv3'],
    ['SSLv2', 'SSLv2'], ['TLSv9', null], ['x', null], ['', null], ['TLSv1.2'.repeat(10), null],
  ];
  for (const [text, name] of cases) assert.equal(normaliseVersion(text), name, text);
  assert.equal(protocolRank('unknown'), -1);
  assert.equal(oldestProtocol(['TLSv1.3', 'TLSv1.2', 'TLSv1.3']), 'TLSv1.2');
  assert.equal(oldestProtocol(['TLSv1.2', 'weird']), 'weird', 'an unknown protocol is the oldest: suspicious, and shown');
  assert.equal(oldestProtocol([]), null);
});

test('ciphers: every class by its OpenSSL, IANA and GnuTLS names', () => {
  const cases: Array<[string, string[]]> = [
    ['TLS_AES_256_GCM_SHA384', []],
    ['TLS_CHACHA20_POLY1305_SHA256', []],
    ['ECDHE-RSA-AES256-GCM-SHA384', []],
    ['ECDHE-ECDSA-CHACHA20-POLY1305', []],
    ['ECDHE_RSA_AES_128_GCM_SHA256', []],
    ['ECDHE-RSA-AES128-SHA', ['cbc']],
    ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256', ['cbc']],
    ['TLS_ECDHE_RSA_AES_128_CBC_SHA1', ['cbc']],
    ['CAMELLIA256-SHA', ['cbc']],
    ['NULL-SHA256', ['null']],
    ['TLS_RSA_WITH_NULL_SHA', ['null']],
    ['ECDHE-RSA-NULL-SHA', ['null']],
    ['EXP-RC4-MD5', ['export', 'rc4', 'md5']],
    ['EXP1024-DES-CBC-SHA', ['export', 'des', 'cbc']],
    ['TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5', ['export', 'rc2', 'md5', 'cbc']],
    ['RC4-SHA', ['rc4']],
    ['TLS_RSA_WITH_RC4_128_SHA', ['rc4']],
    ['TLS_RSA_ARCFOUR_128_SHA1', ['rc4']],
    ['DES-CBC3-SHA', ['3des', 'cbc']],
    ['EDH-RSA-DESCBC3-SHA', ['3des']],
    ['TLS_RSA_WITH_3DES_EDE_CBC_SHA', ['3des', 'cbc']],
    ['RSA_3DES_EDE_CBC_SHA1', ['3des', 'cbc']],
    ['DES-CBC-SHA', ['des', 'cbc']],
    ['TLS_RSA_WITH_DES_CBC_SHA', ['des', 'cbc']],
    ['ADH-AES128-SHA', ['anonymous', 'cbc']],
    ['AECDH-AES256-SHA', ['anonymous', 'cbc']],
    ['TLS_DH_anon_WITH_AES_128_GCM_SHA256', ['anonymous']],
    ['TLS_ECDH_anon_WITH_NULL_SHA', ['null', 'anonymous']],
  ];
  for (const [name, ids] of cases) assert.deepEqual(cipherClasses(name).map((c) => c.id), ids, name);
  // Every class is met by some case: the table has no row the cases leave untested.
  const met = new Set(cases.flatMap(([, ids]) => ids));
  for (const row of CIPHER_CLASSES) assert.ok(met.has(row.id), `no case for ${row.id}`);
});

test('ciphers: weaknesses are the broken classes in table order, and keys under 112 bits', () => {
  assert.deepEqual(cipherWeaknesses('EXP-RC4-MD5', 40), ['EXPORT', 'RC4', 'MD5', '40-bit key']);
  assert.deepEqual(cipherWeaknesses('ECDHE-RSA-AES128-SHA', 128), [], 'CBC is a notice, not a weakness');
  assert.deepEqual(cipherWeaknesses('ECDHE-RSA-AES128-SHA', MIN_CIPHER_BITS - 1), [`${MIN_CIPHER_BITS - 1}-bit key`]);
  assert.deepEqual(cipherWeaknesses('ECDHE-RSA-AES128-SHA', MIN_CIPHER_BITS), []);
  assert.deepEqual(cipherWeaknesses('TLS_DH_anon_WITH_AES_128_GCM_SHA256'), ['anonymous (no server authentication)']);
  assert.deepEqual(CIPHER_CLASSES.filter((c) => c.status === 'notice').map((c) => c.id), ['cbc']);
});

/** Every .ts file under src, with its text. */
function sources(dir = SRC): Array<{ file: string; text: string }> {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return e.name.endsWith('.ts') ? [{ file: path.relative(SRC, full), text: readFileSync(full, 'utf8') }] : [];
  });
}

test('one copy: no judge, reader, renderer, deep scan or hello builder keeps its own list of protocol versions or weak ciphers', () => {
  // They speak the protocol (minVersion, wire checks): no judgement. tls/wire/ is not among them:
  // They speak the protocol (minVersion, wire checks): no judgement. tls/wire/ is not among them:
  const gatherers = /^(?:dns|smtp|probe|cert|receive)\/|^tls\/(?!wire\/)/;
  const checked = sources().map((s) => s.file).filter((file) => !gatherers.test(file));
  for (const folder of ['deep/', 'tls/wire/']) assert.ok(checked.some((file) => file.startsWith(folder)), `the rule covers ${folder}`);
  // model/cipher-suites.ts: the IANA registry of suites (code point, names, cipher), a table of facts the others are read with.
  // model/wire-versions.ts: the protocol table's wire column by the keys wire code compares with (WIRE_VERSION.tls12), looked up by name.
  const tables = new Set(['model/tls-protocols.ts', 'model/cipher-classes.ts', 'model/cipher-suites.ts', 'model/wire-versions.ts']);
  for (const { file, text } of sources()) {
    if (tables.has(file) || gatherers.test(file)) continue;
    const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''); // comments may name them
    // A version or a cipher class as a quoted token of a list, a map or a test (prose in hints is fine).
    assert.doesNotMatch(code, /'(?:SSLv[23]|TLSv1(?:\.[0-3])?|TLS1_[0-3])'\s*[,:\])]/, `${file} lists protocol versions`);
    assert.doesNotMatch(code, /'(?:RC4|RC2|3DES|DES|DES-CBC3|EXPORT|EXP-|NULL|MD5)'/, `${file} names weak ciphers`);
  }
});

test('every class has an example suite of that class', () => {
  for (const row of CIPHER_CLASSES) assert.ok(cipherClasses(row.example).some((c) => c.id === row.id), `${row.id}: ${row.example}`);
});

test('a weak cipher the probe negotiated: TLS_WEAK_CIPHER for every broken class, none for a notice; the address stays below verify', () => {
  for (const row of CIPHER_CLASSES) {
    const facts = addressFacts({ tls: { ...addressFacts().tls!, protocol: 'TLSv1.2', cipher: row.example, cipherOpenssl: 'OPENSSL-NAME' } });
    const result = judgeAddress(facts, { required: ['tls-required'], warnDays: 30 }, NOW);
    const weak = result.problems.filter((p) => p.code === 'TLS_WEAK_CIPHER');
    if (row.status === 'broken') {
      assert.equal(weak.length, 1, row.id);
      assert.match(weak[0]!.message, new RegExp(row.example), row.id);
      assert.equal(weak[0]!.severity, 'error');
      assert.equal(result.level, 'encrypt', `${row.id}: an error keeps the address below verify`);
    } else {
      assert.deepEqual(weak, [], row.id);
      assert.equal(result.level, 'verify', row.id);
    }
  }
  // The OpenSSL name is read too.
  const adh = judgeAddress(addressFacts({ tls: { ...addressFacts().tls!, cipher: 'TLS_SOMETHING_NEW', cipherOpenssl: 'ADH-AES128-GCM-SHA256' } }), { required: ['tls-required'], warnDays: 30 }, NOW);
  assert.deepEqual(adh.problems.map((p) => p.code), ['TLS_WEAK_CIPHER']);
});

test('one table per fact kind: no module outside model/ names a cipher suite or pairs a named group with its code point', () => {
  // An IANA suite name in quotes (TLS_…_WITH_…, or TLS 1.3's TLS_AES_…/TLS_CHACHA20_…) is a row of model/cipher-suites.ts;
  // a group name next to a number is a row of model/named-groups.ts.
  const suite = /'(?:TLS|SSL)_\w+_WITH_\w+'|'TLS_(?:AES|CHACHA20)_\w+'/;
  const group = "(?:sec[pt]\\d+[rk]\\d|brainpoolP\\d+r1\\w*|x25519|x448|ffdhe\\d+)";
  const pair = new RegExp(`(?:\\b0x[0-9a-f]+|\\b\\d+)\\s*[,:]\\s*'${group}'|'${group}'\\s*[,:]\\s*(?:0x[0-9a-f]+|\\d+)\\b`, 'i');
  const breaches: string[] = [];
  for (const { file, text } of sources()) {
    if (file.startsWith('model/')) continue;
    const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    if (suite.test(code)) breaches.push(`${file} names cipher suites`);
    if (pair.test(code)) breaches.push(`${file} maps named groups to code points`);
  }
  assert.deepEqual(breaches, []);
});

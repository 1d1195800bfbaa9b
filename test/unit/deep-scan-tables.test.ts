// The deep scans read the one table of each fact kind (issue 10, "one protocol/cipher table,
// defined once"): the suites they offer per version are the rows of model/cipher-suites.ts valid
// for it, the versions and wire numbers the wire column of model/tls-protocols.ts, the groups
// and their names the rows of model/named-groups.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CIPHER_SUITES, suiteName, suiteProtocols } from '../../src/model/cipher-suites.ts';
import { cipherWeaknesses } from '../../src/model/cipher-classes.ts';
import { NAMED_GROUPS, namedGroup, namedGroupCode, namedGroupName } from '../../src/model/named-groups.ts';
import { TLS_PROTOCOLS } from '../../src/model/tls-protocols.ts';
import { DEEP_PROTOCOLS, protocolOfWire, WIRE_VERSION, wireOf } from '../../src/model/wire-versions.ts';
import { helloFor, helloLists, suitesFor } from '../../src/deep/scan-hellos.ts';
import { TLS12_CURVES, TLS13_GROUPS } from '../../src/deep/scan-groups.ts';
import { buildClientHello, DEFAULT_GROUPS, keyShare, MAX_HELLO_SUITES, SHAREABLE_GROUPS } from '../../src/tls/wire/client-hello.ts';
import { parseClientHello } from '../helpers/fake-tls-hello.ts';

const hex = (codes: Iterable<number>) => [...codes].map((c) => c.toString(16).padStart(4, '0')).sort();

test('versions: the deep scans try the rows of the protocol table that have a TLS wire number, with those numbers (RFC 6101, 2246, 4346, 5246, 8446)', () => {
  assert.deepEqual(DEEP_PROTOCOLS.map((p) => [p.name, p.wire]), [['SSLv3', 0x0300], ['TLSv1', 0x0301], ['TLSv1.1', 0x0302], ['TLSv1.2', 0x0303], ['TLSv1.3', 0x0304]]);
  for (const row of TLS_PROTOCOLS) {
    const deep = DEEP_PROTOCOLS.find((p) => p.name === row.name);
    assert.equal(deep?.wire ?? null, row.wire !== null && row.wire >= 0x0300 ? row.wire : null, row.name);
  }
  assert.equal(TLS_PROTOCOLS.find((r) => r.name === 'TLSv1/SSLv3')?.wire, null, 'a label for several versions has no wire number');
  for (const { name, wire } of DEEP_PROTOCOLS) {
    assert.equal(wireOf(name), wire);
    assert.equal(protocolOfWire(wire), name);
  }
  assert.deepEqual(Object.values(WIRE_VERSION), DEEP_PROTOCOLS.map((p) => p.wire));
  for (const unknown of [0x0002, 0x0305, 0x7f1c, 0]) assert.equal(protocolOfWire(unknown), null, unknown.toString(16));
  // The hello carries the table's number.
  for (const { name, wire } of DEEP_PROTOCOLS.filter((p) => p.name !== 'TLSv1.3')) assert.equal(parseClientHello(buildClientHello(helloFor(name, [0x002f]))).version, wire, name);
  assert.deepEqual(parseClientHello(buildClientHello(helloFor('TLSv1.3', [0x1301]))).supportedVersions, [WIRE_VERSION.tls13]);
});

test('suites: each version is offered exactly the suites of the table valid for it, each once', () => {
  const sizes: Record<string, number> = {};
  for (const { name } of DEEP_PROTOCOLS) {
    const offered = suitesFor(name);
    assert.equal(new Set(offered.map((s) => s.code)).size, offered.length, `${name}: no suite twice`);
    assert.deepEqual(hex(offered.map((s) => s.code)), hex(CIPHER_SUITES.filter((s) => suiteProtocols(s).includes(name)).map((s) => s.code)), name);
    for (const suite of offered) assert.equal(suite, CIPHER_SUITES.find((s) => s.code === suite.code), 'the rows themselves');
    sizes[name] = offered.length;
  }
  // Every row is offered with some version.
  const all = new Set(DEEP_PROTOCOLS.flatMap(({ name }) => suitesFor(name).map((s) => s.code)));
  assert.deepEqual(CIPHER_SUITES.filter((s) => !all.has(s.code)).map((s) => s.name), []);
  assert.equal(sizes['TLSv1.3'], 5);
  assert.equal(sizes['TLSv1.2'], CIPHER_SUITES.length - 5);
  assert.ok(sizes.SSLv3! > 0 && sizes.SSLv3 === sizes.TLSv1 && sizes.TLSv1 === sizes['TLSv1.1']);
  assert.ok(suitesFor('TLSv1').every((s) => s.mac !== 'AEAD' && s.mac !== 'SHA256' && s.mac !== 'SHA384'), 'no TLS 1.2-only suite before TLS 1.2');
});

test('suites: offered strongest first, broken last; each version fits in hellos of at most 128', () => {
  for (const { name } of DEEP_PROTOCOLS) {
    const offered = suitesFor(name);
    const broken = offered.map((s) => s.export || cipherWeaknesses(s.name, s.bits).length > 0);
    const firstBroken = broken.indexOf(true);
    assert.ok(firstBroken === -1 || broken.slice(firstBroken).every(Boolean), `${name}: broken suites after all others`);
    const lists = helloLists(offered.map((s) => s.code));
    assert.ok(lists.every((l) => l.length >= 1 && l.length <= MAX_HELLO_SUITES));
    assert.deepEqual(lists.flat(), offered.map((s) => s.code));
    for (const list of lists) buildClientHello(helloFor(name, list)); // within the builder's bounds
  }
  assert.equal(suitesFor('TLSv1.2')[0]?.name, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'forward-secret AEAD first');
  assert.deepEqual(helloLists(suitesFor('TLSv1.2').map((s) => s.code)).map((l) => l.length), [128, CIPHER_SUITES.length - 5 - 128]);
  assert.equal(suiteName(0x000a), 'TLS_RSA_WITH_3DES_EDE_CBC_SHA');
  assert.equal(suiteName(0xfefe), '0xfefe', 'a code point the table does not know');
});

test('groups: every group a hello offers or shares is a row of the named-group table, and is named by it', () => {
  for (const code of [...DEFAULT_GROUPS, ...TLS13_GROUPS, ...TLS12_CURVES, ...SHAREABLE_GROUPS]) assert.ok(namedGroup(code) !== null, code.toString(16));
  assert.deepEqual(DEFAULT_GROUPS.map(namedGroupName), ['x25519', 'secp256r1', 'secp384r1', 'secp521r1', 'x448', 'brainpoolP256r1', 'brainpoolP384r1', 'brainpoolP512r1', 'secp256k1', 'secp224r1', 'secp192r1']);
  assert.deepEqual(TLS13_GROUPS.map(namedGroupName), ['x25519', 'secp256r1', 'secp384r1', 'secp521r1', 'x448', 'ffdhe2048', 'ffdhe3072', 'ffdhe4096', 'ffdhe6144', 'ffdhe8192']);
  assert.deepEqual([...SHAREABLE_GROUPS].map(namedGroupName).sort(), ['secp256r1', 'secp384r1', 'secp521r1', 'x25519', 'x448']);
  // A share for each shareable group: X25519/X448 raw, NIST curves an uncompressed point.
  const lengths: Record<string, number> = { x25519: 32, x448: 56, secp256r1: 65, secp384r1: 97, secp521r1: 133 };
  for (const code of SHAREABLE_GROUPS) assert.equal(keyShare(code).length, lengths[namedGroupName(code)], namedGroupName(code));
  assert.throws(() => keyShare(namedGroupCode('ffdhe2048')), /no key share can be made for group ffdhe2048/);
  // Names a server may choose come from the table too, the newer ones as well.
  for (const group of NAMED_GROUPS) assert.equal(namedGroupName(group.code), group.name);
  assert.equal(namedGroupName(0x11ec), 'X25519MLKEM768');
  assert.equal(namedGroupName(0x7777), '0x7777');
  assert.throws(() => namedGroupCode('prime256v2'), RangeError);
});

// Facts that cross from a probe worker are copies, every string included; the main thread swaps each
// certificate description for the one it has seen with the same PEM (src/pipeline/shared-certificates.ts),
// so that a run keeps each certificate once, as it does in one thread. The facts stay equal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SharedCertificates } from '../../src/pipeline/shared-certificates.ts';
import type { AddressFacts } from '../../src/model/address.ts';
import { addressFacts, certFacts, certInfo, intermediate, root } from '../helpers/facts.ts';

/** The facts as a worker's message brings them: a structured clone, nothing shared with anything. */
const crossed = (facts: AddressFacts): AddressFacts => structuredClone(facts);

function facts(): AddressFacts {
  const certificate = certFacts([certInfo({ pem: 'LEAF PEM' }), intermediate({ pem: 'INTERMEDIATE PEM' }), root({ pem: 'ROOT PEM' })], null);
  return addressFacts({ certificate, daneHandshake: { sni: 'mail.example', tls: null, certificate: structuredClone(certificate), failure: null } });
}

test('two addresses behind one certificate: one description each, frozen, the facts unchanged', () => {
  const shared = new SharedCertificates();
  const original = facts();
  const [a, b] = [shared.share(crossed(original)), shared.share(crossed(original))];
  assert.deepStrictEqual(a, original);
  assert.deepStrictEqual(b, original);
  const [ca, cb] = [a.certificate!, b.certificate!];
  ca.chain.forEach((info, i) => assert.equal(cb.chain[i], info, `chain[${i}] is the same object`));
  assert.ok(ca.chain.every((info) => Object.isFrozen(info) && Object.isFrozen(info.san)));
  assert.equal(a.daneHandshake?.certificate?.chain[0], ca.chain[0], 'the DANE handshake\'s chain too');
  // A path certificate is its own object (its place in the path), whose strings are the shared ones.
  assert.notEqual(cb.path[0], ca.path[0]);
  assert.equal(Object.isFrozen(cb.path[0]), false);
  assert.deepEqual(Object.keys(cb.path[0]!), Object.keys(original.certificate!.path[0]!), 'in the order the probe makes them');
});

test('what does not follow from the PEM stays each fact\'s own: a path\'s inTrustStore and signatureValid, a chain entry\'s inTrustStore', () => {
  const shared = new SharedCertificates();
  shared.share(crossed(facts()));
  const other = facts();
  const certificate = other.certificate!;
  certificate.path[0] = { ...certificate.path[0]!, signatureValid: false, inTrustStore: true };
  certificate.chain[0] = { ...certificate.chain[0]!, inTrustStore: true };
  const got = shared.share(crossed(other)).certificate!;
  assert.deepStrictEqual(got, certificate);
  assert.deepEqual([got.path[0]?.signatureValid, got.path[0]?.inTrustStore, got.chain[0]?.inTrustStore], [false, true, true]);
});

test('facts without certificates (no TLS, a deep probe that saw none) pass through', () => {
  const shared = new SharedCertificates();
  const plain = addressFacts({ tls: null, certificate: null });
  assert.deepStrictEqual(shared.share(crossed(plain)), plain);
});

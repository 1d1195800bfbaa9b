// The trust store builds what a probe needs on first use, or in the steps of its preparation
// (cli/run.ts runs them while the first connection waits): either way the same context, the
// same anchors, the same candidates for a subject.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rootCertificates } from 'node:tls';
import { anchorId, makeTrustStore } from '../../src/cert/trust-store.ts';
import { subjectKeyOf } from '../../src/cert/certificate-fields.ts';

const someRoots = rootCertificates.filter((_, i) => i % 24 === 0);

test('the context is built once, by the preparation or by first use, and is the same object after', () => {
  const prepared = makeTrustStore([], []);
  const steps = prepared.preparation();
  assert.ok(steps.length >= 2, 'the work comes in steps');
  for (const step of steps) step();
  const context = prepared.secureContext;
  for (const step of prepared.preparation()) step(); // done already: nothing is rebuilt
  assert.equal(prepared.secureContext, context);
  const lazy = makeTrustStore([], []);
  assert.equal(lazy.secureContext, lazy.secureContext);
});

test('a prepared store and one built on first use find the same anchors for a subject, and tell anchors alike', () => {
  const prepared = makeTrustStore([], []);
  for (const step of prepared.preparation()) step();
  const lazy = makeTrustStore([], []);
  for (const pem of someRoots) {
    const id = anchorId(pem);
    const der = Buffer.from(id, 'base64');
    const key = subjectKeyOf(der);
    assert.ok(key !== null);
    const ids = (store: typeof lazy) => store.anchorsNamed(key).map((c) => c.id);
    assert.deepEqual(ids(prepared), ids(lazy));
    assert.ok(ids(lazy).includes(id));
    assert.equal(prepared.isAnchor(der), true);
    assert.equal(lazy.isAnchor(der), true);
  }
  assert.equal(lazy.isAnchor(Buffer.from('not a certificate')), false);
});

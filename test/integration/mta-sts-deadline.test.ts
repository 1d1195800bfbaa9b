// The MTA-STS policy fetch beside the domain's DNS deadline (probe/probe-domain.ts, README
// "Limits"): a resolver so slow that the domain's DNS budget (DNS_BUDGET_ATTEMPTS × --dns-timeout)
// runs out while the policy is being fetched does not hide the policy, since the fetch has its own
// deadline; and a stop of the run still stops the fetch at once. Through probeDomain, with the
// fake DNS on the wire and the loopback policy server. Loopback only.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { DnsResolver } from '../../src/dns/resolver.ts';
import { makeTrustStore, type TrustStore } from '../../src/cert/trust-store.ts';
import { DNS_BUDGET_ATTEMPTS, probeDomain } from '../../src/probe/probe-domain.ts';
import { startFakeDns, type FakeZone } from '../helpers/fake-dns.ts';
import { POLICY_DOMAIN, policyCerts, serve, startPolicyServer, type PolicyCerts, type PolicyHandler } from '../helpers/policy-server.ts';

const ENFORCE = 'version: STSv1\nmode: enforce\nmx: mx.test.example\nmax_age: 86400\n';
/** --dns-timeout of these runs: the domain's DNS budget is DNS_BUDGET_ATTEMPTS of it. */
const DNS_TIMEOUT_MS = 600;
const DNS_BUDGET_MS = DNS_BUDGET_ATTEMPTS * DNS_TIMEOUT_MS;

let certs: PolicyCerts;
let trust: TrustStore;
before(async () => {
  certs = await policyCerts();
  trust = makeTrustStore([certs.rootPem], []);
});

/** The policy domain with a valid `_mta-sts` record and its policy host at 127.0.0.1; `extra` names beside. */
function zone(extra: FakeZone): FakeZone {
  return {
    [`_mta-sts.${POLICY_DOMAIN}`]: { TXT: ['v=STSv1; id=20260601'] },
    [`mta-sts.${POLICY_DOMAIN}`]: { A: ['127.0.0.1'] },
    ...extra,
  };
}

/** probeDomain of the policy domain through the fake DNS serving `z`, the policy served by `handler`. */
async function probe(z: FakeZone, handler: PolicyHandler, signal?: AbortSignal) {
  const dns = await startFakeDns(z);
  const server = await startPolicyServer(certs.valid, handler);
  try {
    const started = Date.now();
    const facts = await probeDomain(POLICY_DOMAIN, POLICY_DOMAIN, new DnsResolver({ servers: [dns.address], timeoutMs: DNS_TIMEOUT_MS }), {
      families: { ipv4: true, ipv6: false },
      allowSpecialAddresses: true,
      policyPort: server.port,
      probe: { timeoutMs: 12_000, trust },
      ...(signal !== undefined ? { signal } : {}),
    });
    return { facts, server, elapsed: Date.now() - started };
  } finally {
    await Promise.all([dns.close(), server.close()]);
  }
}

test('a resolver that eats the DNS deadline while the policy is fetched: the policy still arrives, and the MX look-up still ran out', async () => {
  // The resolver check never answered (2 × --dns-timeout), the MX answer slow, its host never:
  // the DNS budget runs out at DNS_BUDGET_MS, while the fetch (started once the check gave up)
  // waits for a server that answers 3 × --dns-timeout later.
  const slow = zone({
    '.': { drop: true },
    [POLICY_DOMAIN]: { MX: [{ preference: 10, exchange: `mx.${POLICY_DOMAIN}` }], delayMs: DNS_TIMEOUT_MS / 2 },
    [`mx.${POLICY_DOMAIN}`]: { drop: true },
  });
  let requestedAt = 0;
  const started = Date.now();
  const late: PolicyHandler = (req, res) => {
    requestedAt = Date.now() - started;
    setTimeout(() => serve(ENFORCE)(req, res), 3 * DNS_TIMEOUT_MS);
  };
  const { facts, server, elapsed } = await probe(slow, late);
  assert.equal(server.requests.length, 1);
  assert.ok(requestedAt < DNS_BUDGET_MS && elapsed > DNS_BUDGET_MS, `the fetch spans the DNS deadline: asked at ${requestedAt} ms, done at ${elapsed} ms`);
  assert.equal(facts.mtaSts?.fetch?.failure, null, JSON.stringify(facts.mtaSts?.fetch));
  assert.equal(facts.mtaSts?.policy?.mode, 'enforce');
  // The DNS deadline did pass: it stopped the MX host's look-up.
  const host = facts.dns.filter((q) => q.name === `mx.${POLICY_DOMAIN}`);
  assert.ok(host.length > 0 && host.every((q) => q.rcode === 'TIMEOUT' && /the domain's deadline of .* for DNS look-ups/.test(q.error ?? '')), JSON.stringify(host));
});

test('a stop of the run stops the policy fetch at once: aborted, long before the fetch deadline', async () => {
  const stop = new AbortController();
  // The server never answers; the run stops as soon as the request is in.
  const { facts, server, elapsed } = await probe(zone({}), () => stop.abort(), stop.signal);
  assert.equal(server.requests.length, 1);
  assert.equal(facts.mtaSts?.fetch?.failure?.kind, 'aborted', JSON.stringify(facts.mtaSts?.fetch));
  assert.equal(facts.mtaSts?.policy, null);
  assert.ok(elapsed < 10_000, `${elapsed} ms: the fetch waited for its own deadline of 12 s`);
});

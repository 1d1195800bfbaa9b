// The MTA-STS policy fetch (RFC 8461 §3.3) against a loopback HTTPS server with the test CA:
// a valid policy, testing mode, bad syntax, 404, a redirect (never followed), a wrong
// Content-Type, a body over the 64 KiB cap (the read stops), a certificate for the wrong name,
// one from an untrusted CA, a server that stalls (the deadline), an abort from outside, and the
// whole gathering step on top (gatherMailPolicies, the probe's one path: TXT look-ups through a
// Resolver, the policy host's address from it, the fetch). Every failure is a result with its
// own message, never a throw.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { fetchPolicy, POLICY_FETCH_LIMITS, type FetchPolicyOptions } from '../../src/mta-sts/fetch-policy.ts';
import { gatherMailPolicies, type MailPolicyOptions } from '../../src/probe/gather-mail-policies.ts';
import { ReplayResolver, type ReplayZone } from '../../src/dns/replay-resolver.ts';
import { judgeMtaSts } from '../../src/judge/mta-sts.ts';
import { makeTrustStore } from '../../src/cert/trust-store.ts';
import type { TrustStore } from '../../src/cert/trust-store.ts';
import type { PolicyFetchFacts } from '../../src/model/mta-sts.ts';
import { endless, POLICY_DOMAIN, policyCerts, serve, startPolicyServer, type PolicyCerts, type PolicyHandler } from '../helpers/policy-server.ts';
import type { TestCert } from '../helpers/pki.ts';

const ENFORCE = 'version: STSv1\r\nmode: enforce\r\nmx: mx1.test.example\r\nmx: *.mail.test.example\r\nmax_age: 604800\r\n';
let certs: PolicyCerts;
let trust: TrustStore;

before(async () => {
  certs = await policyCerts();
  // The run's trust store (Node's roots + the --ca-file anchors), as the probe gives it.
  trust = makeTrustStore([certs.rootPem], []);
});

/** Fetches the policy of test.example from a server serving `cert` and answering with `handler`. */
async function fetchFrom(cert: TestCert, handler: PolicyHandler, options: Partial<FetchPolicyOptions> = {}) {
  const server = await startPolicyServer(cert, handler);
  try {
    const started = Date.now();
    const fetched = await fetchPolicy(POLICY_DOMAIN, { trust, connectTo: { host: server.host, port: server.port }, timeoutMs: 10_000, ...options });
    return { fetched, server, elapsed: Date.now() - started };
  } finally {
    await server.close();
  }
}

const failureOf = (f: PolicyFetchFacts) => f.failure?.kind ?? null;

describe('fetchPolicy', { concurrency: true }, () => {
  test('a valid policy: status 200, text/plain with a charset, the body whole; the request names mta-sts.DOMAIN and the well-known path', async () => {
    const { fetched, server } = await fetchFrom(certs.valid, serve(ENFORCE));
    assert.equal(fetched.failure, null);
    assert.equal(fetched.body, ENFORCE);
    assert.equal(fetched.status, 200);
    assert.equal(fetched.contentType, 'text/plain; charset=utf-8');
    assert.equal(fetched.bytes, Buffer.byteLength(ENFORCE));
    assert.equal(fetched.url, 'https://mta-sts.test.example/.well-known/mta-sts.txt');
    assert.deepEqual(server.requests, [{ method: 'GET', path: '/.well-known/mta-sts.txt', host: 'mta-sts.test.example' }]);
  });

  test('404: status, with the code in the message', async () => {
    const { fetched } = await fetchFrom(certs.valid, (_q, res) => {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not here');
    });
    assert.equal(failureOf(fetched), 'status');
    assert.equal(fetched.status, 404);
    assert.equal(fetched.body, null);
    assert.match(fetched.failure!.message, /answered 404/);
  });

  test('a redirect is never followed, even to a valid policy on the same server', async () => {
    const { fetched, server } = await fetchFrom(certs.valid, (req, res) => {
      if (req.url === '/.well-known/mta-sts.txt') {
        res.writeHead(301, { Location: 'https://mta-sts.test.example/policy.txt' });
        res.end();
      } else serve(ENFORCE)(req, res);
    });
    assert.equal(failureOf(fetched), 'redirect');
    assert.equal(fetched.location, 'https://mta-sts.test.example/policy.txt');
    assert.match(fetched.failure!.message, /answered 301, a redirect to "https:\/\/mta-sts\.test\.example\/policy\.txt"/);
    assert.equal(server.requests.length, 1);
  });

  test('another 2xx than 200 is no policy either', async () => {
    const { fetched } = await fetchFrom(certs.valid, (_q, res) => {
      res.writeHead(203, { 'Content-Type': 'text/plain' });
      res.end(ENFORCE);
    });
    assert.equal(failureOf(fetched), 'status');
  });

  test('a wrong Content-Type (text/html), or none at all, gives no body', async () => {
    const html = await fetchFrom(certs.valid, serve(ENFORCE, 'text/html'));
    assert.equal(failureOf(html.fetched), 'content-type');
    assert.match(html.fetched.failure!.message, /served as "text\/html": it must be text\/plain/);
    const none = await fetchFrom(certs.valid, (_q, res) => {
      res.removeHeader('Content-Type');
      res.writeHead(200);
      res.end(ENFORCE);
    });
    assert.equal(failureOf(none.fetched), 'content-type');
    assert.match(none.fetched.failure!.message, /without a Content-Type/);
  });

  test('Content-Type parameters and case do not matter', async () => {
    const { fetched } = await fetchFrom(certs.valid, serve(ENFORCE, 'Text/Plain ; charset="us-ascii"'));
    assert.equal(fetched.failure, null);
  });

  test('a body over 64 KiB: the read stops soon after the cap (the server meant to send 16 MiB)', async () => {
    const { fetched, server } = await fetchFrom(certs.valid, endless());
    assert.equal(failureOf(fetched), 'too-large');
    assert.equal(fetched.body, null);
    assert.ok(fetched.bytes > POLICY_FETCH_LIMITS.maxBytes, `${fetched.bytes}`);
    assert.ok(fetched.bytes < 4 * POLICY_FETCH_LIMITS.maxBytes, `read ${fetched.bytes} bytes`);
    assert.ok(server.written.bytes < 8 * 1024 * 1024, `the server wrote ${server.written.bytes} bytes: the client kept reading`);
  });

  test('a declared Content-Length over the cap is refused before reading', async () => {
    const { fetched } = await fetchFrom(certs.valid, (_q, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': String(10 * 1024 * 1024) });
      res.write('version: STSv1\n');
    });
    assert.equal(failureOf(fetched), 'too-large');
    assert.ok(fetched.bytes < POLICY_FETCH_LIMITS.maxBytes);
  });

  test('a body of exactly 64 KiB is read', async () => {
    const body = `${ENFORCE}${'#'.repeat(POLICY_FETCH_LIMITS.maxBytes - Buffer.byteLength(ENFORCE) - 1)}\n`;
    const { fetched } = await fetchFrom(certs.valid, serve(body));
    assert.equal(fetched.failure, null);
    assert.equal(fetched.bytes, POLICY_FETCH_LIMITS.maxBytes);
  });

  test('a certificate for another name: certificate failure naming the policy host', async () => {
    const { fetched, server } = await fetchFrom(certs.wrongName, serve(ENFORCE));
    assert.equal(failureOf(fetched), 'certificate');
    assert.match(fetched.failure!.message, /certificate of mta-sts\.test\.example does not verify \(ERR_TLS_CERT_ALTNAME_INVALID/);
    assert.equal(server.requests.length, 0, 'no request is sent to a server that failed verification');
  });

  test('a certificate from a CA the run does not trust: certificate failure', async () => {
    const { fetched, server } = await fetchFrom(certs.untrusted, serve(ENFORCE));
    assert.equal(failureOf(fetched), 'certificate');
    assert.match(fetched.failure!.message, /does not verify \((UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN)/);
    assert.equal(server.requests.length, 0);
  });

  test('the test CA is trusted only when the run trusts it: without it, the valid server fails too', async () => {
    const { fetched } = await fetchFrom(certs.valid, serve(ENFORCE), { trust: makeTrustStore([], []) });
    assert.equal(failureOf(fetched), 'certificate');
  });

  test('a server that never answers: timeout at the deadline, not later', async () => {
    const { fetched, elapsed } = await fetchFrom(certs.valid, () => {}, { timeoutMs: 300 });
    assert.equal(failureOf(fetched), 'timeout');
    assert.match(fetched.failure!.message, /no complete answer from https:\/\/mta-sts\.test\.example\/\.well-known\/mta-sts\.txt within 0\.3 s/);
    assert.ok(elapsed < 10_000, `${elapsed} ms`);
  });

  test('a server that stalls in the body: timeout', async () => {
    const { fetched } = await fetchFrom(certs.valid, (_q, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('version: STSv1\n');
    }, { timeoutMs: 300 });
    assert.equal(failureOf(fetched), 'timeout');
  });

  test('an AbortSignal stops the fetch: aborted, before or during', async () => {
    const during = new AbortController();
    setTimeout(() => during.abort(), 100);
    const { fetched } = await fetchFrom(certs.valid, () => {}, { signal: during.signal });
    assert.equal(failureOf(fetched), 'aborted');
    const { fetched: before } = await fetchFrom(certs.valid, serve(ENFORCE), { signal: AbortSignal.abort() });
    assert.equal(failureOf(before), 'aborted');
  });

  test('nothing listening: connect failure', async () => {
    const server = await startPolicyServer(certs.valid, serve(ENFORCE));
    const port = server.port;
    await server.close();
    const fetched = await fetchPolicy(POLICY_DOMAIN, { trust, connectTo: { host: '127.0.0.1', port }, timeoutMs: 5_000 });
    assert.equal(failureOf(fetched), 'connect');
    assert.match(fetched.failure!.message, /cannot connect to mta-sts\.test\.example \(ECONNREFUSED\)/);
  });

  test('a server closing mid-body: http failure, never a partial policy', async () => {
    const { fetched } = await fetchFrom(certs.valid, (_q, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '500' });
      res.write('version: STSv1\n', () => res.socket?.destroy());
    });
    assert.equal(failureOf(fetched), 'http');
    assert.equal(fetched.body, null);
  });

  test('the body is read as strict UTF-8 (RFC 8461 §3.2): a 0xFF byte is no policy text, never read on with U+FFFD', async () => {
    const bytes = Buffer.concat([Buffer.from('version: STSv1\nmode: enforce\nmx: mx1.test.example\nmax_age: 86400\nnote: '), Buffer.from([0xff]), Buffer.from('\n')]);
    const { fetched } = await fetchFrom(certs.valid, (_q, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(bytes);
    });
    assert.equal(failureOf(fetched), 'encoding');
    assert.equal(fetched.body, null);
    assert.equal(fetched.status, 200);
    assert.equal(fetched.bytes, bytes.length);
    assert.match(fetched.failure!.message, /^the policy is not valid UTF-8 \(RFC 8461 §3\.2\)/);
    // Valid UTF-8 is read whole: a character split across two writes, and a byte-order mark kept.
    const text = '\ufeffversion: STSv1\nmode: enforce\nmx: mx1.test.example\nmax_age: 86400\nnote: café\n';
    const utf8 = Buffer.from(text);
    const split = utf8.indexOf(Buffer.from('é')) + 1;
    const { fetched: whole } = await fetchFrom(certs.valid, (_q, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write(utf8.subarray(0, split), () => res.end(utf8.subarray(split)));
    });
    assert.equal(whole.failure, null);
    assert.equal(whole.body, text);
  });

  test('server text in a message is sanitised (a Location with a C1 control sequence introducer)', async () => {
    const { fetched } = await fetchFrom(certs.valid, (_q, res) => {
      res.writeHead(302, { Location: 'https://x.example/\u009b2J' });
      res.end();
    });
    assert.equal(failureOf(fetched), 'redirect');
    assert.ok(!fetched.failure!.message.includes('\u009b'), fetched.failure!.message);
    assert.match(fetched.failure!.message, /\\x9b2J/);
  });
});

/** The policy domain's `_mta-sts` TXT records (null: the look-up fails), its policy host at 127.0.0.1. */
function policyZone(txt: string[] | null): ReplayZone {
  return {
    [`_mta-sts.${POLICY_DOMAIN}`]: txt === null ? { rcode: 'SERVFAIL' } : { TXT: txt },
    [`mta-sts.${POLICY_DOMAIN}`]: { A: ['127.0.0.1'] },
  };
}
const gatherOptions = (port: number): MailPolicyOptions => ({ trust, timeoutMs: 10_000, families: { ipv4: true, ipv6: false }, allowSpecialAddresses: true, port });

describe('gatherMailPolicies (the probe\'s path: look-ups, the policy host\'s address, one fetch)', { concurrency: true }, () => {
  test('a valid record and policy: the facts say the policy; testing mode too', async () => {
    for (const mode of ['enforce', 'testing'] as const) {
      const server = await startPolicyServer(certs.valid, serve(ENFORCE.replace('enforce', mode)));
      try {
        const { mtaSts: facts, queries } = await gatherMailPolicies(POLICY_DOMAIN, new ReplayResolver(policyZone(['v=spf1 -all', 'v=STSv1; id=20260601'])), gatherOptions(server.port));
        assert.equal(facts.error, null);
        assert.equal(facts.id, '20260601');
        assert.deepEqual(facts.policy, { version: 'STSv1', mode, mx: ['mx1.test.example', '*.mail.test.example'], maxAge: 604800 });
        assert.equal(facts.fetch?.status, 200);
        assert.deepEqual(server.requests, [{ method: 'GET', path: '/.well-known/mta-sts.txt', host: 'mta-sts.test.example' }]);
        assert.deepEqual(queries.map((q) => `${q.type} ${q.name}`).sort(), ['A mta-sts.test.example', 'TXT _mta-sts.test.example', 'TXT _smtp._tls.test.example']);
      } finally {
        await server.close();
      }
    }
  });

  test('bad policy syntax: no policy, the first reason as the error', async () => {
    const server = await startPolicyServer(certs.valid, serve('version: STSv1\nmode: enforce\nnmx: mx1.test.example\nmax_age: 86400\n'));
    try {
      const { mtaSts: facts } = await gatherMailPolicies(POLICY_DOMAIN, new ReplayResolver(policyZone(['v=STSv1; id=1'])), gatherOptions(server.port));
      assert.equal(facts.policy, null);
      assert.match(facts.error ?? '', /no mx line \("nmx" on line 3 is not "mx"\)/);
    } finally {
      await server.close();
    }
  });

  test('a policy body that is not UTF-8: MTA_STS_POLICY_INVALID "the policy is not valid UTF-8", not an unreachable policy; senders ignore it (mode none)', async () => {
    const server = await startPolicyServer(certs.valid, (_q, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(Buffer.concat([Buffer.from(ENFORCE), Buffer.from([0xff])]));
    });
    try {
      const { mtaSts: facts } = await gatherMailPolicies(POLICY_DOMAIN, new ReplayResolver(policyZone(['v=STSv1; id=1'])), gatherOptions(server.port));
      assert.equal(facts.policy, null);
      assert.match(facts.error ?? '', /^the policy is not valid UTF-8/);
      const verdict = judgeMtaSts(facts, [{ host: 'mx1.test.example', verified: true }]);
      assert.equal(verdict.mode, 'none');
      assert.deepEqual(verdict.problems.map((p) => `${p.code}:${p.severity}`), ['MTA_STS_POLICY_INVALID:error']);
      assert.match(verdict.problems[0]!.message, /^The MTA-STS policy is not valid: the policy is not valid UTF-8/);
    } finally {
      await server.close();
    }
  });

  test('no record, an invalid record, a failed look-up: no fetch at all, not even the policy host\'s address', async () => {
    const server = await startPolicyServer(certs.valid, serve(ENFORCE));
    try {
      for (const txt of [[], ['v=STSv1'], ['v=STSv1; id=1', 'v=STSv1; id=2'], null]) {
        const { mtaSts: facts, queries } = await gatherMailPolicies(POLICY_DOMAIN, new ReplayResolver(policyZone(txt)), gatherOptions(server.port));
        assert.equal(facts.fetch, null, JSON.stringify(txt));
        assert.equal(facts.policy, null);
        assert.deepEqual(facts.txt, txt);
        assert.ok(!queries.some((q) => q.name === `mta-sts.${POLICY_DOMAIN}`), JSON.stringify(txt));
      }
      assert.equal(server.connections.count, 0);
    } finally {
      await server.close();
    }
  });
});

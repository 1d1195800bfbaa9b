// Probe workers (src/pipeline/probe-workers.ts, probe-worker.ts: a batch's --workers): the facts of
// real probes of fake servers on loopback, every kind of outcome (verified, expired, wrong name,
// missing intermediate, no STARTTLS, a 554 greeting, a connection closed or garbage at STARTTLS, TLS
// 1.0 only with its modern re-check, implicit TLS, a silent server past its deadline, a refused
// connection, a DANE SNI handshake, a deep probe), are the same whether probed in this thread or in a
// worker, and so is every format rendered from them; an abort reaches the worker; a bug in a probe
// rejects as it does in this thread; a worker that dies fails its probes and every later one, and
// the runner (runRows) then ends as for any bug, with the rows handed on before kept.
import assert from 'node:assert/strict';
import { constants as cryptoConstants } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { makeTrustStore, type TrustStore } from '../../src/cert/trust-store.ts';
import { probeAddress, type AddressTarget, type ProbeOptions } from '../../src/probe/probe-address.ts';
import { ProbeWorkers } from '../../src/pipeline/probe-workers.ts';
import { judgeDomain } from '../../src/judge/judge-domain.ts';
import { FORMATS, loadRenderer } from '../../src/render/formats.ts';
import { renderAll } from '../../src/render/report-renderer.ts';
import { checkOptions, type RawOptions } from '../../src/cli/options.ts';
import { ReplayResolver, type ReplayZone } from '../../src/dns/replay-resolver.ts';
import { runRows } from '../../src/pipeline/runner.ts';
import { RunStop } from '../../src/pipeline/run-stop.ts';
import type { Row } from '../../src/pipeline/row.ts';
import type { AddressFacts } from '../../src/model/address.ts';
import type { DomainResult } from '../../src/model/domain.ts';
import { startFakeSmtp, type FakeSmtpOptions, type FakeSmtpServer } from '../helpers/fake-smtp.ts';
import { startHybridDeepSmtp, type HybridDeepServer } from '../helpers/hybrid-deep-smtp.ts';
import { startSmtpFleet, type SmtpFleet } from '../helpers/smtp-fleet.ts';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';
import { domainFacts, mxHost } from '../helpers/facts.ts';
import { sourceWorkerEntry } from '../helpers/probe-worker-source.ts';
import { closedPort } from '../helpers/run-cli.ts';

let pki: TestPki;
let trust: TrustStore;
const servers: Array<FakeSmtpServer | HybridDeepServer> = [];

before(async () => {
  pki = await makeTestPki();
  trust = makeTrustStore([pki.rootPem]);
});
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function fake(options: FakeSmtpOptions): Promise<FakeSmtpServer> {
  const server = await startFakeSmtp(options);
  servers.push(server);
  return server;
}

const options = (extra: Partial<ProbeOptions> = {}): ProbeOptions => ({ timeoutMs: 8_000, connectTimeoutMs: 5_000, ehloName: 'probe.test', trust, ...extra });
const target = (host: string, port: number, extra: Partial<AddressTarget> = {}): AddressTarget => ({ host, ip: '127.0.0.1', family: 4, port, ...extra });

/**
 * What differs between two probes of the same server whatever thread makes them: clocks. Set to
 * fixed values in place (so that prototypes and value types stay what the probe made).
 */
function withoutClocks<T>(value: T): T {
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) visit(x);
    else if (typeof v === 'object' && v !== null) {
      const o = v as Record<string, unknown>;
      for (const [k, x] of Object.entries(o)) {
        if (k === 'timings' && typeof x === 'object' && x !== null) for (const t of Object.keys(x)) (x as Record<string, number>)[t] = 0;
        else if ((k === 'ms' || k === 'elapsedMs' || k === 'durationMs') && typeof x === 'number') o[k] = 0;
        else if (k === 'verifiedAt' && typeof x === 'string') o[k] = '1970-01-01T00:00:00.000Z';
        else visit(x);
      }
    }
  };
  visit(value);
  return value;
}

describe('facts probed in a worker are the facts probed in this thread', () => {
  let scenarios: Array<{ name: string; target: AddressTarget; options: ProbeOptions }>;
  let local: AddressFacts[];
  let remote: AddressFacts[];

  before(async () => {
    const tls10 = { ...pki.certs.valid, minVersion: 'TLSv1' as const, maxVersion: 'TLSv1' as const, ciphers: 'DEFAULT@SECLEVEL=0' };
    const deep = await startHybridDeepSmtp({
      tls: {
        key: pki.certs.valid.key,
        cert: pki.certs.valid.cert,
        minVersion: 'TLSv1.2',
        ciphers: 'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256',
        honorCipherOrder: true,
        secureOptions: cryptoConstants.SSL_OP_NO_RENEGOTIATION,
      },
    });
    servers.push(deep);
    const port = async (o: FakeSmtpOptions) => (await fake(o)).port;
    scenarios = [
      { name: 'verified', target: target('mx.test', await port({ tls: pki.certs.valid })), options: options() },
      { name: 'expired', target: target('mx.test', await port({ tls: pki.certs.expired })), options: options() },
      { name: 'wrong name', target: target('mx.test', await port({ tls: pki.certs.wrongName })), options: options() },
      { name: 'missing intermediate', target: target('mx.test', await port({ tls: pki.certs.missingIntermediate })), options: options() },
      { name: 'untrusted root', target: target('mx.test', await port({ tls: pki.certs.untrustedRoot })), options: options() },
      { name: 'no STARTTLS', target: target('mx.test', await port({})), options: options() },
      { name: '554 greeting', target: target('mx.test', await port({ banner: ['554 5.7.1 no mail here'] })), options: options() },
      { name: 'closed at STARTTLS', target: target('mx.test', await port({ tls: pki.certs.valid, behaviour: 'close-after-starttls' })), options: options() },
      { name: 'garbage for TLS', target: target('mx.test', await port({ tls: pki.certs.valid, behaviour: 'garbage-instead-of-tls' })), options: options() },
      { name: 'TLS 1.0 only (modern re-check)', target: target('mx.test', await port({ tls: tls10 })), options: options() },
      { name: 'implicit TLS', target: target('mx.test', await port({ tls: pki.certs.valid, implicitTls: true })), options: options({ tlsMode: 'implicit' }) },
      { name: 'silent (deadline)', target: target('mx.test', await port({ behaviour: 'silent' })), options: options({ timeoutMs: 600 }) },
      { name: 'refused', target: target('mx.test', await closedPort()), options: options() },
      { name: 'DANE SNI handshake', target: target('mx.test', await port({ tls: pki.certs.valid }), { daneServerName: 'mail.test' }), options: options() },
      { name: 'deep', target: target('mx.test', deep.port), options: options({ deep: { delayMs: 0, timeoutMs: 60_000 } }) },
    ];
    local = [];
    for (const s of scenarios) local.push(await probeAddress(s.target, s.options));
    const workers = new ProbeWorkers({ count: 2, extraCas: [pki.rootPem], transcript: true, entry: sourceWorkerEntry() });
    try {
      remote = [];
      for (const s of scenarios) remote.push(await workers.probeAddress(s.target, s.options));
    } finally {
      await workers.close();
    }
  });

  test('every scenario: the same facts (but for the clocks), plain objects of the same shape', () => {
    const failures = local.map((f) => f.failure?.kind ?? (f.certificate !== null ? 'tls' : 'plain'));
    // The scenarios are what they say: a mix of successes and every kind of failure.
    assert.ok(failures.includes('timeout') && failures.includes('connect') && failures.includes('rejected') && failures.includes('tls'), failures.join());
    assert.ok(local.some((f) => f.modernTls !== null) && local.some((f) => f.daneHandshake !== undefined) && local.some((f) => f.deep !== undefined));
    scenarios.forEach((s, i) => {
      assert.deepStrictEqual(withoutClocks(remote[i]), withoutClocks(local[i]), s.name);
      assert.ok((remote[i]?.transcript?.length ?? 0) > 0 || s.name === 'refused', `${s.name}: the transcript crossed`);
    });
  });

  test('every format renders them alike', async () => {
    const result = (facts: AddressFacts[]): DomainResult =>
      judgeDomain(
        domainFacts({ domain: 'workers.test', input: 'workers.test', mx: facts.map((f, i) => mxHost(`mx${i}.test`, 10 + i, [f])) }),
        { required: ['verify'], warnDays: 30, profile: 'ncsc' },
        pki.generatedAt,
      );
    const [a, b] = [result(local), result(remote)];
    for (const format of FORMATS) {
      for (const layout of ['report', 'rows'] as const) {
        const renderer = await loadRenderer(format, { layout, colorLevel: 0, transcript: true, extraColumns: [] });
        const time = { startedAt: pki.generatedAt, durationMs: 1 };
        const text = renderAll(renderer, [a], time);
        assert.ok(text.length > 0);
        assert.equal(renderAll(renderer, [b], time), text, `${format} (${layout})`);
      }
    }
  });
});

describe('the pool', () => {
  test('an abort of the probe\'s signal reaches the worker: the probe of a silent server ends at once, aborted', async () => {
    const silent = await fake({ behaviour: 'silent' });
    const workers = new ProbeWorkers({ count: 1, extraCas: [], transcript: false, entry: sourceWorkerEntry() });
    try {
      const controller = new AbortController();
      const probing = workers.probeAddress(target('mx.test', silent.port), options({ timeoutMs: 60_000, signal: controller.signal }));
      await new Promise((resolve) => setTimeout(resolve, 300));
      controller.abort();
      const facts = await probing;
      assert.equal(facts.failure?.kind, 'aborted');
      assert.ok(facts.timings.total < 30_000, `${facts.timings.total} ms: not the 60 s deadline`);
      assert.equal(facts.transcript, undefined, 'no transcript kept: the worker dropped it');
      // Already aborted when posted: as in this thread, at once.
      const before = await workers.probeAddress(target('mx.test', silent.port), options({ timeoutMs: 60_000, signal: AbortSignal.abort() }));
      assert.equal(before.failure?.kind, 'aborted');
    } finally {
      await workers.close();
    }
  });

  test('a probe that rejects in the worker (an option out of range) rejects here with the same error; the worker goes on', async () => {
    const smtp = await fake({ tls: pki.certs.valid });
    const workers = new ProbeWorkers({ count: 1, extraCas: [pki.rootPem], transcript: false, entry: sourceWorkerEntry() });
    try {
      const bad = options({ timeoutMs: -1 });
      const expected = await probeAddress(target('mx.test', smtp.port), bad).then(
        () => assert.fail('in this thread it rejects'),
        (err: unknown) => err as Error,
      );
      await assert.rejects(workers.probeAddress(target('mx.test', smtp.port), bad), (err: unknown) => err instanceof RangeError && err.message === expected.message);
      const facts = await workers.probeAddress(target('mx.test', smtp.port), options());
      assert.equal(facts.failure, null);
      assert.equal(facts.certificate?.opensslError, null, 'the worker trusts the --ca-file it was given');
    } finally {
      await workers.close();
    }
  });

  test('probes go to the least busy worker: four slow probes at once, two in each of two workers', async () => {
    const slow = await fake({ tls: pki.certs.valid, replyDelayMs: 100 });
    // Each worker signs the facts it posts with its thread id.
    const sign = `import { parentPort, threadId } from 'node:worker_threads'; const post = parentPort.postMessage.bind(parentPort); parentPort.postMessage = (m) => post(m.kind === 'facts' ? { ...m, facts: { ...m.facts, host: String(threadId) } } : m);`;
    const workers = new ProbeWorkers({ count: 2, extraCas: [pki.rootPem], transcript: false, entry: sourceWorkerEntry(sign) });
    try {
      const facts = await Promise.all([0, 1, 2, 3].map(() => workers.probeAddress(target('mx.test', slow.port), options())));
      assert.ok(facts.every((f) => f.failure === null));
      const byThread = new Map<string, number>();
      for (const f of facts) byThread.set(f.host, (byThread.get(f.host) ?? 0) + 1);
      assert.deepEqual([...byThread.values()], [2, 2], [...byThread.keys()].join());
    } finally {
      await workers.close();
    }
  });

  test('a worker that dies fails the probes it held and every later one, with one message; close() still ends', async () => {
    const silent = await fake({ behaviour: 'silent' });
    // The second probe message kills the worker (an exception outside any probe).
    const crash = `import { parentPort } from 'node:worker_threads'; let n = 0; parentPort.on('message', (m) => { if (m.kind === 'probe' && ++n === 2) throw new Error('injected worker fault'); });`;
    const workers = new ProbeWorkers({ count: 1, extraCas: [], transcript: false, entry: sourceWorkerEntry(crash) });
    try {
      const held = workers.probeAddress(target('mx.test', silent.port), options({ timeoutMs: 60_000 }));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const killer = workers.probeAddress(target('mx.test', silent.port), options({ timeoutMs: 60_000 }));
      const isFault = (err: unknown) => err instanceof Error && err.message === 'a probe worker failed: injected worker fault';
      await assert.rejects(held, isFault);
      await assert.rejects(killer, isFault);
      await assert.rejects(workers.probeAddress(target('mx.test', silent.port), options()), isFault);
    } finally {
      await workers.close();
    }
  });
});

describe('the runner with probe workers', () => {
  let fleet: SmtpFleet;
  const RAW: RawOptions = { port: '25', timeout: '10', connectTimeout: '5', dnsTimeout: '3', require: 'verify', deepDelay: '0', profile: 'ncsc', warnDays: '30', format: 'csv', color: false, concurrency: '8', perHost: '2', retries: '0', retryDelay: '1' };
  const N = 24;

  before(async () => {
    fleet = await startSmtpFleet({ count: 4, tls: pki.certs.wildcard, delayMs: 2 });
  });
  after(async () => {
    await fleet?.close();
  });

  /** d{i}.test → MX mx{i}.test.example (each its own probe) → 127.0.0.(2 + i mod 4). */
  function zone(): ReplayZone {
    const z: ReplayZone = {};
    for (let i = 0; i < N; i++) {
      z[`d${i}.test`] = { MX: [{ preference: 10, exchange: `mx${i}.test.example` }] };
      z[`mx${i}.test.example`] = { A: [`127.0.0.${2 + (i % 4)}`] };
    }
    return z;
  }
  const rows = (): Row[] => Array.from({ length: N }, (_, i) => ({ line: i + 2, input: `d${i}.test`, target: { kind: 'domain', domain: `d${i}.test` }, warning: null, required: null, columns: {} }));

  async function run(workers: string, entry: URL = sourceWorkerEntry(), raw: Partial<RawOptions> = {}) {
    const settings = checkOptions([], { ...RAW, input: 'partners.csv', port: String(fleet.port), allowSpecialAddresses: true, workers, ...raw });
    const results: DomainResult[] = [];
    const stop = new RunStop();
    const outcome = runRows(rows(), settings, { trust, extraCas: [pki.rootPem], resolver: new ReplayResolver(zone()), stop, probeWorkerEntry: entry }, { result: (r) => results.push(r) });
    return { outcome, results };
  }

  test('--workers 2 gives the rows --workers 1 gives, every address probed once', async () => {
    const before = fleet.totalConnections();
    const one = await run('1');
    const oneOutcome = await one.outcome;
    const two = await run('2');
    const twoOutcome = await two.outcome;
    assert.equal(fleet.totalConnections() - before, 2 * N);
    assert.deepEqual([oneOutcome.probesMade, twoOutcome.probesMade], [N, N]);
    const summary = (results: DomainResult[]) => results.map((r) => `${r.source?.line} ${r.level} ${r.pass}`).sort();
    assert.equal(one.results.length, N);
    assert.deepEqual(summary(two.results), summary(one.results));
    assert.ok(one.results.every((r) => r.level === 'verify'), 'the wildcard certificate, trusted through the CA the workers were given');
  });

  test('a worker that dies mid-run: the run rejects with its error (a bug), without hanging, the rows handed on before it kept', async () => {
    // A worker's third probe message kills it; one row at a time, so that some rows finish first.
    const crash = `import { parentPort } from 'node:worker_threads'; let n = 0; parentPort.on('message', (m) => { if (m.kind === 'probe' && ++n === 3) throw new Error('injected worker fault'); });`;
    const { outcome, results } = await run('2', sourceWorkerEntry(crash), { concurrency: '1' });
    await assert.rejects(outcome, (err: unknown) => err instanceof Error && /^a probe worker failed: injected worker fault$/.test(err.message));
    assert.ok(results.length >= 2 && results.length < N, `${results.length} rows handed on before the failure`);
    assert.ok(results.every((r) => r.level === 'verify'), `none of them blames a server: ${JSON.stringify(results.map((r) => [r.domain, r.level, r.problems.map((p) => p.message)]))}`);
  });
});

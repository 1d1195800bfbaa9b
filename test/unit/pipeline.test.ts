// The one runner (pipeline/runner.ts) over every row source, with DNS replayed in process and
// the address probes injected: the order results come in, one result per row, shared probes,
// the concurrency bound, stopping, and failures; and the settings built once
// (pipeline/run-settings.ts), from which each stage's options are derived.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { checkOptions, type RawOptions } from '../../src/cli/options.ts';
import { ReplayResolver, type ReplayZone } from '../../src/dns/replay-resolver.ts';
import { makeTrustStore } from '../../src/cert/trust-store.ts';
import { runRows, type RunContext } from '../../src/pipeline/runner.ts';
import { RunStop } from '../../src/pipeline/run-stop.ts';
import { argumentRows, serverRows, type Row } from '../../src/pipeline/row.ts';
import { domainOptionsFor, inRowOrder, judgePolicyFor, probeOptionsFor, proberOptionsFor, reportLayout, resolverOptionsFor, type RunSettings } from '../../src/pipeline/run-settings.ts';
import { InputError } from '../../src/batch/read-input.ts';
import type { AddressTarget, ProbeOptions } from '../../src/probe/probe-address.ts';
import type { AddressFacts } from '../../src/model/address.ts';
import type { DomainResult } from '../../src/model/domain.ts';
import { addressFacts, NOW, plainAddress, requirement } from '../helpers/facts.ts';

const RAW: RawOptions = { port: '25', timeout: '30', connectTimeout: '10', dnsTimeout: '3', require: 'encrypt', deepDelay: '0', profile: 'ncsc', warnDays: '30', format: 'text', color: false, concurrency: '32', perHost: '2', retries: '1', retryDelay: '1' };
/** The MX addresses below are documentation addresses (special-purpose): allowed here, as the integration tests allow loopback. */
const arguments_ = (domains: string[]) => checkOptions(domains, { ...RAW, allowSpecialAddresses: true });
const batch = (raw: Partial<RawOptions> = {}) => checkOptions([], { ...RAW, input: 'partners.csv', allowSpecialAddresses: true, ...raw });

/** name.test → MX mx.name.test → 192.0.2.N; `shared` domains name mx.a.test. */
function zone(names: string[], shared: string[] = []): ReplayZone {
  const z: ReplayZone = {};
  names.forEach((name, i) => {
    z[`${name}.test`] = { MX: [{ preference: 10, exchange: `mx.${name}.test` }] };
    z[`mx.${name}.test`] = { A: [`192.0.2.${i + 1}`] };
  });
  for (const name of shared) z[`${name}.test`] = { MX: [{ preference: 10, exchange: 'mx.a.test' }] };
  return z;
}

/** A probe that takes `ms(target)` (aborted by the run's stop), counting calls and the most at once. */
function fakeProbe(ms: (target: AddressTarget) => number = () => 5) {
  const state = { calls: [] as string[], active: 0, peak: 0 };
  const probeAddress = async (target: AddressTarget, options: ProbeOptions): Promise<AddressFacts> => {
    state.calls.push(target.host);
    state.active += 1;
    state.peak = Math.max(state.peak, state.active);
    try {
      await delay(ms(target), undefined, options.signal !== undefined ? { signal: options.signal } : {});
      return addressFacts({ ip: target.ip, host: target.host, port: target.port });
    } catch {
      return plainAddress({ ip: target.ip, host: target.host, connected: false, banner: null, ehlo: null, failure: { stage: 'connect', kind: 'aborted', message: 'stopped' } });
    } finally {
      state.active -= 1;
    }
  };
  return { state, probeAddress };
}

function context(z: ReplayZone, probe: ReturnType<typeof fakeProbe>, stop = new RunStop()): RunContext {
  return { trust: makeTrustStore([]), resolver: new ReplayResolver(z), stop, now: () => NOW, probeAddress: probe.probeAddress };
}

function batchRow(line: number, input: string, extra: Partial<Row> = {}): Row {
  const domain = input.toLowerCase().replace(/\.$/, '');
  return { line, input, target: { kind: 'domain', domain }, warning: null, required: null, columns: { partner: `P${line}` }, ...extra };
}

async function collect(rows: Iterable<Row> | AsyncIterable<Row>, settings: RunSettings, ctx: RunContext) {
  const results: DomainResult[] = [];
  const outcome = await runRows(rows, settings, ctx, { result: (r) => results.push(r) });
  return { results, outcome };
}

test('domains given as arguments come out in the order given, whatever order they finish in; a batch\'s as they finish', async () => {
  const probe = () => fakeProbe((t) => (t.host === 'mx.a.test' ? 80 : 5));
  const z = zone(['a', 'b', 'c']);
  const single = arguments_(['a.test', 'b.test', 'c.test']);
  assert.equal(inRowOrder(single), true);
  const ordered = await collect(argumentRows((single.source as { domains: Array<{ input: string; domain: string }> }).domains), single, context(z, probe()));
  assert.deepEqual(ordered.results.map((r) => r.domain), ['a.test', 'b.test', 'c.test']);
  assert.ok(ordered.results.every((r) => r.source === undefined), 'a command-line row carries no source');

  const settings = batch();
  assert.equal(inRowOrder(settings), false);
  const finished = await collect([batchRow(2, 'a.test'), batchRow(3, 'b.test'), batchRow(4, 'c.test')], settings, context(z, probe()));
  assert.deepEqual(finished.results.map((r) => r.domain).sort(), ['a.test', 'b.test', 'c.test']);
  assert.equal(finished.results.at(-1)?.domain, 'a.test', 'the slow row last: nothing waited for it');
  assert.deepEqual(finished.results.map((r) => r.source?.line).sort(), [2, 3, 4]);
});

test('every row gives one result: a domain named twice gathered once, judged per row; an address two domains share probed once; an invalid row its own result', async () => {
  const probe = fakeProbe();
  const rows = [
    batchRow(2, 'a.test', { required: requirement('none') }),
    batchRow(3, 'A.TEST.', { required: requirement('verify') }),
    batchRow(4, 'bad..name', { target: { kind: 'invalid', error: 'not a valid domain name' } }),
    batchRow(5, 'c.test'),
    batchRow(6, 'b.test', { warning: '3 fields where the header has 2' }),
  ];
  const { results, outcome } = await collect(rows, batch(), context(zone(['a', 'b'], ['c']), probe));
  const byLine = new Map(results.map((r) => [r.source?.line, r]));
  assert.deepEqual([...byLine.keys()].sort(), [2, 3, 4, 5, 6]);
  assert.deepEqual([byLine.get(2)?.required, byLine.get(3)?.required, byLine.get(3)?.input], ['none', 'verify', 'A.TEST.']);
  assert.deepEqual(byLine.get(3)?.source?.columns, { partner: 'P3' });
  assert.equal(byLine.get(4)?.outcome, 'invalid-input');
  assert.equal(byLine.get(4)?.problems[0]?.code, 'INVALID_INPUT');
  assert.equal(byLine.get(6)?.problems.at(-1)?.code, 'INPUT_EXTRA_FIELDS');
  assert.deepEqual(probe.state.calls.sort(), ['mx.a.test', 'mx.b.test'], 'a.test twice and c.test share one probe of mx.a.test');
  assert.equal(outcome.probesMade, 2);
  assert.deepEqual([outcome.stopped, outcome.unfinished], [null, 0]);
});

test('--server is a row like any other: one result, its input HOST:PORT, through the same prober', async () => {
  const probe = fakeProbe();
  const settings = checkOptions([], { ...RAW, server: '192.0.2.25:2525', name: 'mx.example.com' });
  const source = settings.source as { kind: 'server'; server: { host: string; port: number; name: string | null } };
  const { results } = await collect(serverRows(source.server), settings, { ...context({}, probe), resolver: null });
  assert.deepEqual(results.map((r) => [r.domain, r.input, r.level]), [['mx.example.com', '192.0.2.25:2525', 'verify']]);
  assert.deepEqual(probe.state.calls, ['mx.example.com']);
});

test('never more than --concurrency rows in flight; every row started is ended', async () => {
  const names = Array.from({ length: 12 }, (_, i) => `d${i}`);
  const probe = fakeProbe(() => 15);
  let inFlight = 0;
  let peak = 0;
  const settings = batch({ concurrency: '3' });
  const results: DomainResult[] = [];
  await runRows(names.map((n, i) => batchRow(i + 2, `${n}.test`)), settings, context(zone(names), probe), {
    result: (r) => results.push(r),
    started: () => (peak = Math.max(peak, ++inFlight)),
    ended: () => (inFlight -= 1),
  });
  assert.equal(results.length, 12);
  assert.equal(peak, 3);
  assert.equal(probe.state.peak, 3);
  assert.equal(inFlight, 0);
});

test('a closed output stops the run at once: no row starts after it, the rows in flight are ended and not handed on', async () => {
  const names = Array.from({ length: 10 }, (_, i) => `d${i}`);
  const probe = fakeProbe((t) => (t.host === 'mx.d0.test' ? 1 : 10_000));
  const stop = new RunStop();
  const results: DomainResult[] = [];
  const started = performance.now();
  const outcome = await runRows(names.map((n, i) => batchRow(i + 2, `${n}.test`)), batch({ concurrency: '3' }), context(zone(names), probe, stop), {
    result: (r) => {
      results.push(r);
      stop.request('broken-pipe'); // as the sink's failure listener does
    },
  });
  assert.ok(performance.now() - started < 2000, 'no grace period, no waiting for the probes in flight');
  assert.deepEqual(results.map((r) => r.domain), ['d0.test']);
  assert.equal(outcome.stopped, 'broken-pipe');
  assert.equal(outcome.unfinished, 2, 'the two rows still in flight');
  assert.ok(probe.state.calls.length <= 4, `${probe.state.calls.length} probes: none after the stop`);
  assert.equal(stop.abort.aborted, true, 'the probes in flight were ended');
});

test('a signal starts nothing more; the probes in flight that finish within the grace are handed on', async () => {
  const names = Array.from({ length: 8 }, (_, i) => `d${i}`);
  const stop = new RunStop();
  const probe = fakeProbe(() => {
    if (probe.state.calls.length === 2) stop.request('signal'); // both slots probing
    return 50;
  });
  const results: DomainResult[] = [];
  const outcome = await runRows(names.map((n, i) => batchRow(i + 2, `${n}.test`)), batch({ concurrency: '2' }), context(zone(names), probe, stop), {
    result: (r) => results.push(r),
  });
  assert.equal(outcome.stopped, 'signal');
  assert.deepEqual(results.map((r) => r.domain).sort(), ['d0.test', 'd1.test'], 'the two in flight finished within the grace');
  assert.deepEqual(results.map((r) => r.level), ['encrypt', 'encrypt'], 'and were not cut short (the certificate names mx.example.com)');
  assert.equal(outcome.unfinished, 0);
  assert.equal(probe.state.calls.length, 2, 'no probe after the signal');
});

test('a bug while gathering rejects the run with it, after ending the work in flight; its row gets no result', async () => {
  const stop = new RunStop();
  const results: DomainResult[] = [];
  const broken = async (): Promise<AddressFacts> => {
    throw new TypeError('a bug in mxprobe');
  };
  await assert.rejects(
    runRows([batchRow(2, 'a.test')], batch(), { ...context(zone(['a']), fakeProbe(), stop), probeAddress: broken }, { result: (r) => results.push(r) }),
    (err: unknown) => err instanceof TypeError && err.message === 'a bug in mxprobe',
  );
  assert.deepEqual(results, []);
  assert.equal(stop.abort.aborted, true);
});

test('a bug while handing a result on (rendering, writing) rejects the run with it, for a batch and for the command line, after ending the work in flight', async () => {
  for (const settings of [batch(), arguments_(['a.test', 'b.test'])]) {
    const stop = new RunStop();
    const rows = settings.source.kind === 'input' ? [batchRow(2, 'a.test'), batchRow(3, 'b.test')] : argumentRows([{ input: 'a.test', domain: 'a.test' }, { input: 'b.test', domain: 'b.test' }]);
    const hooks = {
      result: () => {
        throw new RangeError('a bug in a renderer');
      },
    };
    await assert.rejects(
      runRows(rows, settings, context(zone(['a', 'b']), fakeProbe(), stop), hooks),
      (err: unknown) => err instanceof RangeError && err.message === 'a bug in a renderer',
      settings.source.kind,
    );
    assert.equal(stop.abort.aborted, true, 'the work in flight is ended');
  }
});

test('a row source that fails rejects the run with its error', async () => {
  async function* failing(): AsyncGenerator<Row> {
    yield batchRow(2, 'a.test');
    throw new InputError('the input is not UTF-8');
  }
  await assert.rejects(collect(failing(), batch(), context(zone(['a']), fakeProbe())), InputError);
});

test('the settings are built once: every stage\'s options are derived from them', () => {
  const s = checkOptions(['a.example'], {
    ...RAW, timeout: '5', connectTimeout: '9', dnsTimeout: '2', tls: 'implicit', ehloName: 'probe.example', '4': true, resolver: '192.0.2.53:5353', allowSpecialAddresses: true, port: '2525', require: 'b,d', warnDays: '10', transcript: true,
  });
  const trust = makeTrustStore([]);
  const signal = new AbortController().signal;
  const probe = probeOptionsFor(s, trust, signal);
  assert.deepEqual({ ...probe, trust: null }, { timeoutMs: 5000, connectTimeoutMs: 5000, ehloName: 'probe.example', trust: null, signal, tlsMode: 'implicit' }, 'the connection deadline never exceeds --timeout');
  assert.equal('tlsMode' in probeOptionsFor(checkOptions(['a.example'], RAW), trust, signal), false, 'no --tls: by the port');
  const probeAddress = async () => addressFacts();
  const domain = domainOptionsFor(s, probe, probeAddress, signal);
  assert.deepEqual([domain.families, domain.port, domain.allowSpecialAddresses, domain.probe, domain.signal, domain.probeAddress], [{ ipv4: true, ipv6: false }, 2525, true, probe, signal, probeAddress]);
  assert.deepEqual(judgePolicyFor(s, null), { required: ['opportunistic', 'verify'], warnDays: 10, profile: 'ncsc' });
  assert.deepEqual(judgePolicyFor(s, requirement('none')), { required: ['plain'], warnDays: 10, profile: 'ncsc' }, "a row's own requirement wins");
  assert.deepEqual({ ...resolverOptionsFor(s), cacheSize: 0 }, { servers: ['192.0.2.53:5353'], timeoutMs: 2000, cacheSize: 0, maxInFlight: 64 });
  assert.equal(resolverOptionsFor(batch({ concurrency: '32' })).maxInFlight, 128, 'room for the MX and two TXT look-ups of every row in flight');
  assert.equal('servers' in resolverOptionsFor(checkOptions(['a.example'], RAW)), false, "no --resolver: the system's");
  const prober = proberOptionsFor(batch({ perHost: '3', retries: '2', retryDelay: '0.5' }), probe, signal);
  assert.deepEqual([prober.perHost, prober.retries, prober.retryDelayMs, prober.transcript, prober.stop], [3, 2, 500, false, signal]);
  assert.deepEqual([reportLayout(s), reportLayout(batch())], ['report', 'rows']);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTransient, ProbeStopped, SharedProber } from '../../src/probe/shared-prober.ts';
import type { AddressTarget, ProbeOptions } from '../../src/probe/probe-address.ts';
import type { AddressFacts } from '../../src/model/address.ts';
import { addressFacts, plainAddress } from '../helpers/facts.ts';

const PROBE = {} as ProbeOptions;
const target = (ip: string, host = 'mx.example.com'): AddressTarget => ({ host, ip, family: 4, port: 25 });
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('transient failures: 4xx, resets, timeouts; not refusals, protocol errors or missing STARTTLS', () => {
  const failed = (kind: AddressFacts['failure'] extends infer F ? (F extends { kind: infer K } ? K : never) : never, message: string, extra: Partial<AddressFacts> = {}) =>
    plainAddress({ failure: { stage: 'banner', kind, message }, ...extra });
  assert.equal(isTransient(failed('timeout', 'timeout while reading server greeting')), true);
  assert.equal(isTransient(failed('closed', 'server closed the connection')), true);
  assert.equal(isTransient(failed('connect', 'cannot connect to 192.0.2.1 port 25: ECONNRESET')), true);
  assert.equal(isTransient(failed('rejected', 'server refused the session with 421 busy', { banner: { code: 421, lines: ['busy'] } })), true);
  assert.equal(isTransient(failed('rejected', 'EHLO refused with 451 try later')), true);
  assert.equal(isTransient(addressFacts({ starttlsReply: { code: 454, lines: ['TLS not available'] }, tls: null, certificate: null })), true);
  assert.equal(isTransient(failed('rejected', 'server refused the session with 554 no', { banner: { code: 554, lines: ['no'] } })), false);
  assert.equal(isTransient(failed('protocol', 'reply line longer than 2048 bytes')), false);
  assert.equal(isTransient(plainAddress()), false);
  assert.equal(isTransient(addressFacts()), false);
});

test('each (host, ip, port) is probed once, concurrent askers share the probe in flight', async () => {
  let calls = 0;
  const prober = new SharedProber({
    probe: PROBE, perHost: 2, retries: 0, retryDelayMs: 0, transcript: false, cacheSize: 100,
    probeAddress: async (t) => {
      calls += 1;
      await tick(20);
      return addressFacts({ ip: t.ip, host: t.host });
    },
  });
  const results = await Promise.all([prober.probe(target('192.0.2.1')), prober.probe(target('192.0.2.1')), prober.probe(target('192.0.2.1'))]);
  assert.equal(calls, 1);
  assert.equal(results[0], results[2]);
  await prober.probe(target('192.0.2.1'));
  await prober.probe(target('192.0.2.1', 'other.example.com')); // another MX name: judged against it, so probed apart
  assert.equal(calls, 2);
  assert.equal(prober.distinct, 2);
  assert.equal(prober.connections, 2);
});

test('never more than --per-host connections to one IP, while other IPs proceed', async () => {
  const active = new Map<string, number>();
  const peak = new Map<string, number>();
  const prober = new SharedProber({
    probe: PROBE, perHost: 2, retries: 0, retryDelayMs: 0, transcript: false, cacheSize: 1000,
    probeAddress: async (t) => {
      active.set(t.ip, (active.get(t.ip) ?? 0) + 1);
      peak.set(t.ip, Math.max(peak.get(t.ip) ?? 0, active.get(t.ip)!));
      await tick(10);
      active.set(t.ip, active.get(t.ip)! - 1);
      return addressFacts({ ip: t.ip, host: t.host });
    },
  });
  const jobs = [];
  for (let i = 0; i < 30; i++) jobs.push(prober.probe(target('192.0.2.1', `mx${i}.example.com`)), prober.probe(target('192.0.2.2', `mx${i}.example.com`)));
  await Promise.all(jobs);
  assert.equal(peak.get('192.0.2.1'), 2);
  assert.equal(peak.get('192.0.2.2'), 2);
  assert.equal(prober.connections, 60);
});

test('a transient failure is retried with backoff and the attempts are counted; a lasting one is not', async () => {
  let calls = 0;
  const prober = new SharedProber({
    probe: PROBE, perHost: 1, retries: 2, retryDelayMs: 5, transcript: false, cacheSize: 100,
    probeAddress: async (t) => {
      calls += 1;
      if (t.ip === '192.0.2.9') return plainAddress({ ip: t.ip, failure: { stage: 'banner', kind: 'protocol', message: 'garbage' } });
      return calls < 3 ? plainAddress({ ip: t.ip, banner: { code: 421, lines: ['busy'] }, failure: { stage: 'banner', kind: 'rejected', message: 'refused with 421' } }) : addressFacts({ ip: t.ip });
    },
  });
  const started = performance.now();
  const facts = await prober.probe(target('192.0.2.1'));
  assert.equal(facts.attempts, 3);
  assert.equal(facts.failure, null);
  assert.ok(performance.now() - started >= 5 * 0.8 + 10 * 0.8, 'backed off 5 then 10 ms');
  const lasting = await prober.probe(target('192.0.2.9'));
  assert.equal(lasting.attempts, 1);
  assert.equal(prober.connections, 4);
});

test('retries stop after --retries; transcripts are dropped unless asked for', async () => {
  const prober = new SharedProber({
    probe: PROBE, perHost: 1, retries: 1, retryDelayMs: 0, transcript: false, cacheSize: 100,
    probeAddress: async (t) => plainAddress({ ip: t.ip, transcript: [{ dir: 'S', text: '421', ms: 1 }], failure: { stage: 'connect', kind: 'timeout', message: 'timeout while connecting' } }),
  });
  const facts = await prober.probe(target('192.0.2.1'));
  assert.equal(facts.attempts, 2);
  assert.equal(facts.transcript, undefined);
});

test('the cache forgets its oldest entries beyond its size', async () => {
  let calls = 0;
  const prober = new SharedProber({
    probe: PROBE, perHost: 4, retries: 0, retryDelayMs: 0, transcript: false, cacheSize: 2,
    probeAddress: async (t) => {
      calls += 1;
      return addressFacts({ ip: t.ip });
    },
  });
  for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.1']) await prober.probe(target(ip));
  assert.equal(calls, 4);
});

const busy = (ip: string) => plainAddress({ ip, banner: { code: 421, lines: ['busy'] }, failure: { stage: 'banner', kind: 'rejected', message: 'refused with 421' } });

test('after a stop: a wait for a free connection gives up at once, and nothing new starts', async () => {
  const stop = new AbortController();
  let calls = 0;
  let release = () => {};
  const prober = new SharedProber({
    probe: PROBE, perHost: 1, retries: 0, retryDelayMs: 0, transcript: false, cacheSize: 100, stop: stop.signal,
    probeAddress: async (t) => {
      calls += 1;
      await new Promise<void>((r) => (release = r));
      return addressFacts({ ip: t.ip });
    },
  });
  const first = prober.probe(target('192.0.2.1', 'a.example'));
  const waiting = prober.probe(target('192.0.2.1', 'b.example')); // same IP: waits for the slot
  await tick(10);
  assert.equal(calls, 1);
  const asked = performance.now();
  stop.abort();
  await assert.rejects(waiting, ProbeStopped);
  assert.ok(performance.now() - asked < 1000, 'woken at once');
  await assert.rejects(prober.probe(target('192.0.2.2')), ProbeStopped, 'a probe asked for after the stop does not start');
  release(); // the one in flight finishes normally (ending it is the probe signal's job)
  assert.equal((await first).failure, null);
  assert.equal(calls, 1);
});

test('after a stop: no retry; a backoff in progress is woken at once and gives up', async () => {
  const stop = new AbortController();
  let calls = 0;
  const prober = new SharedProber({
    probe: PROBE, perHost: 1, retries: 3, retryDelayMs: 60_000, transcript: false, cacheSize: 100, stop: stop.signal,
    probeAddress: async (t) => {
      calls += 1;
      return busy(t.ip);
    },
  });
  const sleeping = prober.probe(target('192.0.2.1'));
  await tick(20); // the first attempt failed transiently: now in a 60 s backoff
  const asked = performance.now();
  stop.abort();
  await assert.rejects(sleeping, ProbeStopped);
  assert.ok(performance.now() - asked < 1000, 'woken at once, not after the backoff');
  assert.equal(calls, 1, 'no retry');

  // An attempt that ends after the stop with a transient failure is not retried either.
  const stop2 = new AbortController();
  let calls2 = 0;
  let release = () => {};
  const prober2 = new SharedProber({
    probe: PROBE, perHost: 1, retries: 3, retryDelayMs: 0, transcript: false, cacheSize: 100, stop: stop2.signal,
    probeAddress: async (t) => {
      calls2 += 1;
      await new Promise<void>((r) => (release = r));
      return busy(t.ip);
    },
  });
  const inFlight = prober2.probe(target('192.0.2.1'));
  await tick(10);
  stop2.abort();
  release();
  await assert.rejects(inFlight, ProbeStopped);
  assert.equal(calls2, 1);
});

test('a stopped probe that nobody awaits is no unhandled rejection', async () => {
  const stop = new AbortController();
  stop.abort();
  const prober = new SharedProber({ probe: PROBE, perHost: 1, retries: 0, retryDelayMs: 0, transcript: false, cacheSize: 100, stop: stop.signal });
  let unhandled = 0;
  const onUnhandled = () => (unhandled += 1);
  process.on('unhandledRejection', onUnhandled);
  try {
    void prober.probe(target('192.0.2.1')).catch(() => undefined);
    prober.probe(target('192.0.2.1')); // the cached, rejected promise: asked again and dropped
    await tick(20);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  assert.equal(unhandled, 0);
});

test('beyond cacheSize the least recently asked-for address is forgotten: a host asked for all along stays', async () => {
  const probed: string[] = [];
  const prober = new SharedProber({
    probe: PROBE, perHost: 2, retries: 0, retryDelayMs: 0, transcript: false, cacheSize: 3,
    probeAddress: async (t) => {
      probed.push(t.ip);
      return addressFacts({ ip: t.ip, host: t.host });
    },
  });
  const hot = target('192.0.2.1');
  await prober.probe(hot);
  for (const ip of ['192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5']) {
    await prober.probe(target(ip));
    await prober.probe(hot); // a big provider: between every other domain
  }
  assert.deepEqual(probed, ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5'], 'the hot host was probed once');
  await prober.probe(target('192.0.2.2'));
  assert.equal(probed.at(-1), '192.0.2.2', 'a cold one, forgotten, is probed again');
});

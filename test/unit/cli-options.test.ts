import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkOptions, parseServerOption, UsageError, type RawOptions } from '../../src/cli/options.ts';
import { colorLevel } from '../../src/cli/color-level.ts';
import { exitCodeFor, exitCodeForCounts } from '../../src/cli/exit-codes.ts';
import { defaultEhloName } from '../../src/cli/run.ts';

const DEFAULTS: RawOptions = { port: '25', timeout: '30', connectTimeout: '10', dnsTimeout: '3', require: 'encrypt', warnDays: '30', format: 'text', color: true, concurrency: '32', perHost: '2', retries: '1', retryDelay: '1' };

test('defaults', () => {
  const s = checkOptions(['Example.COM.'], DEFAULTS);
  assert.deepEqual(s.domains, [{ input: 'Example.COM.', domain: 'example.com' }]);
  assert.equal(s.port, 25);
  assert.deepEqual(s.families, { ipv4: true, ipv6: true });
  assert.equal(s.timeoutMs, 30_000);
  assert.equal(s.required, 'encrypt');
  assert.equal(s.format, 'text');
});

test('duplicate domains are probed once', () => {
  assert.equal(checkOptions(['a.example', 'A.example.', 'x@a.example'], DEFAULTS).domains.length, 1);
});

test('-4 and -6 restrict the families', () => {
  assert.deepEqual(checkOptions(['a.example'], { ...DEFAULTS, '4': true }).families, { ipv4: true, ipv6: false });
  assert.deepEqual(checkOptions(['a.example'], { ...DEFAULTS, '6': true }).families, { ipv4: false, ipv6: true });
});

test('--input makes a batch with its defaults', () => {
  const s = checkOptions([], { ...DEFAULTS, input: 'partners.csv', shard: '2/8', resume: true, output: 'out.csv', format: 'csv' });
  assert.deepEqual(s.batch, { input: 'partners.csv', concurrency: 32, perHost: 2, retries: 1, retryDelayMs: 1000, shard: { index: 2, count: 8 }, resume: true });
  assert.equal(s.output, 'out.csv');
  assert.equal(s.format, 'csv');
});

test('--json is --format json', () => {
  assert.equal(checkOptions(['a.example'], { ...DEFAULTS, json: true }).format, 'json');
});

test('--server forms', () => {
  assert.deepEqual(parseServerOption('mx.example.com', 25), { host: 'mx.example.com', port: 25 });
  assert.deepEqual(parseServerOption('MX.example.com:2525', 25), { host: 'mx.example.com', port: 2525 });
  assert.deepEqual(parseServerOption('192.0.2.1:587', 25), { host: '192.0.2.1', port: 587 });
  assert.deepEqual(parseServerOption('[2001:db8::1]:26', 25), { host: '2001:db8::1', port: 26 });
  assert.deepEqual(parseServerOption('2001:db8::1', 25), { host: '2001:db8::1', port: 25 });
  const s = checkOptions([], { ...DEFAULTS, server: '127.0.0.1:2525', name: 'MX.test' });
  assert.deepEqual(s.server, { host: '127.0.0.1', port: 2525, name: 'mx.test' });
});

const BAD: Array<[string[], Partial<RawOptions>, RegExp]> = [
  [[], {}, /give a domain/],
  [['bad..name'], {}, /not a valid domain/],
  [['192.0.2.1'], {}, /--server/],
  [['a.example'], { port: '0' }, /--port/],
  [['a.example'], { port: '65536' }, /--port/],
  [['a.example'], { port: '25x' }, /--port/],
  [['a.example'], { timeout: '0' }, /--timeout/],
  [['a.example'], { timeout: 'soon' }, /--timeout/],
  [['a.example'], { dnsTimeout: '-3' }, /--dns-timeout/],
  [['a.example'], { require: 'dane' }, /--require/],
  [['a.example'], { warnDays: '-1' }, /--warn-days/],
  [['a.example'], { resolver: 'dns.example' }, /--resolver/],
  [['a.example'], { resolver: '127.0.0.1:99999' }, /--resolver/],
  [['a.example'], { format: 'xml' }, /--format/],
  [['a.example'], { ehloName: 'bad name\r\nMAIL FROM:<x>' }, /--ehlo-name/],
  [['a.example'], { server: 'mx.example' }, /not both/],
  [[], { server: 'mx.example:0' }, /port/],
  [['a.example'], { input: 'list.csv' }, /not several/],
  [[], { input: 'list.csv', concurrency: '0' }, /--concurrency/],
  [[], { input: 'list.csv', perHost: '101' }, /--per-host/],
  [[], { input: 'list.csv', retries: 'x' }, /--retries/],
  [[], { input: 'list.csv', shard: '5/4' }, /--shard/],
  [[], { input: 'list.csv', shard: '0/4' }, /--shard/],
  [['a.example'], { shard: '1/4' }, /--shard goes with --input/],
  [['a.example'], { resume: true }, /--resume goes with --input/],
  [['a.example'], { name: 'mx.example' }, /--name goes with --server/],
];
for (const [args, raw, pattern] of BAD) {
  test(`refuses ${JSON.stringify(args)} ${JSON.stringify(raw)}`, () => {
    assert.throws(() => checkOptions(args, { ...DEFAULTS, ...raw }), (err: unknown) => err instanceof UsageError && pattern.test(err.message) && !err.message.includes('\n'));
  });
}

test('colour: --no-color and NO_COLOR win, FORCE_COLOR forces, otherwise only on a terminal', () => {
  assert.equal(colorLevel(false, { FORCE_COLOR: '1' }, true, 8), 0);
  assert.equal(colorLevel(true, { NO_COLOR: '1' }, true, 8), 0);
  assert.equal(colorLevel(true, { NO_COLOR: '' }, true, 8), 2);
  assert.equal(colorLevel(true, { FORCE_COLOR: '1' }, false, 1), 1);
  assert.equal(colorLevel(true, { FORCE_COLOR: '3' }, false, 1), 3);
  assert.equal(colorLevel(true, { FORCE_COLOR: '0' }, true, 24), 0);
  assert.equal(colorLevel(true, {}, false, 24), 0);
  assert.equal(colorLevel(true, { TERM: 'dumb' }, true, 24), 0);
  assert.equal(colorLevel(true, {}, true, 4), 1);
  assert.equal(colorLevel(true, {}, true, 24), 3);
});

test('exit codes: any failure is 1, else any unknown is 3, else 0', () => {
  assert.equal(exitCodeFor([true, true]), 0);
  assert.equal(exitCodeFor([true, null]), 3);
  assert.equal(exitCodeFor([null, false]), 1);
  assert.equal(exitCodeFor([]), 0);
});

test('EHLO name: this host when it is an FQDN, else none (the prober sends an address literal)', () => {
  assert.equal(defaultEhloName('Probe.Example.com'), 'probe.example.com');
  assert.equal(defaultEhloName('localhost'), null);
  assert.equal(defaultEhloName('box_1.lan'), null);
});

test('exit codes from counts follow the same rule', () => {
  assert.equal(exitCodeForCounts(0, 0), 0);
  assert.equal(exitCodeForCounts(0, 2), 3);
  assert.equal(exitCodeForCounts(1, 2), 1);
});

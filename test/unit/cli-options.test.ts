import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkOptions, COMMAND_LINE_RUN, defaultEhloName, parseServerOption, UsageError, type RawOptions } from '../../src/cli/options.ts';
import { colorLevel } from '../../src/cli/color-level.ts';
import { exitCodeFor, exitCodeForCounts } from '../../src/cli/exit-codes.ts';

const DEFAULTS: RawOptions = { port: '25', timeout: '30', connectTimeout: '10', dnsTimeout: '3', require: 'encrypt', deepDelay: '0', profile: 'ncsc', warnDays: '30', format: 'text', color: true, concurrency: '32', perHost: '2', retries: '1', retryDelay: '1' };

test('defaults', () => {
  const s = checkOptions(['Example.COM.'], DEFAULTS);
  assert.deepEqual(s.source, { kind: 'arguments', domains: [{ input: 'Example.COM.', domain: 'example.com' }] });
  assert.equal(s.port, 25);
  assert.deepEqual(s.families, { ipv4: true, ipv6: true });
  assert.equal(s.timeoutMs, 30_000);
  assert.deepEqual(s.required, ['tls-required']);
  assert.equal(s.format, 'text');
});

test('duplicate domains are probed once', () => {
  const { source } = checkOptions(['a.example', 'A.example.', 'x@a.example'], DEFAULTS);
  assert.deepEqual(source, { kind: 'arguments', domains: [{ input: 'x@a.example', domain: 'a.example' }] });
});

test('-4 and -6 restrict the families', () => {
  assert.deepEqual(checkOptions(['a.example'], { ...DEFAULTS, '4': true }).families, { ipv4: true, ipv6: false });
  assert.deepEqual(checkOptions(['a.example'], { ...DEFAULTS, '6': true }).families, { ipv4: false, ipv6: true });
});

test('--input makes a batch with its defaults', () => {
  const s = checkOptions([], { ...DEFAULTS, input: 'partners.csv', shard: '2/8', resume: true, output: 'out.csv', format: 'csv' });
  assert.deepEqual(s.source, { kind: 'input', path: 'partners.csv', shard: { index: 2, count: 8 }, resume: true });
  assert.deepEqual([s.concurrency, s.perHost, s.retries, s.retryDelayMs], [32, 2, 1, 1000]);
  assert.equal(s.output, 'out.csv');
  assert.equal(s.format, 'csv');
});

test('the command line runs with fixed runner values (the batch options are refused there): no retry', () => {
  for (const s of [checkOptions(['a.example'], DEFAULTS), checkOptions([], { ...DEFAULTS, server: 'mx.example' })]) {
    assert.deepEqual([s.concurrency, s.perHost, s.retries, s.retryDelayMs], [COMMAND_LINE_RUN.concurrency, COMMAND_LINE_RUN.perHost, 0, 0]);
  }
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
  assert.deepEqual(s.source, { kind: 'server', server: { host: '127.0.0.1', port: 2525, name: 'mx.test' } });
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
  [['a.example'], { require: 'tlsa' }, /--require/],
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
  // Item 18: values below the floor used to round to 0 ms, so that everything timed out.
  [['a.example'], { timeout: '0.0001' }, /--timeout .*at least 0\.1/],
  [['a.example'], { connectTimeout: '0.05' }, /--connect-timeout .*at least 0\.1/],
  [['a.example'], { dnsTimeout: '0.0004' }, /--dns-timeout .*at least 0\.1/],
  [[], { input: 'list.csv', retryDelay: '0.0004' }, /--retry-delay .*0\.01/],
  [[], { input: 'list.csv', retryDelay: '-1' }, /--retry-delay/],
  // Item 18: a --server that is not an IP address or a host name is a usage error, not a probe.
  [[], { server: '[]:25' }, /--server "\[\]:25"/],
  [[], { server: '[]' }, /--server/],
  [[], { server: 'a\r\nb' }, /--server "a\\x0d\\x0ab"/],
  [[], { server: 'bad host!' }, /--server "bad host!"/],
  [[], { server: 'bad_host!:25' }, /--server/],
  [[], { server: ':25' }, /--server ":25" has no host/],
  [[], { server: '' }, /--server/],
  [[], { server: 'mx.example:' }, /--server port/],
  [[], { server: 'mx.example:70000' }, /--server port/],
  [[], { server: 'mx.example:25:26' }, /--server/],
  [[], { server: '[mx.example]:25' }, /--server/],
  [[], { server: '[192.0.2.1]:25' }, /--server/],
  [[], { server: '[2001:db8::zz]:25' }, /--server/],
  [[], { server: '[2001:db8::1]x' }, /--server/],
  [[], { server: 'ops@mx.example' }, /--server/],
  [[], { server: 'mx..example' }, /--server/],
  [[], { server: '192.0.2' }, /--server/],
  [[], { server: `${'a'.repeat(64)}.example` }, /--server/],
  [[], { server: ' mx.example' }, /--server/],
  [['a.example'], { name: 'mx.example' }, /--name goes with --server/],
];
// Batch-only options are refused without --input, as --shard always was: given in single
// mode they would be silently ignored.
const BATCH_ONLY: Array<[Partial<RawOptions>, string]> = [
  [{ concurrency: '8' }, '--concurrency'],
  [{ perHost: '4' }, '--per-host'],
  [{ retries: '0' }, '--retries'],
  [{ retryDelay: '2' }, '--retry-delay'],
  [{ shard: '1/2' }, '--shard'],
  [{ resume: true }, '--resume'],
  [{ quiet: true }, '--quiet'],
];
for (const [raw, flag] of BATCH_ONLY) {
  BAD.push([['a.example'], raw, new RegExp(`^${flag} goes with --input`)]);
  BAD.push([[], { ...raw, server: 'mx.example' }, new RegExp(`^${flag} goes with --input`)]);
}
for (const [args, raw, pattern] of BAD) {
  test(`refuses ${JSON.stringify(args)} ${JSON.stringify(raw)}`, () => {
    assert.throws(() => checkOptions(args, { ...DEFAULTS, ...raw }), (err: unknown) => err instanceof UsageError && pattern.test(err.message) && !err.message.includes('\n'));
  });
}

test('--server: IP literals and host names are accepted, lower-cased, IDN as A-labels', () => {
  assert.deepEqual(parseServerOption('localhost', 25), { host: 'localhost', port: 25 });
  assert.deepEqual(parseServerOption('Mx.Example.', 25), { host: 'mx.example', port: 25 });
  assert.deepEqual(parseServerOption('mx-1.b\u00fccher.example:2525', 25), { host: 'mx-1.xn--bcher-kva.example', port: 2525 });
  assert.deepEqual(parseServerOption('::1', 25), { host: '::1', port: 25 });
  assert.deepEqual(parseServerOption('[::1]', 587), { host: '::1', port: 587 });
  assert.deepEqual(parseServerOption('[2001:DB8::1]:2525', 25), { host: '2001:db8::1', port: 2525 });
  assert.deepEqual(parseServerOption('127.0.0.1', 26), { host: '127.0.0.1', port: 26 });
});

test('deadlines: floors of 0.1 s (0.01 s for --retry-delay, which may also be 0), in whole milliseconds', () => {
  const s = checkOptions(['a.example'], { ...DEFAULTS, timeout: '0.1', connectTimeout: '0.1', dnsTimeout: '0.25' });
  assert.deepEqual([s.timeoutMs, s.connectTimeoutMs, s.dnsTimeoutMs], [100, 100, 250]);
  const batch = (retryDelay: string) => checkOptions([], { ...DEFAULTS, input: 'list.csv', retryDelay }).retryDelayMs;
  assert.equal(batch('0'), 0);
  assert.equal(batch('0.01'), 10);
  assert.equal(batch('1.5'), 1500);
});

test('batch-only options at their default values are not "given": the CLI says which were (commander\'s value source)', () => {
  assert.doesNotThrow(() => checkOptions(['a.example'], DEFAULTS));
  assert.doesNotThrow(() => checkOptions(['a.example'], { ...DEFAULTS, concurrency: '8' }, () => false));
  assert.throws(() => checkOptions(['a.example'], DEFAULTS, (key) => key === 'concurrency'), /^Error: --concurrency goes with --input/);
});

/** What a terminal must never receive raw: C0 (but the line end), DEL, C1, bidi controls and other invisible format characters. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/;
const HOSTILE = ['x\u001b[2J\u001b]0;t\u0007\u0085\u009b31m\u007f\u202e\u2066y\r\nz', `x${'\u009b\u001b\u202e'.repeat(1000)}${'y'.repeat(2000)}`];

test('every option value and argument that a message quotes is sanitised and kept to one short line', () => {
  // Each string option with what it needs around it to be checked at all.
  const cases: Array<[string, (v: string) => [string[], Partial<RawOptions>]]> = [
    ['DOMAIN', (v) => [[v], {}]],
    ['DOMAIN (e-mail)', (v) => [[`ops@${v}`], {}]],
    ['--server', (v) => [[], { server: v }]],
    ['--server port', (v) => [[], { server: `mx.example:${v}` }]],
    ['--name', (v) => [[], { server: 'mx.example', name: v }]],
    ['--port', (v) => [['a.example'], { port: v }]],
    ['--resolver', (v) => [['a.example'], { resolver: v }]],
    ['--ehlo-name', (v) => [['a.example'], { ehloName: v }]],
    ['--timeout', (v) => [['a.example'], { timeout: v }]],
    ['--connect-timeout', (v) => [['a.example'], { connectTimeout: v }]],
    ['--dns-timeout', (v) => [['a.example'], { dnsTimeout: v }]],
    ['--require', (v) => [['a.example'], { require: v }]],
    ['--warn-days', (v) => [['a.example'], { warnDays: v }]],
    ['--format', (v) => [['a.example'], { format: v }]],
    ['--concurrency', (v) => [[], { input: 'l.csv', concurrency: v }]],
    ['--per-host', (v) => [[], { input: 'l.csv', perHost: v }]],
    ['--retries', (v) => [[], { input: 'l.csv', retries: v }]],
    ['--retry-delay', (v) => [[], { input: 'l.csv', retryDelay: v }]],
    ['--shard', (v) => [[], { input: 'l.csv', shard: v }]],
  ];
  for (const [what, make] of cases) {
    for (const value of HOSTILE) {
      const [args, raw] = make(value);
      let message = '';
      assert.throws(
        () => checkOptions(args, { ...DEFAULTS, ...raw }),
        (err: unknown) => {
          message = err instanceof Error ? err.message : '';
          return err instanceof UsageError;
        },
        what,
      );
      assert.doesNotMatch(message, UNSAFE, `${what}: ${JSON.stringify(message.slice(0, 200))}`);
      assert.ok(message.length < 400, `${what}: a message of ${message.length} characters`);
      assert.match(message, /\\x1b|\\x9b|\\u202e/, `${what}: the value is shown escaped, not dropped: ${message.slice(0, 200)}`);
    }
  }
});

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

test('--require names one or several sender policies: letters, ids or the level names, comma-separated', () => {
  const cases: Array<[string, string[]]> = [
    ['none', ['plain']],
    ['encrypt', ['tls-required']],
    ['verify', ['verify']],
    ['a', ['plain']],
    ['B', ['opportunistic']],
    ['opportunistic', ['opportunistic']],
    ['TLS-required', ['tls-required']],
    ['d, b', ['opportunistic', 'verify']],
    ['verify,encrypt,c', ['tls-required', 'verify']],
    ['dane', ['dane']],
    ['MTA-STS', ['mta-sts']],
    ['f, e, verify', ['verify', 'dane', 'mta-sts']],
  ];
  for (const [text, ids] of cases) assert.deepEqual(checkOptions(['a.example'], { ...DEFAULTS, require: text }).required, ids, text);
  // +graded: also nothing graded insufficient; it needs what else the server accepts, so --deep comes on.
  const graded = checkOptions(['a.example'], { ...DEFAULTS, require: 'verify + Graded' });
  assert.deepEqual([graded.required, graded.graded, graded.deep], [['verify'], true, { delayMs: 0 }]);
  const plain = checkOptions(['a.example'], { ...DEFAULTS, require: 'verify' });
  assert.deepEqual([plain.graded, plain.deep], [false, null]);
  // --profile and --deep-delay say how deep facts are judged or gathered: without any, refused rather than ignored.
  assert.throws(() => checkOptions(['a.example'], { ...DEFAULTS, profile: 'mozilla-intermediate' }), /^Error: --profile goes with --deep/);
  assert.throws(() => checkOptions(['a.example'], { ...DEFAULTS, deepDelay: '100' }), /^Error: --deep-delay goes with --deep/);
  assert.equal(checkOptions(['a.example'], { ...DEFAULTS, deep: true, profile: 'mozilla-intermediate', deepDelay: '100' }).profile, 'mozilla-intermediate');
  assert.throws(() => checkOptions(['a.example'], { ...DEFAULTS, deep: true, profile: 'ssllabs' }), /--profile must be one of ncsc, mozilla-intermediate/);
  assert.throws(() => checkOptions(['a.example'], { ...DEFAULTS, deep: true, deepDelay: '-1' }), /--deep-delay must be a whole number/);
  for (const bad of ['', 'tlsa', 'g', 'c,,d', 'c,', 'encrypt;verify', '+graded', 'verify+grade', 'verify+graded+graded']) {
    assert.throws(() => checkOptions(['a.example'], { ...DEFAULTS, require: bad }), (err: Error) => {
      assert.ok(err instanceof UsageError);
      assert.match(err.message, /^--require must name sender policies \(none, encrypt, verify, a–f, plain, opportunistic, tls-required, dane, mta-sts; several comma-separated\), optionally followed by \+graded, not "/);
      return true;
    }, bad);
  }
});

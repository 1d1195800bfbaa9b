// Bad command lines: the real CLI exits 2 with one line on stderr, probes nothing and never
// shows a stack trace. No network is involved (a bad option is rejected before any look-up).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, runCli, type CliRun } from '../helpers/run-cli.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';

/** A stack frame as Node prints it ("    at fn (file:1:2)"). */
const STACK_FRAME = /^\s+at .+[(:]/m;

function assertUsageError(run: CliRun, mentions: RegExp): void {
  assert.equal(run.code, 2, `exit code; stderr: ${run.stderr}`);
  assert.equal(run.stdout, '', 'nothing on stdout');
  const lines = run.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${JSON.stringify(run.stderr)}`);
  assert.match(lines[0] ?? '', /^mxprobe: /);
  assert.match(run.stderr, mentions);
  assert.doesNotMatch(run.stderr + run.stdout, STACK_FRAME, 'no stack trace');
  assert.doesNotMatch(run.stderr, /internal error/);
}

describe('usage errors exit 2 with a one-line message and no stack trace', { concurrency: true }, () => {
  // A resolver that cannot be reached: if a case wrongly got as far as probing, it would fail
  // differently (exit 3, output on stdout) instead of hanging on the system resolver.
  const noNet = ['--resolver', '127.0.0.1:9', '--timeout', '1', '--connect-timeout', '1'];
  const cases: Array<[string, string[], RegExp]> = [
    ['an invalid domain', ['bad..name'], /"bad\.\.name" is not a valid domain name/],
    ['an IP address given as a domain', ['192.0.2.1'], /--server/],
    ['an unknown --require level', ['--require', 'bogus', 'example.test'], /--require .*"bogus"/],
    ['--port 0', ['--port', '0', 'example.test'], /--port must be a port number/],
    ['--port out of range', ['--port', '70000', 'example.test'], /--port/],
    ['a --resolver that is not an IP', ['--resolver', 'nonsense', 'example.test'], /--resolver .*"nonsense"/],
    ['a --ca-file that does not exist', ['--ca-file', '/nonexistent/ca.pem', 'example.test'], /--ca-file .*ENOENT/],
    ['a --ca-file that is not PEM', ['--ca-file', '/etc/hostname', 'example.test'], /--ca-file .*no PEM/],
    ['a --ca-file that never ends (/dev/zero): read at most 16 MiB of it', ['--ca-file', '/dev/zero', 'example.test'], /--ca-file "\/dev\/zero" is larger than 16 MiB/],
    ['no arguments at all', [], /give a domain/],
    ['--timeout 0', ['--timeout', '0', 'example.test'], /--timeout/],
    ['a negative --warn-days', ['--warn-days', '-1', 'example.test'], /--warn-days/],
    ['--name without --server', ['--name', 'mx.test', 'example.test'], /--name goes with --server/],
    ['both domains and --server', ['--server', '127.0.0.1', 'example.test'], /either domains or --server/],
    ['a --server port of 0', ['--server', '127.0.0.1:0'], /--server port/],
    ['an --output that cannot be written (before any probe)', ['--output', '/nonexistent/dir/report.json', '--json', 'example.test'], /cannot write --output .*ENOENT/],
    ['a batch --output that cannot be written', ['--input', '/etc/hostname', '--output', '/nonexistent/dir/audit.csv', '--format', 'csv'], /cannot write --output .*ENOENT/],
    ['a batch --input that does not exist', ['--input', '/nonexistent/partners.csv'], /cannot read --input .*ENOENT/],
    ['--shard without --input', ['--shard', '1/2', 'example.test'], /--shard goes with --input/],
    // Item 18: below the floors, deadlines rounded to 0 ms and everything timed out.
    ['--timeout 0.0001', ['--timeout', '0.0001', 'example.test'], /--timeout .*at least 0\.1/],
    ['--dns-timeout 0.0004', ['--dns-timeout', '0.0004', 'example.test'], /--dns-timeout .*at least 0\.1/],
    ['--connect-timeout 0.01', ['--connect-timeout', '0.01', 'example.test'], /--connect-timeout .*at least 0\.1/],
    ['--retry-delay 0.0001', ['--input', '/etc/hostname', '--retry-delay', '0.0001'], /--retry-delay/],
    // Item 18: --server values that are not an IP address or a host name were probed (exit 1).
    ['--server []:25', ['--server', '[]:25'], /--server "\[\]:25"/],
    ['--server with CR LF', ['--server', 'a\r\nb'], /--server "a\\x0d\\x0ab"/],
    ["--server 'bad host!'", ['--server', 'bad host!'], /--server "bad host!" contains spaces/],
    ["--server 'bad_host!'", ['--server', 'bad_host!'], /--server "bad_host!" is not an IP address or a host name/],
    ['--server with no host', ['--server', ':25'], /has no host/],
    ['--server with a port out of range', ['--server', 'mx.example:65536'], /--server port/],
    ['--server [v6] without a valid address', ['--server', '[2001:db8::g]:25'], /--server/],
    ['--server with an IPv4 address in brackets', ['--server', '[127.0.0.1]:25'], /--server/],
    // Batch-only options were accepted and ignored without --input; --shard always was refused.
    ['--concurrency without --input', ['--concurrency', '8', 'example.test'], /--concurrency goes with --input/],
    ['--per-host without --input', ['--per-host', '2', 'example.test'], /--per-host goes with --input/],
    ['--retries without --input', ['--retries', '1', 'example.test'], /--retries goes with --input/],
    ['--retry-delay without --input', ['--retry-delay', '1', 'example.test'], /--retry-delay goes with --input/],
    ['--resume without --input', ['--resume', 'example.test'], /--resume goes with --input/],
    ['--quiet without --input', ['--quiet', 'example.test'], /--quiet goes with --input/],
    ['-q without --input', ['-q', '--server', '127.0.0.1:9'], /--quiet goes with --input/],
  ];
  for (const [what, args, mentions] of cases) {
    test(what, async () => {
      // noNet first: a later option of the same name (the case's own) wins.
      const extra = args.length === 0 || args.includes('--resolver') ? [] : noNet;
      assertUsageError(await runCli([...extra, ...args]), mentions);
    });
  }

  test('commander errors (unknown option) also exit 2 without a stack trace', async () => {
    const run = await runCli(['--bogus', 'example.test']);
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /unknown option '--bogus'/);
    assert.doesNotMatch(run.stderr, STACK_FRAME);
  });

  test('`mxprobe help` and `mxprobe help headers` show help: they do not probe a domain called help', async () => {
    // noNet first: were "help" taken for a domain, its look-up would go to a closed loopback port.
    const [help, headers] = await Promise.all([runCli([...noNet, 'help']), runCli([...noNet, 'help', 'headers'])]);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Usage: mxprobe /);
    assert.equal(help.stderr, '');
    assert.equal(headers.code, 0, headers.stderr);
    assert.match(headers.stdout, /^Usage: mxprobe headers /);
  });

  test('--help lists every exit code, and so does the README', async () => {
    const help = await runCli(['--help']);
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const table = /## Exit codes\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
    const helpCodes = /Exit codes:\n([\s\S]*?)\n\n/.exec(help.stdout)?.[1] ?? '';
    for (const [name, code] of Object.entries(EXIT)) {
      assert.match(helpCodes, new RegExp(`^  ${code} +\\S`, 'm'), `--help explains exit ${code} (${name})`);
      assert.match(table, new RegExp(`^\\| ${code} \\| \\S`, 'm'), `README explains exit ${code} (${name})`);
    }
  });

  test('--help says which sender policies are meant', async () => {
    const help = await runCli(['--help']);
    const text = help.stdout.replace(/\s+/g, ' '); // commander wraps the description
    assert.doesNotMatch(text, /seed FAQ/);
    assert.match(text, /sender policies of the partner TLS FAQs/);
  });

  test('--help and --version exit 0', async () => {
    const [help, version] = await Promise.all([runCli(['--help']), runCli(['--version'])]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Exit codes:/);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\s*$/);
  });
});

// Bad command lines: the real CLI exits 2 with one line on stderr, probes nothing and never
// shows a stack trace. No network is involved (a bad option is rejected before any look-up).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runCli, type CliRun } from '../helpers/run-cli.ts';

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

  test('--help and --version exit 0', async () => {
    const [help, version] = await Promise.all([runCli(['--help']), runCli(['--version'])]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Exit codes:/);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\s*$/);
  });
});

// Item 17: every string the CLI shows a person passes through the one sanitiser. A hostile value
// (ESC, BEL, C1 controls, DEL, bidi overrides, CR/LF, 5,000 characters) is given to every option
// and argument of the real CLI, read from `mxprobe --help` and `mxprobe headers --help` so that
// a new option is covered without touching this file, and to the values commander itself
// reports (unknown options, bad choices). stdout and stderr must hold no raw control, DEL, C1
// or bidi character; the error is one `mxprobe: ` line; the exit code is 2 (nothing probed).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, type CliRun } from '../helpers/run-cli.ts';

/** What a terminal must never receive raw: C0 controls but LF, DEL, C1, bidi and other invisible format characters. */
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/;

/**
 * Starts with '/nonexistent/' so that options taking a path name no file that exists (nothing
 * is created or read), and not with '-' so that commander takes it as the option's value.
 */
const HOSTILE: Record<string, string> = {
  controls: '/nonexistent/\u001b[2J\u001b]0;title\u0007\u0085\u009b31m\u007f\u202eevil\u2066\u2069X\r\nY\rZ',
  '5,000 characters': `/nonexistent/${'\u009b\u001b[1m\u202e\u0007'.repeat(1000)}`,
};

interface HelpOption {
  flags: string[];
  /** The option takes a value (`--x <value>`). */
  value: boolean;
  description: string;
}

/** The options a command's --help lists, with the first line of each description. */
function helpOptions(help: string): HelpOption[] {
  const section = /\nOptions:\n([\s\S]*?)\n(?:\n|$)/.exec(help)?.[1] ?? '';
  const options: HelpOption[] = [];
  for (const line of section.split('\n')) {
    const m = /^ {2}((?:-[\w-]+, )*-[\w-]+)( <[^>]+>)?\s{2,}(.*)$/.exec(line);
    if (m !== null) options.push({ flags: m[1]!.split(', '), value: m[2] !== undefined, description: m[3]! });
  }
  return options;
}

/**
 * `stdout: 'json'`: a JSON report may stand on stdout (`headers --json` reports an unreadable
 * file in its `inputs`), escaped like all JSON; otherwise nothing may.
 */
function assertSafe(run: CliRun, what: string, exit = 2, stdout: 'none' | 'json' = 'none'): void {
  const shown = JSON.stringify((run.stderr + run.stdout).slice(0, 300));
  assert.equal(run.signal, null, `${what}: killed`);
  assert.doesNotMatch(run.stdout, UNSAFE, `${what}: stdout ${shown}`);
  assert.doesNotMatch(run.stderr, UNSAFE, `${what}: stderr ${shown}`);
  assert.equal(run.code, exit, `${what}: exit code; ${shown}`);
  if (stdout === 'json') assert.doesNotThrow(() => run.stdout === '' || JSON.parse(run.stdout), `${what}: stdout is JSON`);
  else assert.equal(run.stdout, '', `${what}: nothing on stdout`);
  assert.match(run.stderr, /^mxprobe: [^\n]*\n$/, `${what}: one line on stderr, got ${shown}`);
  // errorLine() keeps 1,000 characters of a message, each shown escaped in up to 6.
  assert.ok(run.stderr.length <= 6100, `${what}: ${run.stderr.length} characters on stderr`);
}

let dir: string;
let list: string;
let probeHelp: string;
let headersHelp: string;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mxprobe-hostile-'));
  list = path.join(dir, 'list.txt');
  writeFileSync(list, 'example.test\n');
  const [a, b] = await Promise.all([runCli(['--help']), runCli(['headers', '--help'])]);
  probeHelp = a.stdout;
  headersHelp = b.stdout;
});

after(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

// A resolver that cannot be reached: a case that wrongly got as far as probing would fail
// with exit 3 rather than ask the system resolver.
const NO_NET = ['--resolver', '127.0.0.1:9', '--timeout', '1', '--connect-timeout', '1'];

/** The command line that makes mxprobe check `value` as the value of `option`. */
function probeArgs(option: HelpOption, value: string): string[] {
  const flag = option.flags.at(-1)!;
  const given = [flag, value]; // after a flag (no value), the value becomes a domain argument
  if (option.description.startsWith('batch:')) return [...NO_NET, '--input', list, ...given];
  if (option.description.startsWith('with --server:')) return [...NO_NET, '--server', '127.0.0.1:9', ...given];
  if (flag === '--server' || flag === '--input') return [...NO_NET, ...given];
  return [...NO_NET, ...given, 'example.test'];
}

/** Options that print something and exit 0 whatever follows them. */
const INFORMATIONAL = new Set(['--help', '--version']);

describe('hostile values in every option and argument are shown sanitised, on one line', { concurrency: 4 }, () => {
  test('the option list is read from --help', () => {
    const probe = helpOptions(probeHelp).map((o) => o.flags.at(-1));
    for (const flag of ['--server', '--name', '--resolver', '--ca-file', '--output', '--input', '--shard', '--retry-delay', '--dns-timeout']) {
      assert.ok(probe.includes(flag), `${flag} found in --help`);
    }
    assert.deepEqual(
      helpOptions(headersHelp).map((o) => o.flags.at(-1)),
      ['--format', '--json', '--no-color', '--help'],
    );
  });

  for (const [kind, value] of Object.entries(HOSTILE)) {
    test(`every option of mxprobe --help (${kind})`, async () => {
      const options = helpOptions(probeHelp).filter((o) => !INFORMATIONAL.has(o.flags.at(-1)!));
      assert.ok(options.length >= 25, `${options.length} options`);
      for (const option of options) {
        const args = probeArgs(option, value);
        assertSafe(await runCli(args), `${option.flags.join(', ')} ${kind}`);
      }
    });

    test(`every option of mxprobe headers --help, and its FILE (${kind})`, async () => {
      for (const option of helpOptions(headersHelp).filter((o) => !INFORMATIONAL.has(o.flags.at(-1)!))) {
        const flag = option.flags.at(-1)!;
        // A flag: the value becomes the FILE argument, which cannot be read.
        assertSafe(await runCli(['headers', flag, value]), `headers ${flag} ${kind}`, 2, flag === '--json' || flag === '--format' ? 'json' : 'none');
      }
      assertSafe(await runCli(['headers', value]), `headers FILE ${kind}`);
    });

    test(`arguments and commander's own messages (${kind})`, async () => {
      const cases: Array<[string, string[]]> = [
        ['a domain argument', [...NO_NET, value]],
        ['an e-mail address argument', [...NO_NET, `ops@${value}`]],
        ['a --server host', [...NO_NET, '--server', `mx${value}:25`]],
        ['a --server port', [...NO_NET, '--server', `mx.example:${value}`]],
        ['a --server IPv6 literal', [...NO_NET, '--server', `[${value}]:25`]],
        ['a --ca-file path', [...NO_NET, '--ca-file', value, 'example.test']],
        ['an --output path', [...NO_NET, '--output', value, '--json', 'example.test']],
        ['a batch --output path', [...NO_NET, '--input', list, '--output', value, '--format', 'csv']],
        ['an --input path', [...NO_NET, '--input', value]],
        ['an unknown option', [...NO_NET, `--x${value}`, 'example.test']],
        ['an unknown headers option', ['headers', `--x${value}`]],
        ['a --format choice', [...NO_NET, '--format', value, 'example.test']],
        ['a headers --format choice', ['headers', '--format', value]],
        ['a --shard of a batch', [...NO_NET, '--input', list, '--shard', value]],
      ];
      for (const [what, args] of cases) assertSafe(await runCli(args), `${what} ${kind}`);
    });
  }
});

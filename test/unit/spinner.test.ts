// The terminal spinner (cli/spinner.ts) on terminals of every width, run in a child process
// (test/helpers/spinner-child.ts) because the failure this guards against is a loop that never
// returns: a 0-column terminal once made ora clear "Infinity" lines (16 MB in 40 s, no exit).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ROOT } from '../helpers/run-cli.ts';
import { replay } from '../helpers/terminal.ts';
import { MIN_SPINNER_COLUMNS, spinnerTextWidth } from '../../src/cli/spinner.ts';
import { probingText } from '../../src/render/probing-text.ts';
import { RowsInFlight } from '../../src/cli/progress.ts';

const CHILD = path.join(ROOT, 'test', 'helpers', 'spinner-child.ts');
/** Far more than a working spinner writes in a few seconds (~40 frames of < 200 bytes each). */
const MAX_BYTES = 256 * 1024;
/** Generous: both cores may be busy with other suites. */
const KILL_MS = 30_000;

interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  bytes: number;
  phases: boolean[] | null;
}

function runChild(columns: number[], ms = 1500): Promise<ChildRun> {
  const env: Record<string, string | undefined> = { ...process.env, TERM: 'xterm-256color' };
  delete env.CI; // ora's own check would turn it off in CI; the spinner module is told its env explicitly
  delete env.NODE_TEST_CONTEXT;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify({ columns, ms })], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let bytes = 0;
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      bytes += Buffer.byteLength(c);
      if (bytes <= 4 * MAX_BYTES) stderr += c; // a runaway child must not fill the test's memory
      else child.kill('SIGKILL');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), KILL_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').at(-1) ?? '';
      let phases: boolean[] | null = null;
      try {
        phases = (JSON.parse(line) as { spinner: boolean[] }).spinner;
      } catch {
        phases = null;
      }
      resolve({ code, signal, stderr, bytes, phases });
    });
  });
}

function assertExitedBounded(run: ChildRun, what: string): void {
  assert.equal(run.signal, null, `${what}: the child had to be killed (${run.bytes} bytes written)`);
  assert.equal(run.code, 0, `${what}: exit code; output tail: ${JSON.stringify(run.stderr.slice(-300))}`);
  assert.ok(run.bytes < MAX_BYTES, `${what}: ${run.bytes} bytes on the terminal`);
}

/** Every "row N" line printed through around() is on the screen, intact and in order. */
function assertRowsIntact(lines: string[], what: string): void {
  const rows = lines.filter((l) => /^row \d+$/.test(l));
  assert.ok(rows.length > 3, `${what}: rows printed`);
  rows.forEach((r, i) => assert.equal(r, `row ${i + 1}`, `${what}: row ${i + 1} kept`));
}

describe('the spinner on terminals of any width', { concurrency: true }, () => {
  for (const columns of [0, 1, 20]) {
    test(`${columns} columns: no spinner (plain progress instead), and the program exits`, async () => {
      const run = await runChild([columns]);
      assertExitedBounded(run, `${columns} columns`);
      assert.deepEqual(run.phases, [false], 'no spinner drawn');
      assert.doesNotMatch(run.stderr, /\u001b\[\d*[AGK]/, 'no cursor movement or erasing');
    });
  }

  for (const columns of [MIN_SPINNER_COLUMNS, 80, 132]) {
    test(`${columns} columns: frames never wrap and never erase a result line`, async () => {
      const run = await runChild([columns]);
      assertExitedBounded(run, `${columns} columns`);
      assert.deepEqual(run.phases, [true], 'a spinner was drawn');
      const screen = replay(run.stderr, columns);
      assert.deepEqual(screen.wraps, [], 'no frame wider than the terminal');
      assert.deepEqual(screen.unknown, []);
      assertRowsIntact(screen.lines, `${columns} columns`);
      assert.deepEqual(screen.erased.filter((l) => /^row/.test(l)), [], 'no result row erased');
      assert.doesNotMatch(screen.lines.join('\n'), /probing/, 'the spinner line is cleared at the end');
    });
  }

  test('the width is read again on every frame: 100 → 50 → 0 → 80 columns', async () => {
    const run = await runChild([100, 50, 0, 80], 2400);
    assertExitedBounded(run, 'resized');
    assert.deepEqual(run.phases, [true, true, false, true], 'hidden while the terminal is too narrow, back after');
    const screen = replay(run.stderr, 100);
    assert.deepEqual(screen.wraps, [], 'no frame wider than the terminal of the moment');
    assertRowsIntact(screen.lines, 'resized');
    assert.deepEqual(screen.erased.filter((l) => /^row/.test(l)), [], 'no result row erased');
  });
});

test('the text fits what ora counts: its frame, a space and "--" on each side (ora 8 #updateLineCount)', () => {
  assert.equal(spinnerTextWidth(80), 76);
  assert.equal(spinnerTextWidth(MIN_SPINNER_COLUMNS), MIN_SPINNER_COLUMNS - 4);
});

test('single-mode text names a domain in flight, never a finished one', () => {
  assert.equal(probingText(['a.example'], 0, 1), 'probing a.example');
  assert.equal(probingText(['b.example', 'c.example'], 1, 4), 'probing b.example and 1 more (1/4 done)');
  assert.equal(probingText([], 3, 4), 'probing (3/4 done)');
});

test('progress counts the rows in flight, not their names: two rows of one domain are two until each ends', () => {
  const rows = new RowsInFlight();
  rows.start('a.example');
  rows.start('a.example'); // a batch naming one domain on two rows (two addresses of one partner)
  rows.start('b.example');
  assert.equal(rows.size, 3);
  assert.deepEqual(rows.names(), ['a.example', 'b.example']);
  rows.end('a.example');
  assert.equal(rows.size, 2, 'the other row of a.example is still in flight');
  assert.deepEqual(rows.names(), ['a.example', 'b.example'], 'and still named');
  rows.end('a.example');
  assert.deepEqual([rows.size, rows.ended, rows.names()], [1, 2, ['b.example']]);
});

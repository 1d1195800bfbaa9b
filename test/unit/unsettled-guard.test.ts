import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const GUARD = fileURLToPath(new URL('../../src/cli/unsettled-guard.ts', import.meta.url));

function run(body: string) {
  const script = `import { guardUnsettled } from ${JSON.stringify(GUARD)};\n${body}`;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
}

test('work still pending when the event loop runs empty: one line on stderr, exit 70', () => {
  // The promise waits on an unref'd timer only: the loop empties before it settles.
  const r = run(`guardUnsettled(new Promise((resolve) => setTimeout(resolve, 60_000).unref()), 70);`);
  assert.equal(r.status, 70, r.stderr);
  assert.equal(r.stderr, 'mxprobe: internal error: the run ended before its work was done (please report it)\n');
});

test('work that settles: the exit code is left alone, nothing on stderr', () => {
  const r = run(`guardUnsettled(new Promise((resolve) => setTimeout(resolve, 10)), 70); process.exitCode = 3;`);
  assert.equal(r.status, 3, r.stderr);
  assert.equal(r.stderr, '');
});

test('work that fails: the guard stays quiet (the caller reports the failure)', () => {
  const r = run(`const p = Promise.reject(new Error('x')); p.catch(() => {}); guardUnsettled(p, 70);`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
});

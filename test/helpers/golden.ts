// Golden files: a renderer's whole output kept under test/fixtures/golden and compared exactly.
// The one place a test writes expected output. A golden file that is missing FAILS: only
// UPDATE_GOLDEN=1 writes one (then review the diff), and never in CI, where rewriting the
// expectation would make every comparison pass. Test helper only.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the golden files live. */
export const GOLDEN_DIR = fileURLToPath(new URL('../fixtures/golden/', import.meta.url));

/**
 * Compares `actual` with the golden file `name` in `dir`. With UPDATE_GOLDEN=1 (and CI unset)
 * it first writes `actual` there. Throws an AssertionError when the file is missing or differs.
 *
 * @example goldenIn(tmpDir, 'report.txt', renderText(results), { UPDATE_GOLDEN: '1' })
 */
export function goldenIn(dir: string, name: string, actual: string, env: NodeJS.ProcessEnv = process.env): void {
  const file = path.join(dir, name);
  if (env.UPDATE_GOLDEN === '1') {
    assert.ok(env.CI === undefined || env.CI === '', `UPDATE_GOLDEN=1 is refused in CI (CI=${env.CI}): it would rewrite ${name} instead of comparing with it`);
    writeFileSync(file, actual);
  }
  assert.ok(existsSync(file), `golden file ${name} is missing: write it with UPDATE_GOLDEN=1, review it and commit it`);
  assert.equal(actual, readFileSync(file, 'utf8'), `output differs from golden file ${name} (UPDATE_GOLDEN=1 rewrites it after an intended change)`);
}

/**
 * Compares `actual` with test/fixtures/golden/`name` (see goldenIn).
 *
 * @example golden('report.txt', renderText(results(), { colorLevel: 0, transcript: false }))
 */
export function golden(name: string, actual: string): void {
  goldenIn(GOLDEN_DIR, name, actual);
}

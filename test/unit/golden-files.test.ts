// Golden files cannot lie: a missing one fails and is not written; only UPDATE_GOLDEN=1 writes
// (never in CI); every golden file is compared by a test, and every comparison goes through the
// one helper (test/helpers/golden.ts), so no test can quietly create its own expectation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GOLDEN_DIR, goldenIn } from '../helpers/golden.ts';
import { ROOT } from '../helpers/run-cli.ts';

const TEST_DIR = path.join(ROOT, 'test');
const HELPER = path.join('helpers', 'golden.ts');
const THIS_FILE = path.join('unit', 'golden-files.test.ts');

function withTempDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mxprobe-golden-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every .ts file under test/, relative to test/. */
function testSources(dir = TEST_DIR): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'fixtures' ? [] : testSources(full);
    return name.endsWith('.ts') ? [path.relative(TEST_DIR, full)] : [];
  });
}

test('a missing golden file fails, and is not written', () => {
  withTempDir((dir) => {
    assert.throws(() => goldenIn(dir, 'out.txt', 'text\n', {}), /golden file out\.txt is missing: write it with UPDATE_GOLDEN=1/);
    assert.equal(existsSync(path.join(dir, 'out.txt')), false);
    // Any value but exactly '1' is no permission to write.
    assert.throws(() => goldenIn(dir, 'out.txt', 'text\n', { UPDATE_GOLDEN: 'true' }), /is missing/);
    assert.equal(existsSync(path.join(dir, 'out.txt')), false);
  });
});

test('a golden file that differs fails, and is left as it was', () => {
  withTempDir((dir) => {
    writeFileSync(path.join(dir, 'out.txt'), 'expected\n');
    assert.doesNotThrow(() => goldenIn(dir, 'out.txt', 'expected\n', {}));
    assert.throws(() => goldenIn(dir, 'out.txt', 'actual\n', {}), /differs from golden file out\.txt/);
    assert.equal(readFileSync(path.join(dir, 'out.txt'), 'utf8'), 'expected\n');
  });
});

test('UPDATE_GOLDEN=1 writes the golden file (new or changed), and is refused in CI', () => {
  withTempDir((dir) => {
    goldenIn(dir, 'new.txt', 'first\n', { UPDATE_GOLDEN: '1' });
    assert.equal(readFileSync(path.join(dir, 'new.txt'), 'utf8'), 'first\n');
    goldenIn(dir, 'new.txt', 'second\n', { UPDATE_GOLDEN: '1' });
    assert.equal(readFileSync(path.join(dir, 'new.txt'), 'utf8'), 'second\n');
    assert.throws(() => goldenIn(dir, 'ci.txt', 'x\n', { UPDATE_GOLDEN: '1', CI: 'true' }), /refused in CI/);
    assert.throws(() => goldenIn(dir, 'new.txt', 'third\n', { UPDATE_GOLDEN: '1', CI: 'true' }), /refused in CI/);
    assert.equal(existsSync(path.join(dir, 'ci.txt')), false);
    assert.equal(readFileSync(path.join(dir, 'new.txt'), 'utf8'), 'second\n');
  });
});

test('every golden file is compared by a test, and every name a test compares with exists', () => {
  const onDisk = readdirSync(GOLDEN_DIR).sort();
  const named = new Set<string>();
  for (const file of testSources()) {
    const text = readFileSync(path.join(TEST_DIR, file), 'utf8');
    for (const m of text.matchAll(/\bgolden\(\s*(['"`])([^'"`]+)\1/g)) named.add(m[2] as string);
  }
  assert.ok(onDisk.length > 0, 'test/fixtures/golden holds golden files');
  assert.deepEqual(onDisk, [...named].sort(), 'golden files on disk = the names tests compare with (an orphan compares nothing; a missing one fails)');
});

test('only the golden helper writes or names the golden directory and UPDATE_GOLDEN', () => {
  const bypassing = testSources()
    .filter((file) => file !== HELPER && file !== THIS_FILE)
    .filter((file) => /fixtures\/golden|UPDATE_GOLDEN/.test(readFileSync(path.join(TEST_DIR, file), 'utf8')));
  assert.deepEqual(bypassing, []);
});

// --workers N (a batch's probe workers): checked at the edge like --concurrency, a batch option
// refused without --input, by default one per core this process may use, and always 1 for the
// command line; and the pool is loaded only when a batch starts workers: nothing that the
// command line loads imports it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { checkOptions, defaultWorkers, MAX_WORKERS, UsageError, type RawOptions } from '../../src/cli/options.ts';
import { ROOT } from '../helpers/run-cli.ts';

const DEFAULTS: RawOptions = { port: '25', timeout: '30', connectTimeout: '10', dnsTimeout: '3', require: 'encrypt', deepDelay: '0', profile: 'ncsc', warnDays: '30', format: 'text', color: true, concurrency: '32', perHost: '2', retries: '1', retryDelay: '1' };
const batch = (workers?: string) => checkOptions([], { ...DEFAULTS, input: 'list.csv', ...(workers !== undefined ? { workers } : {}) });

test('a batch: one worker per core by default (at most 64), or as many as --workers says, from 1 to 64', () => {
  assert.equal(defaultWorkers(), Math.min(64, os.availableParallelism()));
  assert.equal(MAX_WORKERS, 64);
  assert.equal(batch().workers, defaultWorkers());
  assert.deepEqual(['1', '2', '7', '64'].map((n) => batch(n).workers), [1, 2, 7, 64]);
});

test('the command line (domains, --server) probes in the main thread', () => {
  assert.equal(checkOptions(['a.example'], DEFAULTS).workers, 1);
  assert.equal(checkOptions([], { ...DEFAULTS, server: 'mx.example' }).workers, 1);
  // commander's default (not given) is not refused there.
  assert.equal(checkOptions(['a.example'], { ...DEFAULTS, workers: String(defaultWorkers()) }, () => false).workers, 1);
});

test('--workers out of range or not a whole number: one line, the value quoted and sanitised', () => {
  for (const bad of ['0', '65', '-1', '1.5', 'two', '', ' 2', '\u001b[2J3']) {
    assert.throws(
      () => batch(bad),
      (err: unknown) => err instanceof UsageError && /^--workers must be a whole number from 1 to 64, not /.test(err.message) && !/[\u0000-\u001f]/.test(err.message),
      JSON.stringify(bad),
    );
  }
});

test('--workers without --input is refused, like every batch option', () => {
  for (const extra of [{}, { server: 'mx.example' }]) {
    const args = 'server' in extra ? [] : ['a.example'];
    assert.throws(() => checkOptions(args, { ...DEFAULTS, ...extra, workers: '2' }, (key) => key === 'workers'), (err: unknown) => err instanceof UsageError && /^--workers goes with --input/.test(err.message));
  }
});

/** The modules `file` (relative to src/, without extension) imports for their values, statically. */
function staticImports(file: string): string[] {
  const text = readFileSync(path.join(ROOT, 'src', `${file}.ts`), 'utf8');
  return [...text.matchAll(/^import\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?'(\.[^']+)\.js'/gm)].map((m) => path.join(path.dirname(file), m[1] as string));
}

test('the pool and the worker are loaded only when a batch starts workers: no static import path from the CLI or the runner reaches them', () => {
  const loaded = new Set<string>();
  const visit = (module: string) => {
    if (loaded.has(module)) return;
    loaded.add(module);
    for (const next of staticImports(module)) visit(next);
  };
  for (const start of ['cli/main', 'cli/run', 'pipeline/runner']) visit(start);
  assert.ok(loaded.has('pipeline/runner') && loaded.has('probe/probe-address'), 'the walk follows the run');
  assert.deepEqual([...loaded].filter((m) => /probe-workers?$/.test(m)), []);
  assert.match(readFileSync(path.join(ROOT, 'src', 'pipeline', 'runner.ts'), 'utf8'), /await import\('\.\/probe-workers\.js'\)/, 'the runner loads the pool itself, on demand');
});

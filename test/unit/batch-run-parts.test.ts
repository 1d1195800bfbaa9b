// The parts of a batch run: the same-file check of --input/--output, the shared cache of
// domain facts, and the two-step stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, linkSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSameFile } from '../../src/batch/same-file.ts';
import { DomainFactsCache } from '../../src/pipeline/domain-facts-cache.ts';
import { RunStop } from '../../src/pipeline/run-stop.ts';
import { domainFacts } from '../helpers/facts.ts';

function withDir(run: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mxprobe-run-'));
  return Promise.resolve(run(dir)).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('same file: by device and inode, through symbolic and hard links; a missing output or another file is not', async () => {
  await withDir((dir) => {
    const input = join(dir, 'partners.csv');
    writeFileSync(input, 'domain\na.example\n');
    symlinkSync(input, join(dir, 'link.csv'));
    linkSync(input, join(dir, 'hard.csv'));
    writeFileSync(join(dir, 'other.csv'), 'domain\na.example\n');
    assert.equal(isSameFile(input, input), true);
    assert.equal(isSameFile(input, join(dir, '.', 'partners.csv')), true);
    assert.equal(isSameFile(input, join(dir, 'link.csv')), true);
    assert.equal(isSameFile(join(dir, 'link.csv'), input), true);
    assert.equal(isSameFile(input, join(dir, 'hard.csv')), true);
    assert.equal(isSameFile(input, join(dir, 'other.csv')), false);
    assert.equal(isSameFile(input, join(dir, 'new.csv')), false);
    assert.equal(isSameFile(join(dir, 'missing.csv'), join(dir, 'missing.csv')), false);
    if (existsSync('/dev/null')) assert.equal(isSameFile('/dev/null', '/dev/null'), false, 'only a regular input file can be destroyed');
  });
});

test('domain facts: shared while remembered (in flight too), least recently used forgotten beyond the capacity', async () => {
  const cache = new DomainFactsCache(2);
  let probes = 0;
  const probe = (domain: string) => async () => {
    probes += 1;
    await new Promise((r) => setTimeout(r, 5));
    return domainFacts({ domain, input: domain });
  };
  const [a1, a2] = await Promise.all([cache.get('a.example', probe('a.example')), cache.get('a.example', probe('a.example'))]);
  assert.equal(a1, a2);
  assert.equal(probes, 1);
  await cache.get('b.example', probe('b.example'));
  await cache.get('a.example', probe('a.example')); // a is now the most recently used
  await cache.get('c.example', probe('c.example')); // forgets b, not a
  assert.equal(cache.size, 2);
  await cache.get('a.example', probe('a.example'));
  assert.equal(probes, 3);
  await cache.get('b.example', probe('b.example'));
  assert.equal(probes, 4);
  assert.equal(cache.probed, 4);
});

test('run stop: the first request stops, the most serious reason wins, the abort comes apart', async () => {
  const stop = new RunStop();
  let woken = false;
  stop.stopping.addEventListener('abort', () => (woken = true), { once: true });
  assert.equal(stop.stopping.aborted, false);
  stop.request('signal');
  await Promise.resolve();
  assert.equal(woken, true);
  assert.equal(stop.stopping.aborted, true);
  assert.equal(stop.abort.aborted, false, 'in-flight work gets its grace');
  const first = stop.requestedAt;
  stop.request('broken-pipe');
  stop.request('signal');
  assert.equal(stop.reason, 'broken-pipe');
  assert.equal(stop.requestedAt, first);
  stop.abortInFlight();
  assert.equal(stop.abort.aborted, true);
});

// The one output module (cli/output.ts): sinks that never throw once open (a failure is kept and told
// once), fsync only where there is something to flush. Devices that are absent on this
// machine skip their case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { checkOutputPath, fileSink, OutputError, streamSink, type SinkFailure } from '../../src/cli/output.ts';

function withDir(run: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mxprobe-sink-'));
  return Promise.resolve(run(dir)).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('a file sink writes, flushes and closes a regular file', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'out.csv');
    const sink = fileSink(path, false);
    sink.write('a\r\n');
    sink.write('ü\r\n');
    await sink.close();
    assert.equal(sink.failure, null);
    assert.equal(readFileSync(path, 'utf8'), 'a\r\nü\r\n');
    const again = fileSink(path, true);
    again.write('b\r\n');
    await again.close();
    assert.equal(readFileSync(path, 'utf8'), 'a\r\nü\r\nb\r\n');
  });
});

test('/dev/null: no fsync of a device (it fails with EINVAL), no failure', { skip: !existsSync('/dev/null') }, async () => {
  const sink = fileSink('/dev/null', false);
  sink.write('x'.repeat(100_000));
  await sink.close();
  assert.equal(sink.failure, null);
});

test('/dev/full: ENOSPC is one failure, told once; later writes are dropped, nothing throws', { skip: !existsSync('/dev/full') }, async () => {
  const sink = fileSink('/dev/full', false);
  const told: SinkFailure[] = [];
  sink.onFailure((f) => told.push(f));
  sink.write('row 1\r\n');
  sink.write('row 2\r\n');
  await sink.close();
  assert.deepEqual(told, [{ kind: 'write', code: 'ENOSPC', message: 'cannot write --output /dev/full: ENOSPC (no space left on the device)' }]);
  assert.equal(sink.failure, told[0]);
  let late: SinkFailure | null = null;
  sink.onFailure((f) => (late = f));
  assert.equal(late, told[0], 'a listener added after the failure hears it at once');
});

test('a directory is refused before anything is written', async () => {
  await withDir((dir) => {
    assert.throws(() => checkOutputPath(dir), (err: unknown) => err instanceof OutputError && /is a directory/.test(err.message));
    assert.throws(() => fileSink(dir, false), OutputError);
    assert.throws(() => fileSink(dir, true), OutputError);
    checkOutputPath(join(dir, 'missing.csv')); // a file still to be made is fine
  });
});

test('a stream sink: EPIPE is a broken pipe, any other error a write failure; close waits for the last write', async () => {
  const chunks: string[] = [];
  const slow = new Writable({
    write(chunk, _enc, cb) {
      setTimeout(() => {
        chunks.push(String(chunk));
        cb();
      }, 20);
    },
  });
  const ok = streamSink(slow);
  ok.write('a');
  ok.write('b');
  await ok.close();
  assert.deepEqual(chunks, ['a', 'b']);
  assert.equal(slow.listenerCount('error'), 0, 'a closed sink leaves the stream to others');

  for (const [code, kind, message] of [
    ['EPIPE', 'broken-pipe', 'standard output was closed by its reader'],
    ['EIO', 'write', 'cannot write to standard output: EIO (input/output error)'],
  ] as const) {
    const failing = new Writable({
      write(_chunk, _enc, cb) {
        cb(Object.assign(new Error(code), { code }));
      },
    });
    const sink = streamSink(failing);
    const told: SinkFailure[] = [];
    sink.onFailure((f) => told.push(f));
    sink.write('x');
    sink.write('y');
    await sink.close();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(told, [{ kind, code, message }]);
    assert.ok(failing.listenerCount('error') >= 1, 'after a failure the sink keeps swallowing the stream\'s late errors');
  }
  const pass = new PassThrough();
  const idle = streamSink(pass);
  await idle.close(); // nothing written: closes at once
});

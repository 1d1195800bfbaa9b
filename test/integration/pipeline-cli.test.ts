// Domains given as arguments go through the one runner a batch uses (pipeline/runner.ts), so
// they get what a batch gets: an MX address probed once for every domain that names it, each
// report written as soon as it and the ones before it are done, a stop on SIGINT that keeps the
// finished reports (exit 130) without waiting for slow servers; and a batch's renderers honour
// --transcript in every format. Through the real
// CLI, against a fake DNS and fake SMTP servers on loopback.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startFakeDns, type FakeDnsServer } from '../helpers/fake-dns.ts';
import { startFakeSmtp, type FakeSmtpServer } from '../helpers/fake-smtp.ts';
import { runCli } from '../helpers/run-cli.ts';
import { STOP_GRACE_MS } from '../../src/pipeline/runner.ts';

let dns: FakeDnsServer;
let smtp: FakeSmtpServer;
let silent: FakeSmtpServer;
let dir: string;

before(async () => {
  // a, b and c name one MX host; slow.test's MX is its own name on the same address. nx.test is not in the zone.
  dns = await startFakeDns({
    'a.test': { MX: [{ preference: 10, exchange: 'mx.test' }] },
    'b.test': { MX: [{ preference: 10, exchange: 'mx.test' }] },
    'c.test': { MX: [{ preference: 10, exchange: 'mx.test' }] },
    'slow.test': { MX: [{ preference: 10, exchange: 'mx.slow.test' }] },
    'mx.test': { A: ['127.0.0.1'] },
    'mx.slow.test': { A: ['127.0.0.1'] },
  });
  smtp = await startFakeSmtp();
  silent = await startFakeSmtp({ behaviour: 'silent' });
  dir = mkdtempSync(path.join(os.tmpdir(), 'mxprobe-pipeline-'));
});

after(async () => {
  await dns?.close();
  await smtp?.close();
  await silent?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** Options of a probe against the fake DNS and the server on `port` (loopback: allowed explicitly). */
const against = (port: number) => ['--resolver', dns.address, '--port', String(port), '--allow-special-addresses', '--dns-timeout', '2', '-4', '--require', 'none'];

describe('domains given as arguments run through the one runner', { concurrency: true }, () => {
  test('an MX address three domains name is probed once; the report keeps the order given', async () => {
    const before = smtp.connections;
    const run = await runCli(['c.test', 'a.test', 'b.test', '--json', '--timeout', '20', ...against(smtp.port)]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.json().domains.map((d: any) => [d.domain, d.level]), [['c.test', 'none'], ['a.test', 'none'], ['b.test', 'none']]);
    assert.equal(smtp.connections - before, 1, 'one session for the three domains');
  });

  test('SIGINT: the reports finished are written at once, in order; the run stops within the grace period and exits 130', async () => {
    // nx.test is done at once; slow.test waits for a server that never greets (20 s).
    let firstLineAt = 0;
    let signalledAt = 0;
    let exitedAt = 0;
    const run = await runCli(['nx.test', 'slow.test', '--format', 'ndjson', '--timeout', '20', ...against(silent.port)], {
      killAfterMs: 40_000,
      onStart: (child) => {
        let seen = '';
        child.stdout?.on('data', (chunk: Buffer) => {
          seen += String(chunk);
          if (firstLineAt === 0 && seen.includes('\n')) {
            firstLineAt = performance.now();
            // The slow domain's probe is in flight: the signal gives it its grace, then ends it.
            setTimeout(() => {
              signalledAt = performance.now();
              child.kill('SIGINT');
            }, 300);
          }
        });
        child.on('close', () => (exitedAt = performance.now()));
      },
    });
    assert.equal(run.code, 130, `exit ${run.code} (${run.signal}); stderr: ${run.stderr}`);
    assert.ok(firstLineAt > 0 && signalledAt > firstLineAt, 'the first report came while the second domain was still probed');
    const lines = run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((d) => [d.domain, d.outcome]), [['nx.test', 'nxdomain']], 'the unfinished domain is not reported');
    const afterSignal = exitedAt - signalledAt;
    assert.ok(afterSignal >= STOP_GRACE_MS - 500 && afterSignal < STOP_GRACE_MS + 5000, `${Math.round(afterSignal)} ms after SIGINT: the grace, not the 20 s of the probe`);
    assert.equal(run.stderr, '', 'no summary for domains given as arguments');
  });
});

test('a batch keeps each address\'s transcript with --transcript in every format that has the field (NDJSON dropped it)', async () => {
  const list = path.join(dir, 'list.txt');
  writeFileSync(list, 'a.test\n');
  for (const format of ['ndjson', 'json']) {
    const run = await runCli(['--input', list, '--format', format, '--transcript', '--quiet', '--timeout', '20', ...against(smtp.port)]);
    assert.equal(run.code, 0, run.stderr);
    const domain = format === 'json' ? run.json().domains[0] : JSON.parse(run.stdout);
    const transcript = domain.mx[0].addresses[0].transcript;
    assert.ok(Array.isArray(transcript) && transcript.some((e: any) => e.dir === 'C' && e.text.startsWith('EHLO')), `${format}: ${JSON.stringify(transcript)}`);
  }
});

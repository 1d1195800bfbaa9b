// `--format html` through the real CLI without a browser (the browser test opens the pages):
// a single probe (--server) writes a whole page with its summary, to a file or standard output;
// --resume refuses HTML (a page cannot be appended to); a run stopped by SIGINT ends its page
// saying so.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startFakeSmtp, type FakeSmtpServer } from '../helpers/fake-smtp.ts';
import { startFakeDns, type FakeDnsServer } from '../helpers/fake-dns.ts';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';
import { PATIENT, runCli, serverArgs } from '../helpers/run-cli.ts';

let pki: TestPki;
let smtp: FakeSmtpServer;
let silent: FakeSmtpServer;
let dns: FakeDnsServer;
let dir: string;

before(async () => {
  pki = await makeTestPki();
  smtp = await startFakeSmtp({ tls: pki.certs.valid });
  silent = await startFakeSmtp({ behaviour: 'silent' });
  // nx.test is not in the zone (done at once); slow.test's MX never greets.
  dns = await startFakeDns({ 'slow.test': { MX: [{ preference: 10, exchange: 'mx.slow.test' }] }, 'mx.slow.test': { A: ['127.0.0.1'] } });
  dir = mkdtempSync(path.join(os.tmpdir(), 'mxprobe-html-cli-'));
});

after(async () => {
  await smtp?.close();
  await silent?.close();
  await dns?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const rowsOf = (page: string) => [...page.matchAll(/<script type="application\/json" class="r">([\s\S]*?)<\/script>/g)].map((m) => JSON.parse(m[1] as string));

test('a single probe: one page with its row, its summary and the end marker, to a file or standard output', async () => {
  const out = path.join(dir, 'one.html');
  const args = [...serverArgs(smtp), '--ca-file', pki.caFile, ...PATIENT, '--format', 'html'];
  const [file, stdout] = await Promise.all([runCli([...args, '--output', out]), runCli(args)]);
  assert.equal(file.code, 0, file.stderr);
  assert.equal(file.stdout, '');
  assert.equal(file.stderr, '', 'no batch summary on stderr for a single probe');
  assert.equal(stdout.code, 0, stdout.stderr);
  for (const page of [readFileSync(out, 'utf8'), stdout.stdout]) {
    assert.ok(page.startsWith('<!DOCTYPE html>\n'));
    assert.ok(page.endsWith('</body>\n</html>\n'));
    const rows = rowsOf(page);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].level, 'verify');
    assert.equal(rows[0].mx[0].addresses[0].chain[0].subject, 'CN=mx.test');
    assert.match(page, /<p id="audit-complete" data-rows="1">Audit complete: 1 domain, started /);
    assert.match(page, /data-key="total"><span class="n">1<\/span>/);
    assert.match(page, /data-key="pass"><span class="n">1<\/span>/);
    assert.match(page, /TLS versions \(addresses\)/);
  }
});

test('--resume refuses HTML: a page cannot be continued', async () => {
  const list = path.join(dir, 'list.txt');
  writeFileSync(list, 'example.test\n');
  const run = await runCli(['--input', list, '--format', 'html', '--output', path.join(dir, 'r.html'), '--resume', '--resolver', '127.0.0.1:9']);
  assert.equal(run.code, 2);
  assert.equal(run.stderr, 'mxprobe: --resume needs --output FILE and --format csv or ndjson (formats that can be appended to)\n');
});

test('SIGINT: the page ends with its summary and says the audit was stopped, with the unfinished count', async () => {
  const args = ['nx.test', 'slow.test', '--format', 'html', '--timeout', '20', '--resolver', dns.address, '--port', String(silent.port), '--allow-special-addresses', '--dns-timeout', '2', '-4'];
  const run = await runCli(args, {
    killAfterMs: 60_000,
    onStart: (child) => {
      let seen = '';
      let signalled = false;
      child.stdout?.on('data', (chunk: Buffer) => {
        seen += String(chunk);
        if (!signalled && seen.includes('class="r"')) {
          signalled = true; // nx.test is written; slow.test's probe is in flight
          child.kill('SIGINT');
        }
      });
    },
  });
  assert.equal(run.code, 130, `exit ${run.code} (${run.signal}); stderr: ${run.stderr}`);
  assert.deepEqual(rowsOf(run.stdout).map((r) => r.domain), ['nx.test']);
  assert.match(run.stdout, /<p id="audit-complete" class="stopped" data-rows="1">Audit stopped by a signal: 1 domain written, 1 unfinished \(not in this report\); started /);
  assert.match(run.stdout, /data-key="total"><span class="n">1<\/span>/);
  assert.ok(run.stdout.endsWith('</body>\n</html>\n'));
});

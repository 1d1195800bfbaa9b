// Batch audits through the real CLI: a fake DNS serving generated zones and a fleet of fake
// SMTP servers on 127.0.0.x (one port), checking rows, carried columns, probes shared per MX
// address, the per-IP cap, shards, JUnit, retries, interruption and resuming.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startFakeDns, type FakeDnsServer, type FakeZone } from '../helpers/fake-dns.ts';
import { startSmtpFleet, type SmtpFleet } from '../helpers/smtp-fleet.ts';
import { startFakeSmtp } from '../helpers/fake-smtp.ts';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';
import { BIN, ROOT, problemsOf, runCli } from '../helpers/run-cli.ts';
import { parseXml, findAll } from '../helpers/mini-xml.ts';
import { readCsvFile } from '../helpers/batch.ts';

const MX_SERVERS = 4;
const DOMAINS = 120;

let pki: TestPki;
let fleet: SmtpFleet;
let dns: FakeDnsServer;
let dir: string;
let inputCsv: string;

/** d{i}.test → MX mx{i % 4}.test → 127.0.0.{2 + i % 4}; shared{j}.test: 12 MX names on ONE address (the per-IP cap). */
function zone(): FakeZone {
  const z: FakeZone = {};
  for (let m = 0; m < MX_SERVERS; m++) z[`mx${m}.test`] = { A: [`127.0.0.${2 + m}`] };
  for (let i = 0; i < DOMAINS; i++) z[`d${i}.test`] = { MX: [{ preference: 10, exchange: `mx${i % MX_SERVERS}.test` }] };
  for (let j = 0; j < 12; j++) {
    z[`alias${j}.test`] = { A: ['127.0.0.2'] };
    z[`shared${j}.test`] = { MX: [{ preference: 10, exchange: `alias${j}.test` }] };
  }
  return z;
}

function common(): string[] {
  // The fleet lives on 127.0.0.x, a special-purpose range: --allow-special-addresses probes it.
  return ['--resolver', dns.address, '--port', String(fleet.port), '--ca-file', pki.caFile, '--timeout', '5', '--dns-timeout', '1', '--retries', '0', '--allow-special-addresses'];
}

before(async () => {
  pki = await makeTestPki();
  fleet = await startSmtpFleet({ count: MX_SERVERS, tls: { key: pki.certs.wildcard.key, cert: pki.certs.wildcard.cert }, delayMs: 5 });
  dns = await startFakeDns(zone());
  dir = mkdtempSync(path.join(os.tmpdir(), 'mxprobe-batch-'));
  inputCsv = path.join(dir, 'partners.csv');
  const lines = ['\ufeffPartner,Domain,Require,Ticket'];
  for (let i = 0; i < DOMAINS; i++) lines.push(`"Partner ${i}, Inc.",d${i}.test,${i === 7 ? 'none' : i === 9 ? '"C, b"' : ''},${i === 3 ? '=HYPERLINK("http://x")' : `T-${i}`}`);
  lines.push('Broken,bad..name,,T-bad', 'Again,D5.TEST.,,T-dup', 'Gone,nx.test,,T-nx');
  writeFileSync(inputCsv, `${lines.join('\r\n')}\r\n`);
});

after(async () => {
  await fleet?.close();
  await dns?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('batch audits', () => {
  test('CSV in, CSV out: one row per input row (a domain listed twice too), carried columns, one probe per MX address', async () => {
    const before = fleet.totalConnections();
    const out = path.join(dir, 'audit.csv');
    const run = await runCli(['--input', inputCsv, '--format', 'csv', '--output', out, ...common()]);
    assert.equal(run.code, 1, run.stderr); // the invalid row and NXDOMAIN fail
    const { header, rows } = await readCsvFile(out);
    assert.deepEqual(header.extraColumns.slice(0, 18), ['level', 'required', 'pass', 'mx_hosts', 'addresses', 'starttls', 'min_protocol', 'earliest_expiry', 'days_left', 'problems', 'line', 'satisfied', 'dnssec', 'dane', 'mta_sts', 'tls_rpt', 'deep_worst_tier', 'weak_suites']);
    assert.deepEqual(header.extraColumns.slice(18), ['Partner', 'Ticket']);
    assert.equal(rows.length, DOMAINS + 3, 'every input row once: the domains, the invalid row, D5.TEST. again and nx.test');
    assert.deepEqual(rows.map((r) => Number(r.columns.line)).sort((a, b) => a - b), Array.from({ length: DOMAINS + 3 }, (_, i) => i + 2), 'each input line once');
    // d5.test twice: each row with its own carried columns and line, the shared probe's facts.
    const d5 = rows.filter((r) => r.input === 'd5.test').map((r) => r.columns);
    assert.deepEqual(d5.map((c) => [c.line, c.Partner, c.Ticket, c.level]).sort((a, b) => Number(a[0]) - Number(b[0])), [['7', 'Partner 5, Inc.', 'T-5', 'encrypt'], [String(DOMAINS + 3), 'Again', 'T-dup', 'encrypt']]);
    const byDomain = new Map(rows.map((r) => [r.input, r.columns]));
    const d3 = byDomain.get('d3.test')!;
    assert.equal(d3.Partner, 'Partner 3, Inc.');
    // Carried through, with a leading quote so that a spreadsheet does not run it as a formula.
    assert.equal(d3.Ticket, `'=HYPERLINK("http://x")`);
    assert.match(readFileSync(out, 'utf8'), /"'=HYPERLINK\(""http:\/\/x""\)"/);
    assert.equal(byDomain.get('d1.test')!.level, 'encrypt'); // wildcard certificate for *.test.example: name mismatch
    assert.equal(byDomain.get('d7.test')!.required, 'none');
    assert.equal(byDomain.get('d1.test')!.required, 'encrypt');
    // Several policies in the require cell: both satisfied by encryption everywhere.
    assert.deepEqual([byDomain.get('d9.test')!.required, byDomain.get('d9.test')!.pass], ['opportunistic,encrypt', 'true']);
    assert.equal(byDomain.get('d1.test')!.starttls, 'all');
    assert.equal(byDomain.get('d1.test')!.min_protocol, 'TLSv1.3');
    assert.equal(byDomain.get('d1.test')!.satisfied, 'plain;opportunistic;tls-required', 'encrypted everywhere, the name not verified');
    assert.equal(byDomain.get('nx.test')!.satisfied, '', 'a domain that does not exist satisfies no policy');
    assert.match(byDomain.get('bad..name')!.problems!, /INVALID_INPUT/);
    assert.equal(byDomain.get('nx.test')!.problems, 'DNS_NXDOMAIN');
    assert.equal(fleet.totalConnections() - before, MX_SERVERS, 'each MX address probed once for 120 domains');
    assert.match(run.stderr, /Summary/);
    assert.match(run.stderr, /Renewal calendar/);
  });

  test('never more than --per-host connections to one server, even with many MX names on it', async () => {
    const list = path.join(dir, 'shared.txt');
    writeFileSync(list, `# twelve MX names, one address\n${Array.from({ length: 12 }, (_, j) => `shared${j}.test`).join('\n')}\n`);
    const server = fleet.byIp.get('127.0.0.2')!;
    const before = server.connections;
    server.peakConcurrent = 0;
    const run = await runCli(['--input', list, '--format', 'ndjson', '--per-host', '2', '--concurrency', '12', ...common()]);
    assert.equal(run.code, 0, run.stderr); // the wildcard certificate names none of them: encrypt, which --require encrypt accepts
    const rows = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(rows.length, 12);
    assert.ok(rows.every((r) => Object.keys(r)[0] === 'schemaVersion' && r.schemaVersion === 2), 'each NDJSON line says its schema version first');
    assert.equal(server.connections - before, 12, 'a probe per (MX name, address)');
    assert.ok(server.peakConcurrent <= 2, `peak ${server.peakConcurrent}`);
    assert.ok(server.peakConcurrent >= 1);
  });

  test('shards: the parts are disjoint and together make the whole', async () => {
    const whole = await runCli(['--input', inputCsv, '--format', 'ndjson', '--quiet', ...common()]);
    const keys = (stdout: string) => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).domain as string);
    const all = keys(whole.stdout);
    const parts = await Promise.all([1, 2, 3].map((k) => runCli(['--input', inputCsv, '--format', 'ndjson', '--quiet', '--shard', `${k}/3`, ...common()])));
    const union = parts.flatMap((p) => keys(p.stdout));
    assert.equal(union.length, all.length, 'no domain in two shards');
    assert.deepEqual([...union].sort(), [...all].sort());
    for (const p of parts) assert.ok(keys(p.stdout).length > 10, 'each shard takes a share');
    assert.equal(whole.stderr, '', '--quiet: nothing on stderr');
    // Each shard's rows say which K/N they are (the invalid row too); the whole run's say none.
    const shards = (stdout: string) => new Set(stdout.trim().split('\n').map((l) => JSON.stringify(JSON.parse(l).source.shard ?? null)));
    parts.forEach((p, i) => assert.deepEqual([...shards(p.stdout)], [JSON.stringify({ index: i + 1, count: 3 })]));
    assert.deepEqual([...shards(whole.stdout)], ['null']);
    // `mxprobe report` merges the parts into the whole run's rows (as of their own probes: compare what was found and judged).
    const partFiles = parts.map((p, i) => {
      const file = path.join(dir, `part-${i + 1}.ndjson`);
      writeFileSync(file, p.stdout);
      return file;
    });
    const merged = await runCli(['report', ...partFiles, '--format', 'ndjson', '--quiet']);
    assert.equal(merged.code, whole.code, merged.stderr);
    const stable = (stdout: string) =>
      stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .map((r) => ({ line: r.source.line, columns: r.source.columns, domain: r.domain, input: r.input, level: r.level, pass: r.pass, problems: r.problems.map((p: { code: string }) => p.code) }))
        .sort((a, b) => a.line - b.line);
    assert.deepEqual(stable(merged.stdout), stable(whole.stdout));
    const missing = await runCli(['report', partFiles[0]!, partFiles[2]!]);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, 'mxprobe: no row of shard 2/3 in the files given: a part of the audit is missing\n');
  });

  test('JUnit: one test case per domain, failures below the required level, well-formed XML', async () => {
    const run = await runCli(['--input', inputCsv, '--format', 'junit', '--require', 'verify', ...common()]);
    assert.equal(run.code, 1);
    const doc = parseXml(run.stdout);
    const suite = findAll(doc, 'testsuite')[0]!;
    const cases = findAll(doc, 'testcase');
    assert.equal(cases.length, DOMAINS + 3);
    assert.equal(Number(suite.attrs.tests), DOMAINS + 3);
    const failed = cases.filter((c) => findAll(c, 'failure').length > 0).length;
    assert.equal(Number(suite.attrs.failures), failed);
    assert.ok(failed >= DOMAINS, 'the wildcard certificate does not name mxN.test: below verify');
  });

  test('JSON: one document, one domain per line, the schema of single mode', async () => {
    const run = await runCli(['--input', inputCsv, '--format', 'json', '--quiet', ...common()]);
    const report = run.json();
    assert.equal(report.schemaVersion, 2);
    assert.equal(report.domains.length, DOMAINS + 3);
    const d3 = report.domains.find((d: any) => d.domain === 'd3.test');
    assert.deepEqual(d3.source, { line: 5, columns: { Partner: 'Partner 3, Inc.', Ticket: '=HYPERLINK("http://x")' } });
    assert.equal(d3.mx[0].addresses[0].attempts, 1);
    assert.equal(d3.mx[0].addresses[0].transcript, undefined, 'no transcripts in a batch unless --transcript');
    assert.equal(run.stdout.split('\n').length, DOMAINS + 3 + 3);
  });

  test('a plain list on standard input; text rows and the summary on stdout', async () => {
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, '--input', '-', ...common()], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end('# partners\nd1.test\n\nops@d2.test\n');
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^PASS d1\.test: level encrypt/m);
    assert.match(run.stdout, /^PASS d2\.test: level encrypt/m);
    assert.match(run.stdout, /Summary/);
  });

  test('an unusable input is a one-line error, exit 2', async () => {
    const noColumn = path.join(dir, 'nocolumn.csv');
    writeFileSync(noColumn, 'partner,owner\nA,B\n');
    for (const args of [['--input', noColumn], ['--input', path.join(dir, 'missing.csv')], ['--input', inputCsv, '--resume'], ['--input', inputCsv, '--resume', '--output', 'x.json', '--format', 'json']]) {
      const run = await runCli([...args, ...common()]);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /^mxprobe: [^\n]+\n$/);
    }
  });
});

describe('retries', () => {
  test('a 421 greeting is retried with backoff; the address says how many attempts it took', async () => {
    const smtp = await startFakeSmtp({ banner: ['421 4.3.2 busy, try later'] });
    const retryDns = await startFakeDns({ 'busy.test': { MX: [{ preference: 10, exchange: 'mx.busy.test' }] }, 'mx.busy.test': { A: ['127.0.0.1'] } });
    try {
      const list = path.join(dir, 'busy.txt');
      writeFileSync(list, 'busy.test\n');
      const run = await runCli(['--input', list, '--format', 'ndjson', '--resolver', retryDns.address, '--port', String(smtp.port), '--retries', '2', '--retry-delay', '0.05', '--timeout', '2', '--allow-special-addresses']);
      assert.equal(run.code, 3, run.stderr);
      const row = JSON.parse(run.stdout.trim());
      assert.equal(row.mx[0].addresses[0].attempts, 3);
      assert.equal(smtp.connections, 3);
      assert.ok(problemsOf(row).some((p: any) => p.code === 'SMTP_REJECTED'));
    } finally {
      await smtp.close();
      await retryDns.close();
    }
  });
});

describe('interruption and resume', () => {
  /** Spawns a slow batch writing CSV to `out`, and stops it with `signal` once `rows` rows are written. */
  function interrupted(out: string, signal: NodeJS.Signals, rows: number, slowDns: FakeDnsServer): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; ms: number }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, '--input', inputCsv, '--format', 'csv', '--output', out, '--concurrency', '2', ...common(), '--resolver', slowDns.address], {
        cwd: ROOT,
        env: { ...process.env, NO_COLOR: '1' },
      });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      let signalledAt = 0;
      const poll = setInterval(() => {
        const lines = existsSync(out) ? readFileSync(out, 'utf8').split('\n').length - 2 : 0;
        if (lines >= rows && signalledAt === 0) {
          signalledAt = performance.now();
          child.kill(signal);
        }
      }, 20);
      child.on('error', reject);
      child.on('close', (code, sig) => {
        clearInterval(poll);
        resolve({ code, signal: sig, stderr, ms: performance.now() - signalledAt });
      });
    });
  }

  test('killed mid-run, then resumed: the same rows as a clean run, none twice', async () => {
    // Every DNS answer comes slowly so the run lasts long enough to be killed in the middle.
    const slow = await startFakeDns(zone(), { delayMs: 40 });
    try {
      const out = path.join(dir, 'resumed.csv');
      const killed = await interrupted(out, 'SIGKILL', 15, slow);
      assert.equal(killed.signal, 'SIGKILL');
      const partial = (await readCsvFile(out)).rows.length;
      assert.ok(partial >= 15 && partial < DOMAINS, `${partial} rows before the kill`);
      const resumed = await runCli(['--input', inputCsv, '--format', 'csv', '--output', out, '--resume', ...common()]);
      assert.equal(resumed.code, 1, resumed.stderr);
      const clean = path.join(dir, 'clean.csv');
      await runCli(['--input', inputCsv, '--format', 'csv', '--output', clean, ...common()]);
      const got = (await readCsvFile(out)).rows.map((r) => `${r.columns.line} ${r.input}`);
      const want = (await readCsvFile(clean)).rows.map((r) => `${r.columns.line} ${r.input}`);
      assert.equal(new Set(got).size, got.length, 'no row twice');
      assert.deepEqual([...got].sort(), [...want].sort());
      assert.equal(readFileSync(out, 'utf8').split('\n').filter((l) => l.startsWith('domain,')).length, 1, 'one header');
    } finally {
      await slow.close();
    }
  });

  test('SIGINT: stops starting probes, flushes, summarises and exits 130 within seconds', async () => {
    const slow = await startFakeDns(zone(), { delayMs: 40 });
    try {
      const out = path.join(dir, 'interrupted.csv');
      const run = await interrupted(out, 'SIGINT', 5, slow);
      assert.equal(run.code, 130);
      assert.ok(run.ms < 5000, `${Math.round(run.ms)} ms after SIGINT`);
      assert.match(run.stderr, /interrupted/i);
      const { rows } = await readCsvFile(out);
      assert.ok(rows.length >= 5 && rows.length < DOMAINS, `${rows.length} rows`);
      assert.ok(readFileSync(out, 'utf8').endsWith('\r\n') || readFileSync(out, 'utf8').endsWith('\n'), 'ends with a complete row');
    } finally {
      await slow.close();
    }
  });
});

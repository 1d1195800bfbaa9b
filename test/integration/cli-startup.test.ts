// How the built CLI starts (bin/mxprobe.js, bin/cli-script.js, scripts/build.mjs): what each
// kind of run loads, read from Node's own list of the built-in modules it loaded (no timing);
// the V8 code cache the build makes: this Node takes it, and one that does not fit (made by
// another Node) changes nothing but the time; the table of root subjects the build puts in
// the bundles, which the built trust store finds every bundled root by.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { rootCertificates } from 'node:tls';
import { pathToFileURL } from 'node:url';
import { BIN, ROOT, runCli, serverArgs } from '../helpers/run-cli.ts';
import { startFakeSmtp } from '../helpers/fake-smtp.ts';
import { makeTestPki } from '../helpers/pki.ts';
import { anchorFingerprint, anchorId } from '../../src/cert/trust-store.ts';
import { subjectKeyOf } from '../../src/cert/certificate-fields.ts';

const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

const LOADED_MARK = '\n@@mxprobe-test-loaded=';
// Lists, at exit, the built-in modules loaded after the hook ran (that is, by the CLI), written
// with writeSync so that the listing itself loads no stream.
const LOADED_HOOK = `data:text/javascript,import { writeSync } from 'node:fs'; const before = new Set(process.moduleLoadList); process.on('exit', () => { const loaded = process.moduleLoadList.filter((m) => !before.has(m) && m.startsWith('NativeModule ')).map((m) => m.slice(13)); writeSync(2, ${JSON.stringify(LOADED_MARK)} + loaded.join(',') + '\\n'); });`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node [nodeArgs] bin [args]` with a clean environment (no test-runner options, no colours). */
function run(bin: string, args: readonly string[], nodeArgs: readonly string[] = []): Promise<Run> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
  delete env.NODE_OPTIONS;
  delete env.NODE_TEST_CONTEXT;
  delete env.FORCE_COLOR;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, bin, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The CLI's run with the built-in modules it loaded. */
async function loading(args: readonly string[]): Promise<Run & { loaded: string[] }> {
  const result = await run(BIN, args, ['--import', LOADED_HOOK]);
  const mark = result.stderr.lastIndexOf(LOADED_MARK);
  assert.ok(mark >= 0, `the hook listed the modules: ${result.stderr}`);
  const loaded = result.stderr.slice(mark + LOADED_MARK.length).trim().split(',').filter((m) => m !== '');
  return { ...result, stderr: result.stderr.slice(0, mark), loaded };
}

describe('what a run loads', { concurrency: true }, () => {
  test('`--version` and `-V` alone print the version without loading the CLI: no bundle (node:vm), no network, TLS or crypto module', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await loading([flag]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${VERSION}\n`);
      assert.equal(r.stderr, '');
      for (const heavy of ['vm', 'net', 'tls', 'crypto', 'child_process', 'os']) assert.ok(!r.loaded.includes(heavy), `${flag} loaded node:${heavy}: ${r.loaded.join(' ')}`);
    }
  });

  test('--help and a bad option load the CLI but no network, TLS, crypto or child-process module', async () => {
    for (const args of [['--help'], ['--port', '0', 'example.test'], ['--no-such-option']]) {
      const r = await loading(args);
      assert.equal(r.code, args[0] === '--help' ? 0 : 2, r.stderr);
      assert.ok(r.loaded.includes('vm'), 'the bundle was loaded');
      for (const heavy of ['tls', 'crypto', 'child_process', 'dgram', 'dns', 'https']) assert.ok(!r.loaded.includes(heavy), `${args.join(' ')} loaded node:${heavy}: ${r.loaded.join(' ')}`);
    }
  });

  test('a probe of --server IP loads TLS and crypto, but not what other runs need: HTTPS (MTA-STS), DNS, child processes, promise timers (retries)', async () => {
    const pki = await makeTestPki();
    const smtp = await startFakeSmtp({ tls: pki.certs.valid });
    try {
      const r = await loading([...serverArgs(smtp), '--ca-file', pki.caFile, '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).domains[0].level, 'verify');
      for (const needed of ['net', 'tls', 'crypto']) assert.ok(r.loaded.includes(needed), `node:${needed} loaded`);
      for (const unneeded of ['https', 'http', 'dns', 'dns/promises', 'child_process', 'dgram', 'timers/promises']) {
        assert.ok(!r.loaded.includes(unneeded), `a --server probe loaded node:${unneeded}: ${r.loaded.join(' ')}`);
      }
    } finally {
      await smtp.close();
    }
  });

  test('`--version` anywhere else goes through the option parser and prints the same', async () => {
    const r = await runCli(['example.test', '--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${VERSION}\n`);
  });
});

describe('the code cache of the CLI bundle', () => {
  let copy: string;

  before(() => {
    copy = mkdtempSync(path.join(os.tmpdir(), 'mxprobe-startup-'));
    cpSync(path.join(ROOT, 'bin'), path.join(copy, 'bin'), { recursive: true });
    mkdirSync(path.join(copy, 'dist'));
    cpSync(path.join(ROOT, 'dist', 'mxprobe.cjs'), path.join(copy, 'dist', 'mxprobe.cjs'));
    cpSync(path.join(ROOT, 'package.json'), path.join(copy, 'package.json'));
  });
  after(() => rmSync(copy, { recursive: true, force: true }));

  test('the bundle is ASCII (V8 then holds its ~0.9 MB as a one-byte string)', () => {
    const bundle = readFileSync(path.join(ROOT, 'dist', 'mxprobe.cjs'));
    assert.ok(bundle.length > 100_000, 'the bundle was built');
    assert.equal(bundle.findIndex((byte) => byte > 0x7f), -1);
  });

  test('the cache the build made is taken by this Node (V8 checks its version, its flags and the source)', async () => {
    const script = `const s = require(${JSON.stringify(path.join(ROOT, 'bin', 'cli-script.js'))}); const c = s.readCodeCache(); process.stdout.write(JSON.stringify({ cache: c !== undefined, rejected: s.compileCli(c).cachedDataRejected }));`;
    const r = await run('-e', [script]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { cache: true, rejected: false });
  });

  test('the build trained the cache: a probe (through bin/cli-script.js) compiles next to nothing that it lacks', async () => {
    const pki = await makeTestPki();
    const smtp = await startFakeSmtp({ tls: pki.certs.valid });
    try {
      const cacheFile = path.join(ROOT, 'dist', 'mxprobe.cjs.cache');
      const out = path.join(copy, 'after-probe.cache');
      // The CLI run as bin/mxprobe.js runs it, writing what its script then holds at exit.
      const args = [...serverArgs(smtp), '--ca-file', pki.caFile, '--json'];
      const script = `process.argv = [process.argv[0], ${JSON.stringify(BIN)}, ...${JSON.stringify(args)}]; const cli = require(${JSON.stringify(path.join(ROOT, 'bin', 'cli-script.js'))}); const compiled = cli.runCli(); process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, compiled.createCachedData()));`;
      const r = await run('-e', [script]);
      assert.equal(r.code, 0, r.stderr);
      const before = readFileSync(cacheFile).length;
      const after = readFileSync(out).length;
      // Untrained, the cache held the bundle's top level only (~150 KB) and a probe grew it ~4-fold.
      assert.ok(after <= before * 1.05, `a probe grew the trained cache from ${before} to ${after} bytes`);
    } finally {
      await smtp.close();
    }
  });

  test('a cache that does not fit (another Node made it) or none at all: the same help and usage errors, from a compiled bundle', async () => {
    const [help, usage] = await Promise.all([run(BIN, ['--help']), run(BIN, ['--port', '0', 'example.test'])]);
    assert.equal(help.code, 0);
    assert.equal(usage.code, 2);
    for (const cache of [Buffer.from('not a V8 code cache'), null]) {
      const file = path.join(copy, 'dist', 'mxprobe.cjs.cache');
      if (cache === null) rmSync(file, { force: true });
      else writeFileSync(file, cache);
      const bin = path.join(copy, 'bin', 'mxprobe.js');
      const [h, u] = await Promise.all([run(bin, ['--help']), run(bin, ['--port', '0', 'example.test'])]);
      assert.deepEqual(h, help, `--help with ${cache === null ? 'no cache' : 'a foreign cache'}`);
      assert.deepEqual(u, usage, `a usage error with ${cache === null ? 'no cache' : 'a foreign cache'}`);
    }
  });
});

describe("the build's table of the bundled roots' subjects", () => {
  test('both bundles hold it, for every root of this Node', () => {
    for (const bundle of ['mxprobe.cjs', 'index.js']) {
      const text = readFileSync(path.join(ROOT, 'dist', bundle), 'utf8');
      const missing = rootCertificates.filter((pem) => !text.includes(JSON.stringify(anchorFingerprint(anchorId(pem)))));
      assert.deepEqual(missing, [], `${bundle} lacks roots`);
    }
  });

  test('the built trust store finds each bundled root, and only roots of that subject, by the subject the root itself has', async () => {
    const { makeTrustStore } = (await import(pathToFileURL(path.join(ROOT, 'dist', 'index.js')).href)) as typeof import('../../src/index.ts');
    const store = makeTrustStore([], []);
    for (const pem of rootCertificates) {
      const id = anchorId(pem);
      const key = subjectKeyOf(Buffer.from(id, 'base64'));
      assert.ok(key !== null);
      const found = store.anchorsNamed(key);
      assert.ok(found.some((c) => c.id === id), `root ${anchorFingerprint(id)} is found by its subject`);
      for (const c of found) assert.equal(subjectKeyOf(Buffer.from(c.id, 'base64')), key);
    }
  });
});

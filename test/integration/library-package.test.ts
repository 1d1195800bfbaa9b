// The package as a user gets it. `npm pack` (scripts ignored: the suite's dist/ must not be
// rebuilt under the other tests) makes the tarball; its file list must hold what a user needs
// and nothing of the tests or the sources. A small project then depends on it, offline: the
// tarball unpacked into its node_modules, the package's runtime dependencies and @types/node
// linked from this repo's, as `npm install` would place them. Every README code block that
// imports from 'mxprobe' is type-checked there with this repo's tsc (strict, skipLibCheck off,
// so the published declarations are checked too), for NodeNext and for bundler resolution, and
// run with node against a fake SMTP server on loopback, each `console.log(…); // output`
// comment held to what the line printed. A guard in the child refuses any connection or
// datagram that is not to loopback.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../helpers/run-cli.ts';
import { startFakeSmtp, type FakeSmtpServer } from '../helpers/fake-smtp.ts';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';
import { exportsWithoutExample, publicApi } from '../helpers/api-surface.ts';

const run = promisify(execFile);
const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  main: string;
  types: string;
  bin: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
  dependencies: Record<string, string>;
};
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
/** The port the README's probe example names; the test's fake server listens elsewhere. */
const README_PORT = 'port: 2525,';

/** The README's code blocks that import from 'mxprobe', in order. */
function readmeExamples(): string[] {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/^```(?:ts|typescript|js|javascript)\n([\s\S]*?)^```$/gm)]
    .map((m) => m[1] as string)
    .filter((code) => /from 'mxprobe'/.test(code));
}

// In the child, before the example: net connections and UDP datagrams to loopback only.
const GUARD = `data:text/javascript,${encodeURIComponent(`
import net from 'node:net';
import dgram from 'node:dgram';
const loopback = (host) => /^(127\\.|::1$|::ffff:127\\.|localhost$)/i.test(String(host));
const refuse = (what, host) => { throw new Error('test guard: ' + what + ' to ' + host + ' refused (loopback only)'); };
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const options = typeof first === 'object' && first !== null ? first : { port: first, host: args[1] };
  if (options.path === undefined && !loopback(options.host ?? 'localhost')) refuse('connect', options.host);
  return connect.apply(this, args);
};
const send = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function (...args) {
  const host = args.find((a, i) => i > 0 && typeof a === 'string');
  if (!loopback(host ?? 'localhost')) refuse('datagram', host);
  return send.apply(this, args);
};
const udpConnect = dgram.Socket.prototype.connect;
dgram.Socket.prototype.connect = function (port, host, ...rest) {
  if (!loopback(typeof host === 'string' ? host : 'localhost')) refuse('datagram connect', host);
  return udpConnect.call(this, port, host, ...rest);
};
`)}`;

interface Packed {
  filename: string;
  files: Array<{ path: string }>;
}

let tmp: string;
let project: string;
let packed: Packed;
let pki: TestPki;
let smtp: FakeSmtpServer;

before(async () => {
  for (const built of ['dist/index.js', 'dist/types/index.d.ts']) {
    assert.ok(existsSync(path.join(ROOT, built)), `${built} is missing: run \`node scripts/build.mjs\` (npm test builds it)`);
  }
  tmp = mkdtempSync(path.join(os.tmpdir(), 'mxprobe-package-'));
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  packed = (JSON.parse(stdout) as Packed[])[0] as Packed;

  // The consumer: its own package.json (ESM), the package unpacked as npm would install it.
  project = path.join(tmp, 'consumer');
  const installed = path.join(project, 'node_modules', PACKAGE.name);
  mkdirSync(installed, { recursive: true });
  mkdirSync(path.join(project, 'node_modules', '@types'));
  mkdirSync(path.join(project, 'src'));
  await run('tar', ['-xzf', path.join(tmp, packed.filename), '-C', installed, '--strip-components=1']);
  for (const dep of Object.keys(PACKAGE.dependencies)) symlinkSync(path.join(ROOT, 'node_modules', dep), path.join(project, 'node_modules', dep), 'dir');
  symlinkSync(path.join(ROOT, 'node_modules', '@types', 'node'), path.join(project, 'node_modules', '@types', 'node'), 'dir');
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { [PACKAGE.name]: '*' } }));
  const strict = { target: 'ES2022', strict: true, exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true, skipLibCheck: false, types: ['node'] };
  writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...strict, module: 'NodeNext', moduleResolution: 'NodeNext', rootDir: 'src', outDir: 'out' }, include: ['src'] }));
  writeFileSync(path.join(project, 'tsconfig.bundler.json'), JSON.stringify({ compilerOptions: { ...strict, module: 'ESNext', moduleResolution: 'Bundler', noEmit: true }, include: ['src'] }));

  pki = await makeTestPki();
  smtp = await startFakeSmtp({ tls: pki.certs.valid });
  // What the examples read: the lab's CA, a message.
  copyFileSync(pki.caFile, path.join(project, 'lab-ca.pem'));
  copyFileSync(path.join(ROOT, 'test', 'fixtures', 'headers', 'postfix.eml'), path.join(project, 'message.eml'));
  readmeExamples().forEach((code, i) => {
    const withPort = code.split(README_PORT).join(`port: ${smtp.port},`);
    writeFileSync(path.join(project, 'src', `readme-${i + 1}.ts`), withPort);
  });
});

after(async () => {
  await smtp?.close();
  if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
});

/** Runs a compiled example in the consumer project, guarded; at most 60 s. */
function runExample(file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
  delete env.NODE_OPTIONS; // the test runner's --import tsx must not reach the example
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_EXTRA_CA_CERTS;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', GUARD, file], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('npm pack holds the bundles, the declarations, the CLI and the docs, and nothing of the tests or sources', () => {
  const files = packed.files.map((f) => f.path).sort();
  const allowed = (f: string) => /^(bin|dist)\//.test(f) || ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE'].includes(f);
  assert.deepEqual(files.filter((f) => !allowed(f)), [], 'only bin/, dist/, package.json, README.md, CHANGELOG.md (LICENSE)');
  assert.deepEqual(files.filter((f) => /^(test|src|bench|scripts)\/|\.(pem|key|crt|map|tgz)$|\.ts$/.test(f) && !f.endsWith('.d.ts')), []);
  // Every entry point package.json names is in the tarball.
  const targets = [PACKAGE.main, PACKAGE.types, ...Object.values(PACKAGE.bin), ...Object.values(PACKAGE.exports).flatMap((e) => (typeof e === 'string' ? [e] : Object.values(e)))];
  for (const target of targets) assert.ok(files.includes(path.posix.normalize(target)), `${target} is packed`);
  for (const cli of ['bin/mxprobe.js', 'bin/cli-script.js', 'bin/package.json', 'dist/mxprobe.cjs', 'dist/mxprobe.cjs.cache']) assert.ok(files.includes(cli), `${cli} (the CLI) is packed`);
  assert.ok(files.filter((f) => f.startsWith('dist/types/')).every((f) => f.endsWith('.d.ts')), 'dist/types holds declarations only');
});

test("the README's library examples type-check against the packed package: strict, NodeNext and bundler resolution", async () => {
  const examples = readmeExamples();
  assert.ok(examples.length >= 3, `the README has its library examples (found ${examples.length})`);
  assert.equal(examples.filter((code) => code.includes(README_PORT)).length, 1, `one example probes, on the port it names (${README_PORT})`);
  const tsc = (config: string) => run(process.execPath, [TSC, '-p', config], { cwd: project, maxBuffer: 16 * 1024 * 1024 }).catch((err: { stdout?: string; stderr?: string }) => {
    assert.fail(`tsc -p ${config} failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  });
  await Promise.all([tsc('tsconfig.json'), tsc('tsconfig.bundler.json')]);
  for (let i = 1; i <= examples.length; i++) assert.ok(existsSync(path.join(project, 'out', `readme-${i}.js`)), `readme-${i}.js compiled`);
});

test("the README's library examples run, and print what their comments say", async (t) => {
  const examples = readmeExamples();
  for (const [i, code] of examples.entries()) {
    const file = path.join('out', `readme-${i + 1}.js`);
    if (!existsSync(path.join(project, file))) assert.fail(`${file} was not compiled (see the type-check test)`);
    const result = await runExample(file);
    const context = `README example ${i + 1}, exit ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
    assert.equal(result.code, 0, context);
    assert.doesNotMatch(result.stderr, /test guard/, context);
    // `console.log(…); // output (remark)`: the line printed `output`.
    const printed = result.stdout.split('\n');
    for (const m of code.matchAll(/console\.log\(.*\);\s*\/\/\s*(.+)$/gm)) {
      const expected = (m[1] as string).replace(/\s+\(.*\)$/, '').trim();
      assert.ok(printed.includes(expected), `README example ${i + 1} says it prints "${expected}"\n${context}`);
    }
    if (code.includes('probeDomain(')) {
      assert.match(result.stdout, /^PASS example\.test: level verify \(required: verify\)$/m, context);
      assert.equal(smtp.sessions.at(-1)?.commands.at(-1), 'QUIT', 'the probe says QUIT');
      assert.ok(smtp.sessions.every((s) => !s.commands.some((c) => /^(MAIL|RCPT|DATA)\b/i.test(c))), 'no mail is sent');
    }
    if (code.includes('analyseMessages(')) assert.match(result.stdout, /^PASS message 1/m, context);
    t.diagnostic(`README example ${i + 1}: ${printed.length - 1} lines printed`);
  }
});

test('the published declarations carry the whole API, each export with its TSDoc @example', () => {
  const installedTypes = path.join(project, 'node_modules', PACKAGE.name, PACKAGE.types);
  const published = publicApi(installedTypes);
  const source = publicApi(path.join(ROOT, 'src', 'index.ts'));
  assert.deepEqual(published.exports.map((e) => e.name).sort(), source.exports.map((e) => e.name).sort());
  assert.deepEqual(exportsWithoutExample(published), []);
});

// Bundles the CLI and the library. The CLI is one CommonJS file, dist/mxprobe.cjs, with a V8
// code cache beside it (dist/mxprobe.cjs.cache, made here: bin/cli-script.js): at start-up
// Node then reads compiled code instead of compiling ~0.9 MB of JavaScript, and a CommonJS
// file needs no ES module resolution or per-chunk loading. What only some runs need (the probe,
// the DNS library, the table renderer, a batch, a deep probe, `mxprobe headers`) stays behind
// dynamic import() in src/, which esbuild turns into modules that run when first imported.
// The library entry (dist/index.js, an ES module) is built apart and shares nothing with the
// CLI. Its type declarations (dist/types/, what package.json `types` and `exports` name) are
// emitted by tsc from src/index.ts and every module it reaches (tsconfig.build.json).
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { rootCertificates } from 'node:tls';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { trainCodeCache } from './train-code-cache.mjs';

const require = createRequire(import.meta.url);

// Start clean: nothing of an earlier layout (or a stale code cache) is left to be published.
rmSync('dist', { recursive: true, force: true });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: false,
  logLevel: 'warning',
};

/** tsc, declarations only: a type error fails the build, and its message is shown. */
async function declarations() {
  const tsc = require.resolve('typescript/bin/tsc');
  try {
    await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    process.stderr.write(`${err.stdout ?? ''}${err.stderr ?? ''}`);
    throw new Error('type declarations: tsc -p tsconfig.build.json failed');
  }
}

/**
 * The subject name keys of this Node's bundled roots, computed by the trust store's own code
 * (src/cert/trust-store.ts rootSubjectEntries), for both bundles' src/cert/root-subject-table.ts
 * (empty in the sources): the trust store then need not read them at every start.
 */
async function rootSubjectTable() {
  const { outputFiles } = await build({
    ...common,
    format: 'esm',
    write: false,
    stdin: { contents: "export { rootSubjectEntries } from './src/cert/trust-store.ts';", resolveDir: process.cwd(), loader: 'ts' },
  });
  const { rootSubjectEntries } = await import(`data:text/javascript;base64,${Buffer.from(outputFiles[0].contents).toString('base64')}`);
  const entries = rootSubjectEntries(rootCertificates);
  return {
    name: 'root-subject-table',
    setup(b) {
      b.onLoad({ filter: /[\\/]src[\\/]cert[\\/]root-subject-table\.ts$/ }, () => ({ contents: `export const ROOT_SUBJECT_TABLE = ${JSON.stringify(entries)};`, loader: 'js' }));
    },
  };
}

/**
 * commander requires node:child_process when it loads (for executable subcommands, which
 * mxprobe has none of): that and what it pulls in (dgram, net's socket list) would load at
 * every start. The CLI's commander gets a stand-in that requires it on first use instead.
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy-child-process' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-child-process' }, () => ({
      contents: "module.exports = new Proxy({}, { get: (_, key) => require('node:child_process')[key] });",
      loader: 'js',
    }));
  },
};

/**
 * The CLI bundle and its code cache. The cache is made by the same code that reads it
 * (bin/cli-script.js), so the two cannot disagree on the source. (The sources are ES modules:
 * esbuild starts the CommonJS file with "use strict", so they run in strict mode as before.)
 */
async function cli(rootSubjects) {
  await build({
    ...common,
    entryPoints: { mxprobe: 'src/cli/main.ts' },
    outExtension: { '.js': '.cjs' },
    outdir: 'dist',
    format: 'cjs',
    // import() of a built-in (node:https for MTA-STS, …) becomes a require() when first called.
    supported: { 'dynamic-import': false },
    // A CommonJS file has no import.meta: its URL is the bundle's own (the probe workers' pool
    // finds dist/probe-worker.js beside it).
    define: { 'import.meta.url': '__mxprobeBundleUrl' },
    banner: { js: "var __mxprobeBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    plugins: [lazyChildProcess, rootSubjects],
  });
  const { CACHE, BUNDLE, compileCli } = require('../bin/cli-script.js');
  // esbuild escapes what is not ASCII in code (charset: ascii), not in the comments it keeps:
  // escape those too, so that V8 holds the source as a one-byte string (half the bytes to scan).
  const source = readFileSync(BUNDLE, 'utf8').replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  // vm.Script has no module loader for import(): every import() must have been bundled.
  if (/\bimport\s*\(/.test(source.replace(/(["'`])(?:\\.|(?!\1)[^\\])*\1/g, ''))) {
    throw new Error(`${BUNDLE} still holds an import(): bundle the module it loads`);
  }
  writeFileSync(BUNDLE, source);
  const compiled = compileCli(undefined).createCachedData();
  writeFileSync(CACHE, compiled);
  // Then the functions a probe runs (scripts/train-code-cache.mjs). Without them the CLI works
  // all the same, compiling each on first call.
  try {
    await trainCodeCache(process.cwd());
  } catch (err) {
    writeFileSync(CACHE, compiled);
    process.stderr.write(`build: the CLI's code cache holds its top level only (training it failed: ${err.message})\n`);
  }
  // Whoever ran dist/mxprobe.js (bin/mxprobe.js did, up to 0.1.0) still gets the CLI.
  writeFileSync('dist/mxprobe.js', "// The CLI's entry is bin/mxprobe.js; this file runs it, for whoever runs dist/mxprobe.js.\nimport '../bin/mxprobe.js';\n");
}

const rootSubjects = await rootSubjectTable();
await Promise.all([
  cli(rootSubjects),
  build({
    ...common,
    format: 'esm',
    entryPoints: { index: 'src/index.ts' },
    outdir: 'dist',
    // A CommonJS dependency bundled into it would call require(): give the ES module one.
    banner: { js: "import { createRequire as __mxprobeCreateRequire } from 'node:module'; const require = __mxprobeCreateRequire(import.meta.url);" },
    plugins: [rootSubjects],
  }),
  // A batch's probe workers (--workers, src/pipeline/probe-workers.ts) run this script, found
  // beside the CLI's bundle (dist/probe-worker.js): an ES module of its own, loaded per worker.
  build({
    ...common,
    format: 'esm',
    entryPoints: { 'probe-worker': 'src/pipeline/probe-worker.ts' },
    outdir: 'dist',
    banner: { js: "import { createRequire as __mxprobeCreateRequire } from 'node:module'; const require = __mxprobeCreateRequire(import.meta.url);" },
    plugins: [rootSubjects],
  }),
  declarations(),
]);

// Bundles the CLI so start-up reads a few modules instead of hundreds: the entry holds
// only option parsing, and the probe, the DNS library and the table renderer are chunks
// loaded when needed. The library entry (dist/index.js) is built apart, so that it shares
// no chunk with the CLI and cannot pull code into the CLI's start-up path. Its type
// declarations (dist/types/, what package.json `types` and `exports` name) are emitted by
// tsc from src/index.ts and every module it reaches (tsconfig.build.json).
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { build } from 'esbuild';

// Start clean: chunk names carry hashes, so old chunks would pile up and be published.
rmSync('dist', { recursive: true, force: true });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: false,
  logLevel: 'warning',
  // CommonJS dependencies (commander, cli-table3) call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __mxprobeCreateRequire } from 'node:module'; const require = __mxprobeCreateRequire(import.meta.url);" },
};

/** tsc, declarations only: a type error fails the build, and its message is shown. */
async function declarations() {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    process.stderr.write(`${err.stdout ?? ''}${err.stderr ?? ''}`);
    throw new Error('type declarations: tsc -p tsconfig.build.json failed');
  }
}

await Promise.all([
  // A batch's probe workers (--workers): the worker's script is an entry of its own, and so is
  // the pool that starts it, so that the pool finds it beside itself (dist/probe-worker.js).
  build({
    ...common,
    entryPoints: { mxprobe: 'src/cli/main.ts', 'probe-workers': 'src/pipeline/probe-workers.ts', 'probe-worker': 'src/pipeline/probe-worker.ts' },
    outdir: 'dist',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
  }),
  build({ ...common, entryPoints: { index: 'src/index.ts' }, outdir: 'dist' }),
  declarations(),
]);

// Bundles the CLI so start-up reads a few modules instead of hundreds: the entry holds
// only option parsing, and the probe, the DNS library and the table renderer are chunks
// loaded when needed. The library entry (dist/index.js) is built apart, so that it shares
// no chunk with the CLI and cannot pull code into the CLI's start-up path.
import { rmSync } from 'node:fs';
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

await Promise.all([
  build({ ...common, entryPoints: { mxprobe: 'src/cli/main.ts' }, outdir: 'dist', splitting: true, chunkNames: 'chunks/[name]-[hash]' }),
  build({ ...common, entryPoints: { index: 'src/index.ts' }, outdir: 'dist' }),
]);

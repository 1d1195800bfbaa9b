// Bundles the CLI into one ESM file so start-up reads one module instead of hundreds.
import { build } from 'esbuild';

await build({
  entryPoints: { mxprobe: 'src/cli/main.ts', index: 'src/index.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: false,
  logLevel: 'warning',
  // CommonJS dependencies (commander, cli-table3, node-forge) call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __mxprobeCreateRequire } from 'node:module'; const require = __mxprobeCreateRequire(import.meta.url);" },
});

#!/usr/bin/env node
// Entry point of the CLI: CommonJS (bin/package.json), which Node starts faster than an ES
// module. `mxprobe --version` alone is answered here without loading the CLI; everything
// else runs the bundle built into dist/ (`npm run build`, run on install) through
// bin/cli-script.js, which compiles it with its code cache.
'use strict';

/**
 * Writes the version as commander would (`-V, --version`, cli/main.ts) and says whether it
 * did. When standard output cannot take it, the CLI runs instead, to fail as it documents
 * (141 for a closed pipe, 74 for another write error: cli/output.ts).
 */
function printVersion() {
  try {
    require('node:fs').writeSync(1, `${require('../package.json').version}\n`);
    return true;
  } catch {
    return false;
  }
}

const args = process.argv.slice(2);
const versionOnly = args.length === 1 && (args[0] === '--version' || args[0] === '-V');
if (!versionOnly || !printVersion()) require('./cli-script.js').runCli();

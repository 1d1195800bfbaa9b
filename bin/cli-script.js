// The CLI's bundle, dist/mxprobe.cjs (one CommonJS file: its parts for a batch, a deep probe,
// the DNS library, the table renderer… run only when needed), compiled as a vm.Script with the
// V8 code cache the build made of it, dist/mxprobe.cjs.cache: reading V8's compiled code costs
// less than compiling the ~0.9 MB of JavaScript at every start, and the build trained the cache
// with the functions a probe runs (scripts/train-code-cache.mjs). V8 checks the cache (its own
// version, its flags, the source) and rejects one that does not fit, e.g. after Node was
// upgraded or under a V8 flag such as --max-old-space-size: the bundle is then compiled as
// usual, just more slowly. Used by bin/mxprobe.js to run the CLI and by the build to make the cache.
'use strict';
const { readFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const path = require('node:path');
const vm = require('node:vm');

const BUNDLE = path.join(__dirname, '..', 'dist', 'mxprobe.cjs');
const CACHE = `${BUNDLE}.cache`;

/**
 * The bundle as a script whose value is its module function, as Node wraps a CommonJS module
 * (the source keeps its line numbers); with `cachedData`, V8 takes its code from there when it fits.
 */
function compileCli(cachedData) {
  const source = readFileSync(BUNDLE, 'utf8');
  return new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: BUNDLE, cachedData });
}

/** The build's code cache, or undefined when there is none (the bundle is then compiled). */
function readCodeCache() {
  try {
    return readFileSync(CACHE);
  } catch {
    return undefined;
  }
}

/**
 * Runs the CLI (its argv, standard streams and exit code are the process's) and returns its
 * script, whose createCachedData() then holds every function the run has compiled so far
 * (scripts/train-code-cache.mjs).
 */
function runCli() {
  const script = compileCli(readCodeCache());
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(BUNDLE), module, BUNDLE, path.dirname(BUNDLE));
  return script;
}

module.exports = { BUNDLE, CACHE, compileCli, readCodeCache, runCli };

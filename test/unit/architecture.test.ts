// The layering rules of the source tree, checked over every module's imports: judging and
// rendering never reach into a gathering folder (they get facts, and the pure rules they share
// with gathering live in src/rules/); the pure rules import nothing that gathers; DER bytes are
// walked in cert/ by der.ts and the field reader only; TLS bytes are read in tls/wire/ only.
// And the pipeline's (issue "Foundation v2", part 1): render/ does no I/O; only cli/ touches
// the standard streams, signals and the exit; one module says what a failed output is; one
// list of formats; the runner alone gathers and judges rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/run-cli.ts';

const SRC = path.join(ROOT, 'src');
const GATHERING = ['dns', 'smtp', 'tls', 'cert', 'probe', 'receive'];

/** Every .ts file under src/, as a path relative to src/ ('judge/judge-address.ts'). */
function modules(dir = SRC): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return modules(full);
    return name.endsWith('.ts') ? [path.relative(SRC, full)] : [];
  });
}

/** The modules `file` imports (static and dynamic, types too), as paths relative to src/ without extension. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(SRC, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^import\s+)'([^']+)'/gm)].map((m) => m[1] as string);
  return specifiers.filter((s) => s.startsWith('.')).map((s) => path.relative(SRC, path.resolve(path.dirname(path.join(SRC, file)), s)).replace(/\.js$/, ''));
}

const folderOf = (module: string) => module.split(path.sep)[0] as string;

/** A module's code without its comments (TSDoc examples name process.stdout and the like). */
function codeOf(file: string): string {
  return readFileSync(path.join(SRC, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"\\])\/\/.*$/gm, '$1');
}

/** The external packages and node: modules `file` imports. */
function packagesOf(file: string): string[] {
  const text = readFileSync(path.join(SRC, file), 'utf8');
  return [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^import\s+)'([^'.][^']*)'/gm)].map((m) => m[1] as string);
}

test('judge/ and render/ import nothing from a gathering folder (dns, smtp, tls, cert, probe, receive)', () => {
  const breaches = modules()
    .filter((m) => ['judge', 'render'].includes(folderOf(m)))
    .flatMap((m) => importsOf(m).filter((i) => GATHERING.includes(folderOf(i))).map((i) => `${m} imports ${i}`));
  assert.deepEqual(breaches, []);
});

test('rules/ (pure helpers shared by gathering and judging) imports only model/, input/ and itself', () => {
  const rules = modules().filter((m) => folderOf(m) === 'rules');
  assert.ok(rules.length > 0, 'src/rules/ exists');
  const breaches = rules.flatMap((m) => importsOf(m).filter((i) => !['rules', 'model', 'input'].includes(folderOf(i))).map((i) => `${m} imports ${i}`));
  assert.deepEqual(breaches, []);
});

test('the DER walker (cert/der.ts) is used by the certificate field reader and the OCSP response reader alone: no other module walks DER', () => {
  const users = modules().filter((m) => importsOf(m).includes(path.join('cert', 'der')));
  assert.deepEqual(users.sort(), [path.join('cert', 'certificate-fields.ts'), path.join('cert', 'ocsp-response.ts')]);
});

test('TLS bytes are read in tls/wire/ alone: the rest of tls/ reads no integer off a buffer', () => {
  const readers = modules()
    .filter((m) => folderOf(m) === 'tls' && !m.startsWith(path.join('tls', 'wire')))
    .filter((m) => /\.read(?:U?Int|BigU?Int)\w*\(|\bByteReader\b/.test(readFileSync(path.join(SRC, m), 'utf8')));
  assert.deepEqual(readers, []);
});

test('render/ is pure: no node: module (but node:crypto in the HTML page shell, for its CSP hashes), no terminal library, no process (the spinner and the writing live in cli/)', () => {
  const render = modules().filter((m) => folderOf(m) === 'render');
  const allowed = (m: string, p: string) => ['chalk', 'cli-table3'].includes(p) || (p === 'node:crypto' && m === path.join('render', 'html-page.ts'));
  const breaches = render.flatMap((m) => [
    ...packagesOf(m).filter((p) => !allowed(m, p)).map((p) => `${m} imports ${p}`),
    ...(/\bprocess\./.test(codeOf(m)) ? [`${m} uses process`] : []),
  ]);
  assert.deepEqual(breaches, []);
});

test('only cli/ touches standard input, output and error, installs signal handlers or exits (batch/ and the runner never do)', () => {
  const breaches = modules()
    .filter((m) => folderOf(m) !== 'cli')
    .flatMap((m) => [...codeOf(m).matchAll(/\bprocess\.(?:stdin|stdout|stderr|exit|on|once|off)\b/g)].map((x) => `${m}: ${x[0]}`));
  assert.deepEqual(breaches, []);
});

test('one module says what a failed output is (cli/output.ts): the broken pipe, the wording, the handler of standard output', () => {
  const breaches = modules()
    .filter((m) => m !== path.join('cli', 'output.ts'))
    .flatMap((m) => [...codeOf(m).matchAll(/'EPIPE'|"EPIPE"|cannot (?:write|flush|close) (?:to |the report|--output)|stdout\.on\('error'/g)].map((x) => `${m}: ${x[0]}`));
  assert.deepEqual(breaches, []);
});

test('one list of formats (render/formats.ts): no other module lists them', () => {
  const breaches = modules()
    .filter((m) => m !== path.join('render', 'formats.ts'))
    .filter((m) => /'junit'|"junit"/.test(codeOf(m)));
  assert.deepEqual(breaches, []);
});

test('the runner alone gathers and judges rows: cli/ and batch/ import nothing from probe/ and no domain judge', () => {
  const judging = ['judge-domain', 'judge-address', 'invalid-input'].map((j) => path.join('judge', j));
  const breaches = modules()
    .filter((m) => ['cli', 'batch'].includes(folderOf(m)))
    .flatMap((m) => importsOf(m).filter((i) => folderOf(i) === 'probe' || judging.includes(i)).map((i) => `${m} imports ${i}`));
  assert.deepEqual(breaches, []);
});

/** The modules `file` imports statically for their values (no `import type`, no dynamic import()): what loading it loads. */
function valueImportsOf(file: string): string[] {
  const text = readFileSync(path.join(SRC, file), 'utf8');
  const specifiers = [...text.matchAll(/^import\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?'([^']+)'/gm)].map((m) => m[1] as string);
  return specifiers.filter((s) => s.startsWith('.') && s.endsWith('.js')).map((s) => path.relative(SRC, path.resolve(path.dirname(path.join(SRC, file)), s)).replace(/\.js$/, ''));
}

test('a probe of domains given as arguments or of one --server loads no batch module: what cli/run.ts loads statically holds no batch input, resume, summary or progress line', () => {
  const loaded = new Set<string>();
  const visit = (module: string) => {
    if (loaded.has(module)) return;
    loaded.add(module);
    for (const next of valueImportsOf(`${module}.ts`)) visit(next);
  };
  visit(path.join('cli', 'main'));
  visit(path.join('cli', 'options'));
  visit(path.join('cli', 'run'));
  // batch/shard.ts parses --shard at the edge (options.ts), with every other option.
  const batchModules = [...loaded].filter(
    (m) => (folderOf(m) === 'batch' && m !== path.join('batch', 'shard')) || ['judge/batch-summary', 'render/batch-summary-text', 'cli/open-batch-rows'].includes(m.split(path.sep).join('/')),
  );
  assert.ok(loaded.has(path.join('pipeline', 'runner')), 'the walk follows the run');
  assert.deepEqual(batchModules, []);
});

test('MTA-STS is gathered one way: the policy fetch has one caller, the probe\'s gatherMailPolicies; the rest of mta-sts/ is pure', () => {
  const callers = modules().filter((m) => m !== path.join('mta-sts', 'fetch-policy.ts') && /\bfetchPolicy\s*\(/.test(codeOf(m)));
  assert.deepEqual(callers, [path.join('probe', 'gather-mail-policies.ts')]);
  const impure = modules()
    .filter((m) => folderOf(m) === 'mta-sts' && m !== path.join('mta-sts', 'fetch-policy.ts'))
    .flatMap((m) => [...importsOf(m).filter((i) => GATHERING.includes(folderOf(i)) || i.endsWith('fetch-policy')), ...packagesOf(m).filter((p) => p.startsWith('node:'))].map((i) => `${m} imports ${i}`));
  assert.deepEqual(impure, []);
});

/** Every module `roots` load statically for their values, and the packages (node: and npm) they import. */
function staticClosure(...roots: string[]): { modules: Set<string>; packages: Set<string> } {
  const modules = new Set<string>();
  const packages = new Set<string>();
  const visit = (module: string) => {
    if (modules.has(module)) return;
    modules.add(module);
    const text = readFileSync(path.join(SRC, `${module}.ts`), 'utf8');
    for (const m of text.matchAll(/^import\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?'([^'.][^']*)'/gm)) packages.add(m[1] as string);
    for (const next of valueImportsOf(`${module}.ts`)) visit(next);
  };
  for (const root of roots) visit(root);
  return { modules, packages };
}

test('start-up (cli/main.ts: what --help and a parse error load) holds only the command line: no check of the options, no judge, table, gathering or renderer, no node: module but fs', () => {
  const { modules, packages } = staticClosure(path.join('cli', 'main'));
  const unix = [...modules].map((m) => m.split(path.sep).join('/')).sort();
  // Loaded when there is work to do: options.ts (the checks, with the sender policies, MTA-STS
  // and the problem catalogue), run.ts, run-headers.ts; the guideline tables are not needed
  // for --profile's choices (model/guideline-profile-ids.ts).
  assert.deepEqual(
    unix.filter((m) => !/^cli\/(main|raw-options|output|error-line|exit-codes|unsettled-guard)$/.test(m) && !['render/formats', 'render/sanitize', 'model/guideline-profile-ids'].includes(m)),
    [],
  );
  assert.deepEqual([...packages].sort(), ['commander', 'node:fs']);
});

// The public API as TypeScript sees it, read with the compiler API from an entry file (src/index.ts,
// or the .d.ts a package publishes): every exported symbol with its declarations, and three checks
// over them, generic over whatever the entry exports: TSDoc @example on each; no type named in a
// public signature that the entry does not export (a user could not name it); every @example
// type-checks against the API. Test helper only.
import path from 'node:path';
import ts from 'typescript';

export interface ApiExport {
  name: string;
  /** The symbol the export stands for (aliases resolved). */
  symbol: ts.Symbol;
  declarations: ts.Declaration[];
}

export interface PublicApi {
  entry: string;
  program: ts.Program;
  checker: ts.TypeChecker;
  exports: ApiExport[];
}

/** Strict, as a careful user's project is (the repo's own strictness, minus noUncheckedIndexedAccess). */
export const STRICT_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  exactOptionalPropertyTypes: true,
  skipLibCheck: true,
  allowImportingTsExtensions: true,
  noEmit: true,
  types: ['node'],
};

/**
 * Reads the exports of `entry` (a .ts or .d.ts file), with `extraFiles` in the same program.
 *
 * @example const api = publicApi(path.join(ROOT, 'src', 'index.ts')); api.exports.map((e) => e.name)
 */
export function publicApi(entry: string, extraFiles: readonly string[] = [], host?: ts.CompilerHost): PublicApi {
  const program = ts.createProgram([entry, ...extraFiles], STRICT_OPTIONS, host);
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  if (source === undefined) throw new Error(`${entry} is not in the program`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (moduleSymbol === undefined) throw new Error(`${entry} is no module`);
  const exports = checker.getExportsOfModule(moduleSymbol).map((s) => {
    const symbol = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
    return { name: s.name, symbol, declarations: symbol.declarations ?? [] };
  });
  return { entry, program, checker, exports };
}

/** The text of each @example tag on `declaration`. */
export function examplesOf(declaration: ts.Declaration): string[] {
  return ts
    .getJSDocTags(declaration)
    .filter((tag) => tag.tagName.text === 'example')
    .map((tag) => ts.getTextOfJSDocComment(tag.comment) ?? '')
    .filter((text) => text.trim() !== '');
}

/**
 * The exports without an @example on any of their declarations, as `name (file)`.
 *
 * @example assert.deepEqual(exportsWithoutExample(api), [])
 */
export function exportsWithoutExample(api: PublicApi): string[] {
  return api.exports
    .filter((e) => !e.declarations.some((d) => examplesOf(d).length > 0))
    .map((e) => `${e.name} (${e.declarations.map((d) => path.basename(d.getSourceFile().fileName)).join(', ') || 'no declaration'})`);
}

/** Not part of the public surface: private and protected members, and those marked @internal (tsconfig.build.json strips them from the declarations). */
const isHidden = (d: ts.Declaration) =>
  (ts.canHaveModifiers(d) && (ts.getModifiers(d) ?? []).some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword)) ||
  ts.getJSDocTags(d).some((tag) => tag.tagName.text === 'internal');

/**
 * The named types (interfaces, classes, aliases, enums) a type refers to at its surface: itself
 * when named, else the parts of a union, array, tuple, generic argument, function or object
 * literal. Members of a named type are its own export's business.
 */
function namedTypes(checker: ts.TypeChecker, type: ts.Type, out: Set<ts.Symbol>, seen = new Set<ts.Type>()): void {
  if (seen.has(type)) return;
  seen.add(type);
  const walk = (t: ts.Type) => namedTypes(checker, t, out, seen);
  if (type.aliasSymbol !== undefined) {
    out.add(type.aliasSymbol);
    for (const t of type.aliasTypeArguments ?? []) walk(t);
    return;
  }
  if (type.isUnionOrIntersection()) {
    for (const t of type.types) walk(t);
    return;
  }
  if (!(type.flags & ts.TypeFlags.Object)) return;
  const object = type as ts.ObjectType;
  let symbol = type.getSymbol();
  if (object.objectFlags & ts.ObjectFlags.Reference) {
    const reference = type as ts.TypeReference;
    for (const t of checker.getTypeArguments(reference)) walk(t);
    symbol = reference.target.getSymbol() ?? symbol;
  }
  if (symbol !== undefined && symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class | ts.SymbolFlags.Enum)) {
    out.add(symbol);
    return;
  }
  if (checker.isArrayType(type) || checker.isTupleType(type)) return; // their arguments are walked above
  for (const signature of [...type.getCallSignatures(), ...type.getConstructSignatures()]) {
    for (const p of signature.getParameters()) walk(checker.getTypeOfSymbol(p));
    walk(signature.getReturnType());
  }
  for (const p of checker.getPropertiesOfType(type)) walk(checker.getTypeOfSymbol(p));
}

/** The types the surface of one export refers to: signatures, public members, bases, the aliased type. */
function surfaceTypes(checker: ts.TypeChecker, e: ApiExport): Set<ts.Symbol> {
  const out = new Set<ts.Symbol>();
  const walk = (t: ts.Type) => namedTypes(checker, t, out);
  const flags = e.symbol.flags;
  if (flags & ts.SymbolFlags.TypeAlias) {
    const type = checker.getDeclaredTypeOfSymbol(e.symbol);
    // The alias names itself: walk what it stands for.
    if (type.isUnionOrIntersection()) for (const t of type.types) walk(t);
    else if (type.aliasSymbol === e.symbol) {
      for (const p of checker.getPropertiesOfType(type)) walk(checker.getTypeOfSymbol(p));
      for (const s of type.getCallSignatures()) for (const p of s.getParameters()) walk(checker.getTypeOfSymbol(p));
    } else walk(type);
  }
  if (flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class)) {
    const type = checker.getDeclaredTypeOfSymbol(e.symbol) as ts.InterfaceType;
    for (const base of checker.getBaseTypes(type)) walk(base);
    for (const p of checker.getPropertiesOfType(type)) {
      if ((p.declarations ?? []).some(isHidden)) continue;
      walk(checker.getTypeOfSymbol(p));
    }
  }
  if (flags & ts.SymbolFlags.Class) {
    for (const s of checker.getTypeOfSymbol(e.symbol).getConstructSignatures()) for (const p of s.getParameters()) walk(checker.getTypeOfSymbol(p));
  }
  if (flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Variable)) {
    const type = checker.getTypeOfSymbol(e.symbol);
    for (const s of type.getCallSignatures()) {
      for (const p of s.getParameters()) walk(checker.getTypeOfSymbol(p));
      walk(s.getReturnType());
    }
    if (flags & ts.SymbolFlags.Variable && type.getCallSignatures().length === 0) walk(type);
  }
  return out;
}

/**
 * Types that a public signature names but `api.entry` does not export, each as `export → type
 * (file)`: only types declared in `ownDir` (the project's sources) count, not Node's or a library's.
 *
 * @example assert.deepEqual(forgottenExports(api, path.join(ROOT, 'src')), [])
 */
export function forgottenExports(api: PublicApi, ownDir: string): string[] {
  const exported = new Set(api.exports.map((e) => e.symbol));
  const own = (s: ts.Symbol) => (s.declarations ?? []).some((d) => path.resolve(d.getSourceFile().fileName).startsWith(ownDir + path.sep));
  const found = new Set<string>();
  for (const e of api.exports) {
    for (const s of surfaceTypes(api.checker, e)) {
      if (s === e.symbol || exported.has(s) || !own(s) || s.flags & ts.SymbolFlags.TypeParameter) continue;
      found.add(`${e.name} → ${s.name} (${path.basename((s.declarations?.[0]?.getSourceFile().fileName as string) ?? '?')})`);
    }
  }
  return [...found].sort();
}

/** TypeScript's "cannot find name" diagnostics: a name an example takes as given (`facts`, `options`). */
const FREE_NAME = new Set([2304, 2552, 18004, 2582]);

/**
 * Type-checks every @example of the API against the API itself: each in a file of its own that
 * imports every export of the entry by name, inside an async function (so `await` works), with
 * strict options. Names an example takes as given (`facts`, `options`) are declared `any`; all
 * else must hold: the functions it calls exist and take those arguments, object literals fit
 * their types, a typed variable gets a value of its type. Returns each error as
 * `export @example N: message`.
 *
 * @example assert.deepEqual(exampleErrors(api), [])
 */
export function exampleErrors(api: PublicApi): string[] {
  const dir = path.dirname(api.entry);
  const importPath = `./${path.basename(api.entry).replace(/(\.d)?\.ts$/, '.js')}`;
  const names = [...new Set(api.exports.map((e) => e.name))];
  const examples = api.exports.flatMap((e) => e.declarations.flatMap((d) => examplesOf(d)).map((code, k) => ({ name: e.name, k: k + 1, code })));
  const fileOf = (i: number) => path.join(dir, `__api_example_${i}.ts`);
  const text = (i: number, free: ReadonlySet<string>) =>
    [
      `import { ${names.join(', ')} } from '${importPath}';`,
      ...[...free].map((n) => `declare const ${n}: any; type ${n} = any;`),
      'export async function example(): Promise<void> {',
      examples[i]?.code ?? '',
      '}',
      '',
    ].join('\n');
  const check = (free: ReadonlyArray<ReadonlySet<string>>) => {
    const files = new Map(examples.map((_, i) => [fileOf(i), text(i, free[i] ?? new Set())]));
    const host = ts.createCompilerHost(STRICT_OPTIONS);
    const getSourceFile = host.getSourceFile.bind(host);
    const fileExists = host.fileExists.bind(host);
    const readFile = host.readFile.bind(host);
    host.getSourceFile = (name, language, ...rest) => {
      const content = files.get(path.resolve(name));
      return content !== undefined ? ts.createSourceFile(name, content, language) : getSourceFile(name, language, ...rest);
    };
    host.fileExists = (name) => files.has(path.resolve(name)) || fileExists(name);
    host.readFile = (name) => files.get(path.resolve(name)) ?? readFile(name);
    const program = ts.createProgram([api.entry, ...files.keys()], STRICT_OPTIONS, host);
    return examples.map((_, i) => {
      const source = program.getSourceFile(fileOf(i));
      if (source === undefined) throw new Error(`example file ${fileOf(i)} is not in the program`);
      return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
    });
  };
  // First pass: which names does each example take as given?
  const free = check([]).map((diagnostics) => {
    const names = new Set<string>();
    for (const d of diagnostics) {
      if (!FREE_NAME.has(d.code) || d.file === undefined || d.start === undefined) continue;
      names.add(d.file.text.slice(d.start, d.start + (d.length ?? 0)));
    }
    return names;
  });
  return check(free).flatMap((diagnostics, i) =>
    diagnostics.map((d) => `${examples[i]?.name} @example ${examples[i]?.k}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')} — in: ${examples[i]?.code.replace(/\s+/g, ' ')}`),
  );
}

/**
 * Where the public surface's TSDoc (an export's own, and its public members', examples included)
 * points a user to a member marked @internal (`.name` of one), which the published
 * declarations do not have: each as `export: .member`. Generic over the entry.
 *
 * @example assert.deepEqual(internalMentions(api), [])
 */
export function internalMentions(api: PublicApi): string[] {
  const members = (e: ApiExport): ts.Declaration[] =>
    e.symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class)
      ? api.checker.getPropertiesOfType(api.checker.getDeclaredTypeOfSymbol(e.symbol)).flatMap((p) => p.declarations ?? [])
      : [];
  const internal = new Set<string>();
  for (const e of api.exports) {
    for (const d of members(e)) if (isHidden(d) && ts.getJSDocTags(d).some((tag) => tag.tagName.text === 'internal')) internal.add((d as ts.NamedDeclaration).name?.getText() ?? '');
  }
  internal.delete('');
  const found = new Set<string>();
  for (const e of api.exports) {
    const documented = [...e.declarations, ...members(e).filter((d) => !isHidden(d))];
    for (const d of documented) {
      const docs = ts.getJSDocCommentsAndTags(d).map((node) => node.getText()).join('\n');
      for (const name of internal) if (new RegExp(`\\.${name}\\b`).test(docs)) found.add(`${e.name}: .${name}`);
    }
  }
  return [...found].sort();
}

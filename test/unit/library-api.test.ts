// The public API (src/index.ts and all it re-exports), read with the TypeScript compiler API,
// generically: whatever the entry exports, each export has a TSDoc @example; each @example
// type-checks against the API; and each type a public signature names is exported too, so a
// TypeScript user can name every parameter and result (api-extractor calls the failure a
// "forgotten export"). Types and members marked @internal are not part of the surface.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { exampleErrors, exportsWithoutExample, forgottenExports, internalMentions, publicApi, type PublicApi } from '../helpers/api-surface.ts';
import { ROOT } from '../helpers/run-cli.ts';

const SRC = path.join(ROOT, 'src');
let api: PublicApi;
before(() => {
  api = publicApi(path.join(SRC, 'index.ts'));
});

test('the public API is read: its main calls are among the exports', () => {
  const names = new Set(api.exports.map((e) => e.name));
  for (const name of ['probeDomain', 'judgeDomain', 'renderText', 'ReplayResolver', 'analyseMessages']) assert.ok(names.has(name), name);
});

test('every export of the public API has a TSDoc @example', () => {
  assert.deepEqual(exportsWithoutExample(api), []);
});

test('every @example of the public API type-checks against the API (strict, names it takes as given aside)', () => {
  assert.deepEqual(exampleErrors(api), []);
});

test('every type a public signature or member names is exported from the entry too', () => {
  assert.deepEqual(forgottenExports(api, SRC), []);
});

test('no TSDoc of the public surface points a user to a member marked @internal, which the published declarations leave out', () => {
  assert.deepEqual(internalMentions(api), []);
});

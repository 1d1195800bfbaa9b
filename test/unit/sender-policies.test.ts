// The table of sender policies (judge/sender-policies.ts) as a table: every row's names parse
// to it, requirements read back as they are written, and "satisfies" is one rule for every row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SENDER_POLICIES, parseRequirement, requirementNames, requirementText, satisfies, senderPolicy } from '../../src/judge/sender-policies.ts';

test('every row is named by its letter, its id and its level name, in any case', () => {
  for (const row of SENDER_POLICIES) {
    const names = [row.letter, row.id, ...(row.level !== null ? [row.level] : [])];
    for (const name of names.flatMap((n) => [n, n.toUpperCase(), ` ${n} `])) assert.deepEqual(parseRequirement(name), [row.id], name);
    assert.equal(senderPolicy(row.id), row);
  }
  assert.deepEqual(SENDER_POLICIES.map((p) => [p.letter, p.id, p.level]), [['a', 'plain', 'none'], ['b', 'opportunistic', null], ['c', 'tls-required', 'encrypt'], ['d', 'verify', 'verify'], ['e', 'dane', null], ['f', 'mta-sts', null]]);
  assert.equal(requirementNames(), 'none, encrypt, verify, a–f, plain, opportunistic, tls-required, dane, mta-sts');
});

test('requirements: several in the table\'s order, each once; written as v1 wrote a level; read back the same', () => {
  assert.deepEqual(parseRequirement('verify,b,D,opportunistic'), ['opportunistic', 'verify']);
  assert.deepEqual(parseRequirement('MTA-STS, dane,verify'), ['verify', 'dane', 'mta-sts']);
  for (const bad of ['', ' ', 'tlsa', 'mtasts', 'g', 'c,', ',c', 'c;d', 'c d']) assert.equal(parseRequirement(bad), null, JSON.stringify(bad));
  const all = SENDER_POLICIES.map((p) => p.id);
  for (let mask = 1; mask < 1 << all.length; mask++) {
    const required = all.filter((_, i) => mask & (1 << i));
    assert.deepEqual(parseRequirement(requirementText(required)), required, requirementText(required));
  }
  assert.deepEqual([requirementText(['plain']), requirementText(['tls-required']), requirementText(['verify'])], ['none', 'encrypt', 'verify']);
});

test('"satisfies" is one rule: delivered everywhere, and everywhere what the policy promises; unknown delivery is undetermined', () => {
  const values = ['yes', 'partly', 'no', 'unknown', 'n/a'] as const;
  for (const row of SENDER_POLICIES) {
    for (const delivered of ['yes', 'partly', 'no', 'unknown'] as const) {
      for (const encrypted of values) {
        for (const authenticated of values) {
          const want = delivered === 'unknown' ? null : delivered === 'yes' && (!row.promises.encrypted || encrypted === 'yes') && (!row.promises.authenticated || authenticated === 'yes');
          assert.equal(satisfies(row, { delivered, encrypted, authenticated }), want, `${row.id} ${delivered}/${encrypted}/${authenticated}`);
        }
      }
    }
  }
  assert.deepEqual(SENDER_POLICIES.map((p) => [p.id, p.promises.encrypted, p.promises.authenticated]), [['plain', false, false], ['opportunistic', true, false], ['tls-required', true, false], ['verify', true, true], ['dane', true, true], ['mta-sts', true, true]]);
});

// The table of sender policies (judge/sender-policies.ts) as a table: every row's names parse
// to it, requirements read back as they are written, and "satisfies" is one rule for every row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SENDER_POLICIES, parseRequirement, policyOutcome, requirementNames, requirementText, satisfies, senderPolicy } from '../../src/judge/sender-policies.ts';
import { judgeAddress } from '../../src/judge/judge-address.ts';
import { judgePolicy } from '../../src/judge/judge-policy.ts';
import type { AddressResult } from '../../src/model/address.ts';
import type { DaneOutcome } from '../../src/model/dane.ts';
import { addressFacts, mxHost, NOW } from '../helpers/facts.ts';

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

test('over every row: a reachable address whose delivery cannot be told never lets the row be satisfied; a known failure still fails it', () => {
  const policy = judgePolicy({ required: ['tls-required'], warnDays: 30 });
  const good = judgeAddress(addressFacts(), policy, NOW);
  const domain = { domain: 'example.com', outcome: 'probed' as const, mx: [], dns: [] };
  const hosts = (second: AddressResult) => [
    { ...mxHost('mx1.example.com', 10, []), addresses: [good] },
    { ...mxHost('mx2.example.com', 20, []), addresses: [second] },
  ];
  for (const row of SENDER_POLICIES) {
    // The same row, undetermined at mx2 only: what it says of mx1 stays as the table says it.
    const unsure: typeof row = { ...row, atAddress: (a, context) => (context.host.host === 'mx2.example.com' ? null : row.atAddress(a, context)) };
    const alone = policyOutcome(row, domain, hosts(good).slice(0, 1));
    const outcome = policyOutcome(unsure, domain, hosts(good));
    assert.notEqual(outcome.satisfied, true, `${row.id}: satisfied with mx2 unknown`);
    if (alone.satisfied === false) assert.equal(outcome.satisfied, false, `${row.id}: a known failure at mx1 still fails`);
    else assert.equal(outcome.delivered, 'unknown', row.id);
  }
  // The DANE row as judged: mx1 DANE-valid, mx2's TLSA look-up failed (a DANE sender defers there).
  const dane = (status: DaneOutcome['status']): AddressResult => ({ ...good, dane: { status, matched: null, message: status } });
  const row = policyOutcome(senderPolicy('dane'), domain, [
    { ...mxHost('mx1.example.com', 10, []), addresses: [dane('valid')] },
    { ...mxHost('mx2.example.com', 20, []), addresses: [{ ...dane('indeterminate'), ip: '192.0.2.20' }] },
  ]);
  assert.equal(row.satisfied, null);
  assert.equal(row.delivered, 'unknown');
});

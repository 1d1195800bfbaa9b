// The rounds and the verdict of `mxprobe receive` (judge/sender-verdict.ts) over every
// combination of observations: which letters fit, what is missing, which round comes next,
// and what --require makes of them; and which sessions count as an observation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meetsRequirement, nextRound, parseSendingLetter, roundObservation, senderVerdict } from '../../src/judge/sender-verdict.ts';
import type { RoundObservation, SenderObservations } from '../../src/model/receive.ts';

const o = (tls: boolean, delivered: boolean, handshakeFailed = false): RoundObservation => ({ tls, delivered, handshakeFailed });
const obs = (r1: RoundObservation | null, r2: RoundObservation | null = null, r3: RoundObservation | null = null): SenderObservations => ({ 1: r1, 2: r2, 3: r3 });

const SENT_TLS = o(true, true);
const LEFT_TLS = o(true, false);
const FAILED_TLS = o(true, false, true);
const SENT_PLAIN = o(false, true);
const DEFERRED = o(false, false);

test('the four Postfix levels over their rounds give (a), (b), (c), (d), decided', () => {
  const cases: Array<[string, SenderObservations, string[]]> = [
    ['none: plaintext although STARTTLS was offered', obs(SENT_PLAIN), ['a']],
    ['may: TLS, TLS to the wrong name, plaintext without STARTTLS', obs(SENT_TLS, SENT_TLS, SENT_PLAIN), ['b']],
    ['encrypt: TLS, TLS to the wrong name, defers without STARTTLS', obs(SENT_TLS, SENT_TLS, DEFERRED), ['c']],
    ['verify: TLS, leaves after the wrong-name handshake, defers', obs(SENT_TLS, LEFT_TLS, DEFERRED), ['d']],
    ['verify (handshake alert): TLS, fails the wrong-name handshake, defers', obs(SENT_TLS, FAILED_TLS, DEFERRED), ['d']],
  ];
  for (const [what, observations, letters] of cases) {
    const v = senderVerdict(observations);
    assert.deepEqual(v.policies, letters, what);
    assert.equal(v.decided, true, what);
    assert.deepEqual(v.missing, [], what);
    assert.equal(nextRound(observations), null, what);
  }
});

test('partial observations keep every letter still possible and name the rounds missing', () => {
  const cases: Array<[SenderObservations, string[], number[], number | null]> = [
    [obs(null), ['a', 'b', 'c', 'd'], [1, 2, 3], 1],
    [obs(SENT_TLS), ['b', 'c', 'd'], [2, 3], 2],
    [obs(SENT_TLS, SENT_TLS), ['b', 'c'], [3], 3],
    [obs(SENT_TLS, LEFT_TLS), ['b', 'd'], [3], 3],
    [obs(SENT_TLS, FAILED_TLS), ['b', 'd'], [3], 3],
  ];
  for (const [observations, letters, missing, next] of cases) {
    const v = senderVerdict(observations);
    assert.deepEqual(v.policies, letters);
    assert.deepEqual(v.missing, missing);
    assert.equal(v.decided, false);
    assert.equal(nextRound(observations), next);
  }
});

test('every combination of observations gives a non-empty set of letters, decided exactly when all rounds needed were seen', () => {
  const r12 = [null, SENT_TLS, LEFT_TLS, FAILED_TLS, SENT_PLAIN];
  const r3s = [null, SENT_PLAIN, DEFERRED];
  for (const r1 of r12)
    for (const r2 of r12)
      for (const r3 of r3s) {
        const v = senderVerdict(obs(r1, r2, r3));
        assert.ok(v.policies.length > 0, JSON.stringify([r1, r2, r3]));
        assert.deepEqual([...v.policies].sort(), v.policies, 'weakest first');
        const plainEarly = r1 === SENT_PLAIN || (r1 !== null && r2 === SENT_PLAIN);
        assert.equal(v.decided, plainEarly || (r1 !== null && r2 !== null && r3 !== null), JSON.stringify([r1, r2, r3]));
        if (r1 === null) assert.deepEqual(v.policies, ["a", "b", "c", "d"], "a later round is not read before round 1");
        if (v.decided) assert.deepEqual(v.missing, []);
        if (plainEarly) assert.deepEqual(v.policies, ['a']);
      }
});

test('a sender that refused --cert too: round 2 does not prove verification (c or d stays open)', () => {
  const v = senderVerdict(obs(LEFT_TLS, LEFT_TLS, DEFERRED));
  assert.deepEqual(v.policies, ['c', 'd']);
  assert.equal(v.decided, true);
  assert.match(v.notes.join('\n'), /--cert/);
  assert.deepEqual(senderVerdict(obs(FAILED_TLS, LEFT_TLS)).policies, ['b', 'c', 'd']);
});

test('a sender that verifies when TLS is offered but delivers in plaintext when it is not is no better than (b)', () => {
  const v = senderVerdict(obs(SENT_TLS, LEFT_TLS, SENT_PLAIN));
  assert.deepEqual(v.policies, ['b']);
  assert.match(v.notes.join('\n'), /no better than \(b\)/);
});

test('--require: met when every letter still possible is at least as strict, failed when none is, else unknown', () => {
  assert.equal(meetsRequirement(['c'], 'c'), true);
  assert.equal(meetsRequirement(['d'], 'c'), true);
  assert.equal(meetsRequirement(['b'], 'c'), false);
  assert.equal(meetsRequirement(['a'], 'b'), false);
  assert.equal(meetsRequirement(['b', 'c'], 'c'), null);
  assert.equal(meetsRequirement(['b', 'c', 'd'], 'b'), true);
  assert.equal(meetsRequirement(['c', 'd'], 'd'), null);
  assert.equal(meetsRequirement(['a', 'b', 'c', 'd'], 'a'), true);
});

test('--require takes the letters and the level names', () => {
  assert.equal(parseSendingLetter('C'), 'c');
  assert.equal(parseSendingLetter('encrypt'), 'c');
  assert.equal(parseSendingLetter('verify'), 'd');
  assert.equal(parseSendingLetter('plain'), 'a');
  assert.equal(parseSendingLetter('opportunistic'), 'b');
  assert.equal(parseSendingLetter('e'), null);
  assert.equal(parseSendingLetter(''), null);
});

test('which sessions count: a greeting is needed; rounds 1 and 2 need TLS tried or a message; round 3 counts a greeting alone', () => {
  const base = { round: 1 as const, ehlo: 'mta.example', startedTls: false, tls: null, tlsError: null, dataReply: null };
  const tls = { protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', keyExchange: null, sni: null };
  assert.equal(roundObservation({ ...base, ehlo: null, dataReply: '451' }), null, 'no greeting');
  assert.equal(roundObservation(base), null, 'greeted and left: says nothing in round 1');
  assert.deepEqual(roundObservation({ ...base, dataReply: '550' }), SENT_PLAIN);
  assert.deepEqual(roundObservation({ ...base, startedTls: true, tls, dataReply: '451' }), SENT_TLS);
  assert.deepEqual(roundObservation({ ...base, round: 2, startedTls: true, tls }), LEFT_TLS);
  assert.deepEqual(roundObservation({ ...base, round: 2, startedTls: true, tlsError: 'alert bad certificate' }), FAILED_TLS);
  assert.equal(roundObservation({ ...base, round: 2, startedTls: true }), null, 'STARTTLS answered but no handshake recorded');
  assert.deepEqual(roundObservation({ ...base, round: 3 }), DEFERRED);
  assert.deepEqual(roundObservation({ ...base, round: 3, dataReply: '550' }), SENT_PLAIN);
  assert.equal(roundObservation({ ...base, round: 3, ehlo: null }), null);
});

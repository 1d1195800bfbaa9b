/**
 * Key exchange groups a server accepts (`--deep`): TLS 1.3 groups (RFC 8446 §4.2.7: the
 * ServerHello's key share, or the group a HelloRetryRequest names), TLS 1.2 ECDHE curves (the
 * ServerKeyExchange's named curve, RFC 8422 §5.4) — each found as the suites are: offer the
 * groups left, note the one chosen, until the server refuses — and the size of the prime a DHE
 * suite uses (RFC 5246 §7.4.3; no FFDHE group is offered, so the server uses its own, RFC 7919
 * §4). And what a TLS 1.2 ServerHello tells besides: compression, secure renegotiation,
 * extended master secret.
 */
import type { DeepFacts, DeepProtocol, GroupScan, ProtocolAcceptance } from '../model/deep.js';
import { namedGroupCode, namedGroupName } from '../model/named-groups.js';
import { DEEP_PROTOCOLS, protocolOfWire, WIRE_VERSION, wireOf } from '../model/wire-versions.js';
import { DEFAULT_GROUPS, SHAREABLE_GROUPS } from '../tls/wire/client-hello.js';
import type { HelloAnswer } from '../tls/wire/hello-answer.js';
import { DeepStopped } from './connection-gate.js';
import { describeAnswer, type HelloExchanger } from './hello-exchange.js';
import { helloFor, suitesFor } from './scan-hellos.js';

/**
 * The TLS 1.3 groups tried (RFC 8446 §4.2.7), current ones first.
 *
 * @example TLS13_GROUPS.length // 10
 */
export const TLS13_GROUPS: readonly number[] = ['x25519', 'secp256r1', 'secp384r1', 'secp521r1', 'x448', 'ffdhe2048', 'ffdhe3072', 'ffdhe4096', 'ffdhe6144', 'ffdhe8192'].map(namedGroupCode);

/** The elliptic curves tried with TLS ≤1.2 ECDHE: the hellos' default list (RFC 8422 §5.1.1, RFC 7027 brainpool). @example TLS12_CURVES.includes(23) */
export const TLS12_CURVES: readonly number[] = DEFAULT_GROUPS;

/** The version ECDHE and DHE are asked with: the newest accepted that has them (ECDHE: not SSLv3). */
const KX_PREFERENCE: readonly DeepProtocol[] = DEEP_PROTOCOLS.filter((p) => p.wire <= WIRE_VERSION.tls12).reverse().map((p) => p.name);
const TLS13 = protocolOfWire(WIRE_VERSION.tls13) as DeepProtocol;

/**
 * What the group scan found, and how many hellos it sent.
 *
 * @example const { groups, hellos } = await scanGroups(exchange, protocols);
 */
export interface GroupScanResult {
  groups: GroupScan;
  hellos: number;
}

/**
 * TLS 1.3 groups, then ECDHE curves, then the DHE prime size, each with the newest accepted
 * version that has it. Stops at DeepStopped, saying what was left untested.
 *
 * @example const { groups } = await scanGroups(exchange, protocols);
 */
export async function scanGroups(exchange: HelloExchanger, protocols: readonly ProtocolAcceptance[]): Promise<GroupScanResult> {
  const accepted: string[] = [];
  const dhBits: number[] = [];
  const dhGroups: string[] = [];
  const untested: string[] = [];
  let hellos = 0;
  const takes = (p: DeepProtocol) => protocols.find((x) => x.version === p)?.accepted === true;
  const tls12 = KX_PREFERENCE.find((p) => wireOf(p) > WIRE_VERSION.ssl3 && takes(p)) ?? null;
  const dheProtocol = KX_PREFERENCE.find(takes) ?? null;
  // A step whose versions the server refuses has nothing to tell (no entry: `untested` holds only
  // gaps); one whose versions could not be told is a gap.
  const untold = (versions: readonly DeepProtocol[]) => versions.some((v) => protocols.find((x) => x.version === v)?.accepted !== false);
  const skip = (versions: readonly DeepProtocol[], what: string): string | null => (untold(versions) ? `not told whether the server accepts ${what}` : null);
  const steps: Array<{ what: string; run: (() => Promise<void>) | string | null }> = [
    { what: 'TLS 1.3 groups', run: takes(TLS13) ? tls13Groups : skip([TLS13], 'TLS 1.3') },
    { what: 'ECDHE curves', run: tls12 !== null ? () => ecdheCurves(tls12) : skip(KX_PREFERENCE.filter((p) => wireOf(p) > WIRE_VERSION.ssl3), 'TLS 1.0 to 1.2') },
    { what: 'DHE prime size', run: dheProtocol !== null ? () => dhePrime(dheProtocol) : skip(KX_PREFERENCE, 'a version up to TLS 1.2') },
  ];
  const ask = async (protocol: DeepProtocol, suites: readonly number[], groups: readonly number[], keyShares?: readonly number[]): Promise<HelloAnswer> => {
    hellos += 1;
    return exchange(helloFor(protocol, suites, keyShares === undefined ? { groups } : { groups, keyShares }));
  };
  const accept = (group: number) => {
    const name = namedGroupName(group);
    if (!accepted.includes(name)) accepted.push(name);
  };

  async function tls13Groups(): Promise<void> {
    const suites = suitesFor(TLS13).map((s) => s.code);
    const left = [...TLS13_GROUPS];
    while (left.length > 0) {
      // A real share for the first group a share can be made for; none at all for FFDHE only: the server names its group in a HelloRetryRequest.
      const share = left.find((g) => SHAREABLE_GROUPS.has(g));
      const answer = await ask(TLS13, suites, left, share === undefined ? [] : [share]);
      const group = answer.kind === 'server-hello' ? answer.hello.group : null;
      if (answer.kind !== 'server-hello' || group === null || !left.includes(group)) {
        if (answer.kind === 'server-hello') untested.push(`TLS 1.3 groups ${left.map(namedGroupName).join(', ')}: not told (the server chose ${group === null ? 'no group' : namedGroupName(group)})`);
        else if (answer.kind !== 'alert' && answer.kind !== 'closed') untested.push(`TLS 1.3 groups ${left.map(namedGroupName).join(', ')}: not told (${describeAnswer(answer)})`);
        return;
      }
      accept(group);
      left.splice(left.indexOf(group), 1);
    }
  }

  async function ecdheCurves(protocol: DeepProtocol): Promise<void> {
    const suites = suitesFor(protocol).filter((s) => s.kx === 'ECDHE' || s.kx === 'ECDH_anon').map((s) => s.code);
    const left = [...TLS12_CURVES];
    while (left.length > 0) {
      const answer = await ask(protocol, suites, left);
      const kx = answer.kind === 'server-hello' ? answer.keyExchange : null;
      if (answer.kind !== 'server-hello' || kx === null || kx.type !== 'ECDH' || !left.includes(kx.group)) {
        if (answer.kind === 'server-hello') untested.push(`ECDHE curves ${left.map(namedGroupName).join(', ')}: not told (${kx === null ? 'no ServerKeyExchange read' : kx.type === 'ECDH' ? `the server chose ${namedGroupName(kx.group)}, which was not offered` : 'the server sent DH parameters'})`);
        else if (answer.kind !== 'alert' && answer.kind !== 'closed') untested.push(`ECDHE curves ${left.map(namedGroupName).join(', ')}: not told (${describeAnswer(answer)})`);
        return;
      }
      accept(kx.group);
      left.splice(left.indexOf(kx.group), 1);
    }
  }

  async function dhePrime(protocol: DeepProtocol): Promise<void> {
    const suites = suitesFor(protocol).filter((s) => s.kx === 'DHE' || s.kx === 'DH_anon').map((s) => s.code);
    const answer = await ask(protocol, suites, TLS12_CURVES);
    if (answer.kind === 'server-hello') {
      const kx = answer.keyExchange;
      if (kx !== null && kx.type === 'DH') {
        dhBits.push(kx.primeBits);
        if (kx.named !== null) dhGroups.push(kx.named);
      }
      else untested.push(`DHE prime size: not told (${kx === null ? 'no ServerKeyExchange read' : 'the server sent ECDH parameters'})`);
    } else if (answer.kind !== 'alert' && answer.kind !== 'closed') untested.push(`DHE prime size: not told (${describeAnswer(answer)})`);
  }

  let stopped: string | null = null;
  for (const step of steps) {
    if (step.run === null) continue;
    if (typeof step.run === 'string') untested.push(`${step.what}: ${step.run}`);
    else if (stopped !== null) untested.push(`${step.what}: not tested (${stopped})`);
    else {
      try {
        await step.run();
      } catch (err) {
        if (!(err instanceof DeepStopped)) throw err;
        stopped = err.failure.message;
        untested.push(`${step.what}: not finished (${stopped})`);
      }
    }
  }
  return { groups: { accepted, dhBits: [...new Set(dhBits)].sort((a, b) => a - b), dhGroups: [...new Set(dhGroups)].sort(), untested }, hellos };
}

/**
 * What a TLS ≤1.2 ServerHello tells besides its suite: a compression method other than null
 * (CRIME), renegotiation_info (RFC 5746 §3.6: secure renegotiation), extended_master_secret
 * (RFC 7627). Null each where the answer is no TLS ≤1.2 ServerHello (TLS 1.3 has neither
 * compression nor renegotiation).
 *
 * @example const { compression, extendedMasterSecret } = tls12HelloFacts(answer);
 */
export function tls12HelloFacts(answer: HelloAnswer): Pick<DeepFacts, 'compression' | 'extendedMasterSecret'> & { renegotiationSecure: boolean | null } {
  if (answer.kind !== 'server-hello' || answer.hello.version > WIRE_VERSION.tls12) return { compression: null, renegotiationSecure: null, extendedMasterSecret: null };
  const { hello } = answer;
  return { compression: hello.compressionMethod !== 0, renegotiationSecure: hello.renegotiationInfo, extendedMasterSecret: hello.extendedMasterSecret };
}

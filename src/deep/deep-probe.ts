/**
 * The deep probe of one address (`--deep`, issue 10): what else the server accepts beyond the
 * probe's own handshake, checked on further connections, one at a time, through one
 * ConnectionGate (`--deep-delay` between them; a 421, the deep deadline or a stop ends it and
 * the facts say they are partial). In order: the protocol versions (hand-built hellos), the
 * cipher suites of each accepted version and the server's order, the key exchange groups and
 * DH size, the TLS ≤ 1.2 ServerHello's extras (compression, secure renegotiation, extended
 * master secret), the certificate per signature algorithm with OCSP stapling, client-initiated
 * renegotiation, and STARTTLS command injection. Facts only; the tiers are the judge's
 * (judge/deep-grade.ts). Never throws for a remote problem.
 */
import type { DeepFacts, DeepProtocol } from '../model/deep.js';
import type { TlsMode } from '../model/tls.js';
import { ProbeRun, type AddressTarget, type ProbeOptions } from '../probe/probe-run.js';
import { ConnectionGate, DeepStopped } from './connection-gate.js';
import type { DeepProbeOptions } from './deep-options.js';

export { deepTimeoutFor, type DeepProbeOptions } from './deep-options.js';
import { helloExchanger, rememberAnswers, type HelloExchanger } from './hello-exchange.js';
import { scanProtocols } from './scan-protocols.js';
import { scanCiphers } from './scan-ciphers.js';
import { scanGroups, tls12HelloFacts } from './scan-groups.js';
import { helloFor, helloLists, suitesFor } from './scan-hellos.js';
import { checkCertificatesBySignature } from './certificates-by-signature.js';
import { checkClientRenegotiation } from './renegotiation.js';
import { checkCommandInjection } from './command-injection.js';
import { DEEP_PROTOCOLS, WIRE_VERSION } from '../model/wire-versions.js';

/** The ≤ 1.2 versions whose ServerHello carries the extras, newest first. */
const EXTRAS_FROM: readonly DeepProtocol[] = DEEP_PROTOCOLS.filter((p) => p.wire <= WIRE_VERSION.tls12).reverse().map((p) => p.name);

/**
 * Deep facts before any check: every check "not told".
 *
 * @example noDeepFacts().connections // 0
 */
export function noDeepFacts(): DeepFacts {
  return {
    protocols: [],
    ciphers: { accepted: [], serverOrder: null, untested: [] },
    groups: { accepted: [], dhBits: [], dhGroups: [], untested: [] },
    certificates: [],
    ocsp: null,
    renegotiation: { secure: null, clientInitiated: null, note: null },
    compression: null,
    extendedMasterSecret: null,
    commandInjection: { vulnerable: null, note: null },
    connections: 0,
    partial: null,
  };
}

/** The TLS ≤ 1.2 ServerHello extras, from the first hello of the newest accepted such version (already asked by the protocol scan: remembered, no new connection). */
async function helloExtras(exchange: HelloExchanger, facts: DeepFacts): Promise<void> {
  const version = EXTRAS_FROM.find((v) => facts.protocols.some((p) => p.version === v && p.accepted === true));
  if (version === undefined) return;
  const first = helloLists(suitesFor(version).map((s) => s.code))[0];
  if (first === undefined) return;
  const extras = tls12HelloFacts(await exchange(helloFor(version, first)));
  facts.compression = extras.compression;
  facts.extendedMasterSecret = extras.extendedMasterSecret;
  facts.renegotiation.secure = extras.renegotiationSecure;
}

/**
 * Probes one address deeply on its own connections. Rejects only for a bug in mxprobe (an
 * error that is neither the server's doing nor a stop), after closing its sockets.
 *
 * @example const deep = await probeDeep(target, probeOptions({ trust }), 'starttls', { delayMs: 0, timeoutMs: 120_000 });
 */
export async function probeDeep(target: AddressTarget, options: ProbeOptions, tlsMode: TlsMode, deep: DeepProbeOptions): Promise<DeepFacts> {
  const run = new ProbeRun(target, { ...options, timeoutMs: deep.timeoutMs }, tlsMode);
  const gate = new ConnectionGate(run, { delayMs: deep.delayMs });
  const exchange = rememberAnswers(helloExchanger(gate));
  const facts = noDeepFacts();
  try {
    facts.protocols = (await scanProtocols(exchange)).protocols;
    facts.ciphers = (await scanCiphers(exchange, facts.protocols)).ciphers;
    facts.groups = (await scanGroups(exchange, facts.protocols)).groups;
    await helloExtras(exchange, facts);
    const certificates = await checkCertificatesBySignature(gate);
    facts.certificates = certificates.certificates;
    facts.ocsp = certificates.ocsp;
    const renegotiation = await checkClientRenegotiation(gate);
    facts.renegotiation.clientInitiated = renegotiation.clientInitiated;
    facts.renegotiation.note = renegotiation.note;
    facts.commandInjection = await checkCommandInjection(gate);
  } catch (err) {
    if (!(err instanceof DeepStopped)) throw err;
  } finally {
    facts.connections = gate.opened;
    facts.partial = gate.stopped;
    run.finish();
  }
  return facts;
}

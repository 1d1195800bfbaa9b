/**
 * Probes one SMTP server address: the stages of dialogue.ts walked over one state (ProbeRun),
 * STARTTLS (RFC 3207) or implicit TLS (RFC 8314 §3) as the port or --tls says. When the
 * handshake's facts leave doubt about what a sender with current TLS defaults gets, a second
 * connection makes that sender's handshake (modern-check.ts); where a DANE sender sends another
 * SNI (the TLSA base domain of a CNAME'd host), one more makes its handshake (dane-check.ts).
 * Each stage has its own deadline inside one overall deadline for the address
 * (stage-deadlines.ts); an abort signal ends every wait at once and destroys the sockets.
 * Never sends mail and never throws for a remote problem: whatever the server does becomes
 * AddressFacts. An exception that is not the server's doing (not a StageError) is a bug in
 * mxprobe: it is thrown, never dressed up as a fact.
 */
import type { AddressFacts } from '../model/address.js';
import { StageError } from '../smtp/connection.js';
import { ProbeRun, type AddressTarget, type ProbeOptions } from './probe-run.js';
import { IMPLICIT_TLS_STAGES, STARTTLS_STAGES, walk } from './dialogue.js';
import { checkModernTls, modernCheckNeeded } from './modern-check.js';
import { checkDaneHandshake } from './dane-check.js';
import { probeOptions } from './probe-defaults.js';

import { defaultTlsMode } from './dialogue.js';

export type { AddressTarget, DialogueOptions, ProbeOptions } from './probe-run.js';
export { defaultTlsMode, greetingTimeoutHint } from './dialogue.js';

/**
 * The facts of one address. Every option may be left out (probeOptions: a 30 s deadline, 10 s
 * to connect, EHLO with the local address literal, Node's bundled roots). Rejects with a
 * RangeError for a deadline out of range, and for a bug in mxprobe (an error that is not a
 * StageError), after closing its sockets; never for what the server does.
 *
 * @example const facts = await probeAddress({ host: 'mx.example.com', ip: '192.0.2.25', family: 4, port: 25 });
 * @example const facts = await probeAddress(target, { timeoutMs: 10_000, ehloName: 'probe.example.net', signal: AbortSignal.timeout(60_000) });
 */
export async function probeAddress(target: AddressTarget, given: Partial<ProbeOptions> = {}): Promise<AddressFacts> {
  const options = probeOptions(given);
  const run = new ProbeRun(target, options, options.tlsMode ?? defaultTlsMode(target.port));
  try {
    await walk(run, run.facts.tlsMode === 'implicit' ? IMPLICIT_TLS_STAGES : STARTTLS_STAGES);
    const tls = run.facts.tls;
    if (tls !== null && run.facts.failure === null && modernCheckNeeded(tls)) {
      run.closeSockets(); // the first session is over (QUIT) before the second starts
      run.facts.modernTls = await checkModernTls(run);
    }
    // A DANE sender sends another SNI here (the TLSA base domain): its own handshake, where the first one made TLS.
    const daneName = target.daneServerName;
    if (daneName !== undefined && tls !== null) {
      run.closeSockets();
      run.facts.daneHandshake = await checkDaneHandshake(run, daneName);
    }
    // --deep: what else the server accepts, on its own connections and deadline, once TLS was reached.
    if (options.deep !== undefined && tls !== null) {
      run.closeSockets();
      // Loaded only for --deep: its scans and tables cost every other run start-up time for nothing.
      const { probeDeep } = await import('../deep/deep-probe.js');
      run.facts.deep = await probeDeep(target, options, run.facts.tlsMode, options.deep);
    }
  } catch (err) {
    if (!(err instanceof StageError)) throw err;
    run.fail(err);
  } finally {
    run.finish();
  }
  return run.facts;
}

/**
 * `mxprobe receive`: checks its options, makes the round-2 certificate, listens where told,
 * writes each session as it ends (text or NDJSON; JSON at the end) and every sender's verdict at
 * the end, and maps the verdicts to the exit code. The run ends at --duration, when every sender
 * seen is decided (--until-decided), or on SIGINT/SIGTERM (the report is written and the exit
 * code is the verdict's; a second signal exits at once with 130). Wires options, stdio,
 * signals and exit codes only: serving is receive/, judging judge/sender-verdict.ts, writing
 * render/receive-*.ts.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdirSync, realpathSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { createSecureContext } from 'node:tls';
import { errorLine } from './error-line.js';
import { EXIT } from './exit-codes.js';
import { exitForFailure, OutputError, reportSink, type Sink } from './output.js';
import { UsageError } from './raw-options.js';
import { readBoundedText, readCaFile, TrustStoreError } from '../cert/trust-store.js';
import { quote } from '../render/sanitize.js';
import { parseSendingLetter } from '../judge/sender-verdict.js';
import { RECEIVE_SCHEMA_VERSION, type SenderRecord, type SendingLetter, type SessionRecord } from '../model/receive.js';

/** The checked settings of a run. @example const s: ReceiveSettings = checkReceiveOptions({ listen: '127.0.0.1:0', cert: 'c.pem', key: 'k.pem' }); */
export interface ReceiveSettings {
  host: string;
  port: number;
  cert: string;
  key: string;
  name: string;
  caPems: string[];
  durationMs: number | null;
  maxSessions: number;
  maxSessionsPerIp: number;
  maxMessageBytes: number;
  idleMs: number;
  sessionMs: number;
  saveDir: string | null;
  required: SendingLetter | null;
  untilDecided: boolean;
  format: 'text' | 'json' | 'ndjson';
  output: string | null;
  reverse: boolean;
}

/** The options as commander gives them. @example const raw: RawReceiveOptions = { listen: '127.0.0.1:2525', cert: 'cert.pem', key: 'key.pem' }; */
export interface RawReceiveOptions {
  listen?: string;
  cert?: string;
  key?: string;
  name?: string;
  caFile?: string;
  duration?: string;
  maxSessions?: string;
  maxSessionsPerIp?: string;
  maxMessageSize?: string;
  idleTimeout?: string;
  sessionTimeout?: string;
  save?: string;
  require?: string;
  untilDecided?: boolean;
  format?: string;
  json?: boolean;
  output?: string;
  reverse?: boolean;
}

/** Most bytes read of --cert or --key. */
const MAX_PEM_BYTES = 1024 * 1024;

function readPem(option: string, file: string | undefined): string {
  if (file === undefined) throw new UsageError(`receive needs ${option} (a PEM file)`);
  let text: string | null;
  try {
    text = readBoundedText(file, MAX_PEM_BYTES);
  } catch (err) {
    throw new UsageError(`cannot read ${option} ${quote(file, 200)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (text === null) throw new UsageError(`${option} ${quote(file, 200)} is larger than 1 MiB: not a PEM file`);
  return text;
}

/** 'ADDR:PORT', '[v6]:PORT', ':PORT' (every IPv4 address) → host and port. */
function parseListen(text: string | undefined): { host: string; port: number } {
  if (text === undefined) throw new UsageError('receive needs --listen ADDR:PORT (e.g. 127.0.0.1:2525)');
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]*)):(\d{1,5})$/.exec(text);
  const port = m === null ? NaN : Number(m[3]);
  const host = m === null ? '' : (m[1] ?? m[2] ?? '');
  if (m === null || port > 65535 || (host !== '' && isIP(host) === 0)) {
    throw new UsageError(`--listen ${quote(text)}: give an IP address and a port, e.g. 127.0.0.1:2525, [::1]:2525 or :2525`);
  }
  return { host: host === '' ? '0.0.0.0' : host, port };
}

function number(option: string, text: string | undefined, fallback: number, min: number, integer: boolean): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${option} ${quote(text)}: give ${integer ? 'a whole number' : 'a number'} of at least ${min}`);
  }
  return n;
}

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** The host name --cert names first (its first DNS subjectAltName, else its CN), or null. */
function certificateName(pem: string): string | null {
  try {
    const x = new X509Certificate(pem);
    const dns = (x.subjectAltName ?? '').split(', ').find((e) => e.startsWith('DNS:'));
    if (dns !== undefined && HOST_NAME.test(dns.slice(4))) return dns.slice(4);
    const cn = /(?:^|\n)CN=([^\n]+)/.exec(x.subject)?.[1];
    return cn !== undefined && HOST_NAME.test(cn) ? cn : null;
  } catch {
    return null;
  }
}

/**
 * Checks the options (one-line UsageError for anything wrong) and reads --cert, --key and
 * --ca-file; creates --save's folder.
 *
 * @example checkReceiveOptions({ listen: '127.0.0.1:0', cert: 'cert.pem', key: 'key.pem', require: 'c' }).required // 'c'
 */
export async function checkReceiveOptions(raw: RawReceiveOptions): Promise<ReceiveSettings> {
  const { host, port } = parseListen(raw.listen);
  const cert = readPem('--cert', raw.cert);
  const key = readPem('--key', raw.key);
  try {
    createPrivateKey(key);
  } catch {
    throw new UsageError(`--key ${quote(raw.key ?? '', 200)} holds no private key (PEM)`);
  }
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new UsageError(`--cert and --key cannot be used together: ${(err as Error).message.split('\n')[0] ?? ''}`);
  }
  let name = raw.name ?? certificateName(cert) ?? hostname();
  if (!HOST_NAME.test(name)) {
    if (raw.name !== undefined) throw new UsageError(`--name ${quote(raw.name)}: give a host name (letters, digits, hyphens, dots)`);
    name = 'localhost';
  }
  let caPems: string[] = [];
  if (raw.caFile !== undefined) {
    try {
      caPems = readCaFile(raw.caFile);
    } catch (err) {
      if (err instanceof TrustStoreError) throw new UsageError(err.message);
      throw err;
    }
  }
  let required: SendingLetter | null = null;
  if (raw.require !== undefined) {
    required = parseSendingLetter(raw.require);
    if (required === null) throw new UsageError(`--require ${quote(raw.require)}: give a sender policy letter a, b, c or d (or plain, opportunistic, encrypt, verify)`);
  }
  const format = raw.json === true ? 'json' : (raw.format ?? 'text');
  if (format !== 'text' && format !== 'json' && format !== 'ndjson') throw new UsageError(`--format ${quote(format)}: text, json or ndjson`);
  let saveDir: string | null = null;
  if (raw.save !== undefined) {
    try {
      mkdirSync(raw.save, { recursive: true, mode: 0o700 });
      if (!statSync(raw.save).isDirectory()) throw new Error('ENOTDIR');
      saveDir = realpathSync(raw.save);
    } catch (err) {
      throw new UsageError(`--save ${quote(raw.save, 200)}: cannot use it as a folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  const duration = raw.duration === undefined ? null : number('--duration', raw.duration, 0, 0.1, false);
  return {
    host,
    port,
    cert,
    key,
    name,
    caPems,
    durationMs: duration === null ? null : Math.round(duration * 1000),
    maxSessions: number('--max-sessions', raw.maxSessions, 20, 1, true),
    maxSessionsPerIp: number('--max-sessions-per-ip', raw.maxSessionsPerIp, 5, 1, true),
    maxMessageBytes: number('--max-message-size', raw.maxMessageSize, 10 * 1024 * 1024, 1024, true),
    idleMs: Math.round(number('--idle-timeout', raw.idleTimeout, 60, 0.1, false) * 1000),
    sessionMs: Math.round(number('--session-timeout', raw.sessionTimeout, 600, 0.1, false) * 1000),
    saveDir,
    required,
    untilDecided: raw.untilDecided === true,
    format,
    output: raw.output ?? null,
    reverse: raw.reverse !== false,
  };
}

/**
 * The exit code of a run from its senders' verdicts: 3 when no sender was observed; with
 * --require, 1 when one is below it, else 3 when one is not yet known, else 0; without, 0.
 *
 * @example receiveExitCode([], null) // 3
 */
export function receiveExitCode(senders: readonly SenderRecord[], required: SendingLetter | null): number {
  if (senders.length === 0) return EXIT.UNDETERMINED;
  if (required === null) return EXIT.OK;
  if (senders.some((s) => s.meets === false)) return EXIT.BELOW_REQUIRED;
  if (senders.some((s) => s.meets !== true)) return EXIT.UNDETERMINED;
  return EXIT.OK;
}

/**
 * Runs the receiver until its end, writes the report, returns the exit code.
 *
 * @example process.exitCode = await runReceive(await checkReceiveOptions({ listen: '127.0.0.1:2525', cert: 'c.pem', key: 'k.pem', untilDecided: true }));
 */
export async function runReceive(settings: ReceiveSettings): Promise<number> {
  const [{ Receiver }, { makeWrongNameCertificate }, { chainDescriber, reverseNameLookup }, text, json] = await Promise.all([
    import('../receive/receiver.js'),
    import('../receive/wrong-name-certificate.js'),
    import('../receive/client-names.js'),
    import('../render/receive-text.js'),
    import('../render/receive-json.js'),
  ]);
  let out: Sink;
  try {
    out = reportSink(settings.output, false);
  } catch (err) {
    if (err instanceof OutputError) throw new UsageError(err.message);
    throw err;
  }
  const wrongName = await makeWrongNameCertificate();
  let stop: (why: string) => void = () => undefined;
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  const receiver = new Receiver({
    host: settings.host,
    port: settings.port,
    valid: { cert: settings.cert, key: settings.key },
    wrongName,
    name: settings.name,
    caPems: settings.caPems,
    limits: { messageBytes: settings.maxMessageBytes, idleMs: settings.idleMs, sessionMs: settings.sessionMs },
    maxSessions: settings.maxSessions,
    maxSessionsPerIp: settings.maxSessionsPerIp,
    saveDir: settings.saveDir,
    describeChain: chainDescriber(),
    ...(settings.reverse ? { reverseName: reverseNameLookup(2000) } : {}),
    onSession: (s: SessionRecord) => {
      if (settings.format === 'text') out.write(text.receiveSessionText(s));
      else if (settings.format === 'ndjson') out.write(json.receiveNdjsonLine(s));
      if (settings.untilDecided && receiver.allDecided()) stop('decided');
    },
    onDecided: () => {
      if (settings.untilDecided && receiver.allDecided()) stop('decided');
    },
  });
  let bound: { host: string; port: number };
  try {
    bound = await receiver.listen();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    const hint = code === 'EACCES' ? ' (a port below 1024 needs privileges: listen on a high port and redirect, or setcap; see README)' : '';
    process.stderr.write(errorLine(`cannot listen on ${settings.host}:${settings.port}: ${code}${hint}`));
    await out.close();
    return EXIT.USAGE;
  }
  const shown = bound.host.includes(':') ? `[${bound.host}]` : bound.host;
  process.stderr.write(`mxprobe: listening on ${shown}:${bound.port}\n`);

  const timer = settings.durationMs === null ? null : setTimeout(() => stop('duration'), settings.durationMs);
  let signals = 0;
  const onSignal = () => {
    signals += 1;
    if (signals > 1) process.exit(EXIT.INTERRUPTED);
    stop('signal');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  out.onFailure(() => stop('output'));
  await stopped;
  if (timer !== null) clearTimeout(timer);
  await receiver.close(2000);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

  const senders = receiver.senders(settings.required);
  if (settings.format === 'text') out.write(text.receiveSummaryText(senders, settings.required));
  else if (settings.format === 'ndjson') for (const s of senders) out.write(json.receiveNdjsonLine(s));
  else {
    const leftOut = receiver.sessionsLeftOut();
    out.write(json.receiveJson({ schemaVersion: RECEIVE_SCHEMA_VERSION, sessions: receiver.sessions(), ...(leftOut > 0 ? { sessionsLeftOut: leftOut } : {}), senders }));
  }
  await out.close();
  if (out.failure !== null) return exitForFailure(out.failure, process.stderr);
  return receiveExitCode(senders, settings.required);
}

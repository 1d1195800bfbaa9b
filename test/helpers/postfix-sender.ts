// Test harness: a private Postfix instance as a SENDING client (its `smtp` transport), to test
// `mxprobe receive` with a real MTA. Everything lives in one temp dir, like test/helpers/postfix.ts
// (whose helpers it reuses): DIR/etc (main.cf, master.cf, transport, ca.pem), DIR/queue, DIR/data, DIR/maillog.
//
// What it does: every message for the recipient domain (default receiver.test) goes by `smtp` to
// `[relay.host]:relay.port` (a loopback receiver), from the source address `bindAddress` (127.0.0.N:
// distinct per instance, so several instances run at once and a receiver tells them apart), with
// `smtp_tls_security_level` = none | may | encrypt | verify, `smtp_tls_CAfile` = the given CA and,
// for verify, the certificate matched against a fixed name. Retries are fast (queue_run_delay and
// backoff 1 s); there is no TLS session cache and no connection cache, so every attempt is a new
// connection with a full handshake.
//
// One race of such fast retries is handled here: when qmgr picks a deferred message up again while
// the smtp process that deferred it still holds its lock (a busy machine), it logs "skipped, still
// being delivered" and parks the message in the incoming queue for a hard-coded 60 s. A watcher
// (every UNSTICK_MS) flushes the queue (`postqueue -f`, which ignores time stamps) when it sees the
// same message in the incoming queue twice in a row; `unstuck` counts those flushes.
//
// Nothing leaves 127.0.0.0/8 and nothing is delivered locally: no smtpd listens, any other
// destination (bounces to the sender included) goes to the `discard` transport, local delivery is
// the `error` transport, no notices go to the postmaster. Messages are injected with Postfix's own
// `sendmail -C DIR/etc` (postdrop → pickup → cleanup → qmgr).
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { abortInstance, logTail, newInstanceTree, readMasterPid, run, stopInstance } from './postfix.ts';

/** Postfix's `smtp_tls_security_level` values the sender tests use, weakest first. */
export type SenderTlsLevel = 'none' | 'may' | 'encrypt' | 'verify';

/** The four levels in order: the (a), (b), (c), (d) sender policies of issue 13. */
export const SENDER_TLS_LEVELS: readonly SenderTlsLevel[] = ['none', 'may', 'encrypt', 'verify'];

export interface PostfixSenderOptions {
  level: SenderTlsLevel;
  /** Where every message for `recipientDomain` goes: a loopback receiver. */
  relay: { host: string; port: number };
  /** The client's source address (`smtp_bind_address`), in 127.0.0.0/8; distinct per instance. */
  bindAddress: string;
  /** PEM trust anchors for `smtp_tls_CAfile` (verify trusts only these). */
  caPem: string;
  /** The name the receiver's certificate must carry at level verify (`smtp_tls_verify_cert_match`); default 'receiver.test'. */
  verifyName?: string;
  /** The SNI Postfix sends (`smtp_tls_servername`); default none sent (Postfix's default). */
  servername?: string;
  /** The EHLO name (`myhostname`); default `sender-LEVEL.test`. */
  myhostname?: string;
  /** The domain routed to the relay; default 'receiver.test'. */
  recipientDomain?: string;
}

/** A test message to submit; every field has a default. */
export interface SenderMessage {
  from?: string; // envelope and From:, default `test@MYHOSTNAME`
  to?: string; // envelope and To:, default `test@RECIPIENTDOMAIN`
  subject?: string;
  body?: string;
}

/** One message in the queue as `postqueue -j` lists it. */
export interface QueuedMessage {
  queueId: string;
  queueName: string; // 'incoming' | 'active' | 'deferred' | 'hold' | …
  reasons: string[]; // delay reasons per recipient, e.g. 'Server certificate not verified'
}

export interface PostfixSender {
  level: SenderTlsLevel;
  bindAddress: string;
  myhostname: string;
  configDir: string;
  logFile: string;
  /** Injects one message with `sendmail -C configDir -f FROM -- TO`; resolves once Postfix took it. */
  submit(message?: SenderMessage): Promise<void>;
  /** `postqueue -f`: attempts every queued message now. */
  flush(): Promise<void>;
  /** The queue (`postqueue -j`); [] when empty. */
  queue(): Promise<QueuedMessage[]>;
  /** This instance's log: the whole of it, or its last `lines` lines. */
  log(lines?: number): Promise<string>;
  /** Stops the instance and removes its temp dir; idempotent. */
  stop(): Promise<void>;
  /** How often the watcher flushed a message parked in the incoming queue (see the header). */
  readonly unstuck: number;
}

export type PostfixSenderStart = { ok: true; sender: PostfixSender } | { ok: false; reason: string };

const NAME = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const START_TIMEOUT_MS = 15_000;
const UNSTICK_MS = 1500;

const isLoopbackV4 = (ip: string): boolean => net.isIPv4(ip) && ip.startsWith('127.');

function mainCf(dir: string, o: Required<Omit<PostfixSenderOptions, 'servername' | 'caPem'>> & { servername: string | undefined }): string {
  const etc = path.join(dir, 'etc');
  return `# generated by test/helpers/postfix-sender.ts - private SENDING test instance: relays only to
# [${o.relay.host}]:${o.relay.port}, discards everything else, delivers nothing locally
compatibility_level = 3.6
config_directory = ${etc}
queue_directory = ${path.join(dir, 'queue')}
data_directory = ${path.join(dir, 'data')}
maillog_file = ${path.join(dir, 'maillog')}
maillog_file_prefixes = ${dir}
myhostname = ${o.myhostname}
mydomain = test
myorigin = $myhostname
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination =
relay_domains =
relayhost =
alias_maps =
alias_database =
local_recipient_maps =
transport_maps = texthash:${path.join(etc, 'transport')}
default_transport = discard:this test instance sends only to its receiver
relay_transport = discard:this test instance sends only to its receiver
local_transport = error:this test instance delivers nothing locally
notify_classes =
delay_warning_time = 0
biff = no
append_dot_mydomain = no
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 1s
smtp_bind_address = ${o.bindAddress}
smtp_connect_timeout = 10s
smtp_connection_cache_on_demand = no
smtp_connection_cache_destinations =
smtp_tls_session_cache_database =
smtp_tls_security_level = ${o.level}
smtp_tls_CAfile = ${path.join(etc, 'ca.pem')}
smtp_tls_verify_cert_match = ${o.verifyName}
smtp_tls_loglevel = 1
${o.servername !== undefined ? `smtp_tls_servername = ${o.servername}\n` : ''}`;
}

// Columns: service type private unpriv chroot wakeup maxproc command. chroot = n everywhere; no inet service.
const MASTER_CF = `# generated by test/helpers/postfix-sender.ts
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
tlsmgr    unix - - n 1000? 1 tlsmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
smtp      unix - - n - - smtp
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
`;

function checkOptions(o: PostfixSenderOptions): string | null {
  if (!(['none', 'may', 'encrypt', 'verify'] as const).includes(o.level)) return `unknown level ${JSON.stringify(o.level)}`;
  if (!isLoopbackV4(o.relay.host)) return `relay host must be in 127.0.0.0/8, not ${JSON.stringify(o.relay.host)}`;
  if (!Number.isInteger(o.relay.port) || o.relay.port < 1 || o.relay.port > 65535) return `bad relay port ${o.relay.port}`;
  if (!isLoopbackV4(o.bindAddress)) return `bindAddress must be in 127.0.0.0/8, not ${JSON.stringify(o.bindAddress)}`;
  for (const [what, v] of [['verifyName', o.verifyName], ['servername', o.servername], ['myhostname', o.myhostname], ['recipientDomain', o.recipientDomain]] as const) {
    if (v !== undefined && !NAME.test(v)) return `invalid ${what}: ${JSON.stringify(v)}`;
  }
  if (!o.caPem.includes('-----BEGIN CERTIFICATE-----')) return 'caPem holds no PEM certificate';
  return null;
}

/** Builds the RFC 5322 message submitted by sendmail (CRLF-free: sendmail reads LF lines). */
function messageText(from: string, to: string, subject: string, body: string, myhostname: string): string {
  return [
    `From: ${from}`,
    `To: ${to}`,
    `Subject: ${subject}`,
    `Message-ID: <${Date.now()}.${process.pid}.${Math.random().toString(36).slice(2)}@${myhostname}>`,
    `Date: ${new Date().toUTCString()}`,
    '',
    body,
    '',
  ].join('\n');
}

/**
 * Starts a private Postfix that sends every message for the recipient domain to the loopback relay
 * at the given TLS level; ok:false with a clear reason when Postfix is missing or cannot start.
 * @example
 * const s = await startPostfixSender({ level: 'verify', relay: { host: '127.0.0.1', port }, bindAddress: '127.0.0.5', caPem: pki.rootPem, verifyName: 'mx.test' });
 * if (!s.ok) return t.skip(s.reason);
 * try { await s.sender.submit(); } finally { await s.sender.stop(); }
 */
export async function startPostfixSender(options: PostfixSenderOptions): Promise<PostfixSenderStart> {
  const bad = checkOptions(options);
  if (bad) return { ok: false, reason: `startPostfixSender: ${bad}` };
  const o = {
    level: options.level,
    relay: options.relay,
    bindAddress: options.bindAddress,
    verifyName: options.verifyName ?? 'receiver.test',
    servername: options.servername,
    myhostname: options.myhostname ?? `sender-${options.level}.test`,
    recipientDomain: options.recipientDomain ?? 'receiver.test',
  };

  const tree = await newInstanceTree('mxprobe-postfix-sender-');
  if (typeof tree === 'string') return { ok: false, reason: tree };
  const { postfix, dir, etc, queue, logFile, entry } = tree;
  const bin = path.dirname(postfix);
  const fail = async (reason: string): Promise<PostfixSenderStart> => {
    const tail = await logTail(logFile);
    await abortInstance(entry, queue);
    return { ok: false, reason: `${reason}\n--- ${logFile} ---\n${tail}` };
  };

  try {
    // Postfix daemons drop to the postfix user; they must be able to read the CA.
    await fsp.writeFile(path.join(etc, 'ca.pem'), options.caPem.trimEnd() + '\n', { mode: 0o644 });
    await fsp.writeFile(path.join(etc, 'transport'), `${o.recipientDomain} smtp:[${o.relay.host}]:${o.relay.port}\n`, { mode: 0o644 });
    await fsp.writeFile(path.join(etc, 'main.cf'), mainCf(dir, o), { mode: 0o644 });
    await fsp.writeFile(path.join(etc, 'master.cf'), MASTER_CF, { mode: 0o644 });
    // Postfix waits for a config file's mtime to be a second or two old: backdate them.
    const past = new Date(Date.now() - 60_000);
    for (const f of ['main.cf', 'master.cf']) await fsp.utimes(path.join(etc, f), past, past);
  } catch (e) {
    return fail(`cannot prepare instance dir ${dir}: ${e instanceof Error ? e.message : String(e)}`);
  }

  const started = await run(postfix, ['-c', etc, 'start'], START_TIMEOUT_MS);
  if (started.code !== 0) {
    return fail(`\`${postfix} -c ${etc} start\` failed (exit ${started.code ?? 'signal/timeout'})${started.stderr.trim() ? `: ${started.stderr.trim()}` : ''}`);
  }
  const pid = await readMasterPid(queue);
  if (pid !== undefined) entry.pid = pid;
  // Ready when the queue manager answers: postqueue -p asks showq through the master.
  const ready = await run(path.join(bin, 'postqueue'), ['-c', etc, '-p'], START_TIMEOUT_MS);
  if (ready.code !== 0) return fail(`Postfix started but \`postqueue -p\` failed: ${ready.stderr.trim() || ready.stdout.trim()}`);

  let stopping: Promise<void> | undefined;
  let unstuck = 0;
  let watching = false;
  let lastIncoming = new Set<string>();
  const watcher = setInterval(() => {
    if (watching || stopping !== undefined) return;
    watching = true;
    void (async () => {
      const incoming = new Set((await sender.queue()).filter((m) => m.queueName === 'incoming').map((m) => m.queueId));
      const parked = [...incoming].some((id) => lastIncoming.has(id));
      lastIncoming = incoming;
      if (parked && stopping === undefined) {
        unstuck += 1;
        await sender.flush();
      }
    })()
      .catch(() => undefined) // stopped meanwhile
      .finally(() => (watching = false));
  }, UNSTICK_MS);
  watcher.unref();
  const sender: PostfixSender = {
    level: o.level,
    bindAddress: o.bindAddress,
    myhostname: o.myhostname,
    configDir: etc,
    logFile,
    submit: (message = {}) => {
      const from = message.from ?? `test@${o.myhostname}`;
      const to = message.to ?? `test@${o.recipientDomain}`;
      const text = messageText(from, to, message.subject ?? `mxprobe receive test (${o.level})`, message.body ?? `A test message from a Postfix at level ${o.level}.`, o.myhostname);
      return new Promise((resolve, reject) => {
        const env = { ...process.env };
        delete env['MAIL_CONFIG'];
        const child = execFile(path.join(bin, 'sendmail'), ['-C', etc, '-f', from, '-i', '--', to], { env, timeout: 20_000, encoding: 'utf8' }, (error, stdout, stderr) => {
          if (error) reject(new Error(`sendmail failed (${error.message}): ${stderr.trim() || stdout.trim()}`));
          else resolve();
        });
        child.stdin?.end(text);
      });
    },
    flush: async () => {
      const r = await run(path.join(bin, 'postqueue'), ['-c', etc, '-f']);
      if (r.code !== 0) throw new Error(`postqueue -f failed: ${r.stderr.trim()}`);
    },
    queue: async () => {
      const r = await run(path.join(bin, 'postqueue'), ['-c', etc, '-j']);
      if (r.code !== 0) throw new Error(`postqueue -j failed: ${r.stderr.trim()}`);
      return r.stdout
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => {
          const j = JSON.parse(l) as { queue_id: string; queue_name: string; recipients?: Array<{ delay_reason?: string }> };
          return { queueId: j.queue_id, queueName: j.queue_name, reasons: (j.recipients ?? []).flatMap((r) => (r.delay_reason ? [r.delay_reason] : [])) };
        });
    },
    log: async (lines?: number) => (lines === undefined ? fsp.readFile(logFile, 'utf8').catch(() => '(no log)') : logTail(logFile, lines)),
    stop: () => {
      clearInterval(watcher);
      return (stopping ??= stopInstance(entry, queue));
    },
    get unstuck() {
      return unstuck;
    },
  };
  return { ok: true, sender };
}

/**
 * The last `lines` lines of each sender's log, one block per sender: for a failing test's message.
 * @example catch (e) { if (e instanceof Error) e.message += `\n${await senderLogs(senders)}`; throw e; }
 */
export async function senderLogs(senders: readonly PostfixSender[], lines = 80): Promise<string> {
  const blocks = await Promise.all(senders.map(async (s) => `--- Postfix ${s.level} (${s.bindAddress}) log, last ${lines} lines ---\n${await s.log(lines)}`));
  return blocks.join('\n');
}

/**
 * Fetches a domain's MTA-STS policy (RFC 8461 §3.3): `GET
 * https://mta-sts.DOMAIN/.well-known/mta-sts.txt` over HTTPS with full PKIX validation of the
 * name `mta-sts.DOMAIN` against the run's trust anchors (Node's roots, NODE_EXTRA_CA_CERTS,
 * --ca-file) at Node's default security level — never the probe's security-level-0 context.
 * No redirect is followed, only status 200 with `Content-Type: text/plain` gives a body, the
 * read stops at a size cap, the whole fetch has a deadline and an AbortSignal stops it; the
 * body is read as strict UTF-8 (RFC 8461 §3.2). Never throws for a remote problem: every
 * failure is a fact with its own message.
 */
import type { RequestOptions } from 'node:https';
import { checkServerIdentity, createSecureContext, type PeerCertificate, type SecureContext } from 'node:tls';
import type { Socket } from 'node:net';
import { quote, sanitize } from '../render/sanitize.js';
import type { TrustStore } from '../cert/trust-store.js';
import type { PolicyFetchFacts, PolicyFetchFailureKind } from '../model/mta-sts.js';

/** The policy's path under the policy host (RFC 8461 §3.2). */
export const POLICY_PATH = '/.well-known/mta-sts.txt';

/** The caps of a policy fetch. @example POLICY_FETCH_LIMITS.maxBytes // 65536 */
export const POLICY_FETCH_LIMITS = {
  /** The largest policy read (RFC 8461 §3.3 asks senders to bound the size; real policies are under 1 KiB). */
  maxBytes: 64 * 1024,
  /** The whole fetch: connection, handshake, headers and body. */
  timeoutMs: 15_000,
  /** The response headers (Node's default is 16 KiB). */
  maxHeaderBytes: 16 * 1024,
} as const;

/**
 * How to fetch a policy.
 *
 * @example const options: FetchPolicyOptions = { trust: makeTrustStore(readCaFile('partner-ca.pem')), timeoutMs: 10_000, signal: AbortSignal.timeout(30_000) };
 */
export interface FetchPolicyOptions {
  /**
   * The run's trust anchors, as the probes take them (ProbeOptions.trust; makeTrustStore: Node's
   * roots, NODE_EXTRA_CA_CERTS and your PEMs): the chain must lead to one of them. The fetch
   * verifies against them in a context of its own at Node's default security level, never the
   * store's security-level-0 `secureContext`.
   */
  trust: TrustStore;
  /** Deadline of the whole fetch; POLICY_FETCH_LIMITS.timeoutMs by default. */
  timeoutMs?: number;
  /** Size cap of the body; POLICY_FETCH_LIMITS.maxBytes by default. */
  maxBytes?: number;
  /** Stops the fetch from outside (a failure of kind `aborted`). */
  signal?: AbortSignal;
  /**
   * Where to connect instead of `mta-sts.DOMAIN`:443, e.g. an address the run's resolver gave,
   * or a loopback server in tests. The name sent (SNI, Host) and verified stays `mta-sts.DOMAIN`.
   */
  connectTo?: { host: string; port?: number };
}

/** One secure context per trust store (so per run): loading ~150 roots costs ~20 ms, too much per domain. */
const contexts = new WeakMap<TrustStore, SecureContext>();

function contextFor(trust: TrustStore): SecureContext {
  let context = contexts.get(trust);
  if (context === undefined) {
    // Node's defaults (TLS 1.2 and up, OpenSSL's default security level): what a sender uses.
    context = createSecureContext({ ca: [...trust.anchorPems()] });
    contexts.set(trust, context);
  }
  return context;
}

/**
 * RFC 8461 §3.2: the policy is UTF-8 text. Strict: a byte sequence UTF-8 does not allow is no
 * policy (failure `encoding`), never read on with U+FFFD in its place. `ignoreBOM` keeps a
 * byte-order mark in the text, where a sender reads it as part of the first key.
 */
const POLICY_TEXT = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** OpenSSL's and Node's error codes for a certificate that does not verify (chain, dates, name). */
const CERTIFICATE_ERROR = /CERT|SELF_SIGNED|ISSUER|LEAF_SIGNATURE|ALTNAME|INVALID_CA|PATH_LENGTH|INVALID_PURPOSE|HOSTNAME/;

/** The failure kind of a request error, by how far the connection had got. */
function classify(err: NodeJS.ErrnoException, stage: 'connecting' | 'handshake' | 'http'): PolicyFetchFailureKind {
  const code = err.code ?? '';
  if (CERTIFICATE_ERROR.test(code)) return 'certificate';
  if (code.startsWith('HPE_')) return 'http';
  if (code.startsWith('ERR_SSL_') || code === 'EPROTO') return 'tls';
  if (stage === 'connecting') return 'connect';
  return stage === 'handshake' ? 'tls' : 'http';
}

/**
 * The media type of a Content-Type header, lower case, without parameters (RFC 9110 §8.3.1).
 *
 * @example mediaType('Text/Plain; charset=utf-8') // 'text/plain'
 */
export function mediaType(header: string): string {
  return (header.split(';')[0] ?? '').trim().toLowerCase();
}

/**
 * Fetches the policy of `domain` (an A-label domain without trailing dot). Resolves, never
 * rejects: `failure` says why no body came.
 *
 * @example const fetched = await fetchPolicy('example.com', { trust: makeTrustStore() }); // fetched.body: 'version: STSv1\n…' | null
 */
export async function fetchPolicy(domain: string, options: FetchPolicyOptions): Promise<PolicyFetchFacts> {
  // node:https (and node:http under it) loads with the first fetch: a probe of --server never needs it.
  const { request } = await import('node:https');
  const host = `mta-sts.${domain}`;
  const url = `https://${host}${POLICY_PATH}`;
  const maxBytes = options.maxBytes ?? POLICY_FETCH_LIMITS.maxBytes;
  const timeoutMs = options.timeoutMs ?? POLICY_FETCH_LIMITS.timeoutMs;
  const started = performance.now();
  const seen = { status: null as number | null, contentType: null as string | null, location: null as string | null, bytes: 0 };
  const facts = (failure: PolicyFetchFacts['failure'], body: string | null = null): PolicyFetchFacts => ({
    url,
    ...seen,
    body,
    ms: Math.round(performance.now() - started),
    failure,
  });

  return new Promise((resolve) => {
    if (options.signal?.aborted === true) {
      resolve(facts({ kind: 'aborted', message: `the fetch of ${url} was stopped before it started` }));
      return;
    }
    let stage: 'connecting' | 'handshake' | 'http' = 'connecting';
    let settled = false;
    const chunks: Buffer[] = [];
    const finish = (failure: PolicyFetchFacts['failure'], body: string | null = null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      req.destroy();
      resolve(facts(failure === null ? null : { kind: failure.kind, message: sanitize(failure.message, 400) }, body));
    };
    const fail = (kind: PolicyFetchFailureKind, message: string) => finish({ kind, message });
    const onAbort = () => fail('aborted', `the fetch of ${url} was stopped from outside`);

    let req: ReturnType<typeof request>;
    try {
      // `secureContext` reaches tls.connect, though the https typings do not list it.
      const requestOptions: RequestOptions & { secureContext: SecureContext } = {
        host: options.connectTo?.host ?? host,
        port: options.connectTo?.port ?? 443,
        path: POLICY_PATH,
        method: 'GET',
        // The policy host's name for SNI, Host and the certificate check, wherever the connection goes.
        servername: host,
        headers: { Host: host, Accept: 'text/plain', 'User-Agent': 'mxprobe (MTA-STS policy check)', Connection: 'close' },
        secureContext: contextFor(options.trust),
        rejectUnauthorized: true,
        checkServerIdentity: (_name: string, cert: PeerCertificate) => checkServerIdentity(host, cert),
        agent: false,
        maxHeaderSize: POLICY_FETCH_LIMITS.maxHeaderBytes,
      };
      req = request(requestOptions);
    } catch (err) {
      resolve(facts({ kind: 'connect', message: `cannot fetch ${url}: ${sanitize((err as Error).message, 200)}` }));
      return;
    }
    const timer = setTimeout(() => fail('timeout', `no complete answer from ${url} within ${timeoutMs / 1000} s`), timeoutMs);
    options.signal?.addEventListener('abort', onAbort, { once: true });

    req.on('socket', (socket: Socket) => {
      socket.once('connect', () => (stage = 'handshake'));
      socket.once('secureConnect', () => (stage = 'http'));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      const kind = classify(err, stage);
      const what =
        kind === 'certificate'
          ? `the certificate of ${host} does not verify (${err.code ?? 'error'}: ${err.message})`
          : kind === 'connect'
            ? `cannot connect to ${host} (${err.code ?? err.message})`
            : kind === 'tls'
              ? `no TLS session with ${host} (${err.code ?? 'error'}: ${err.message})`
              : `a broken HTTP answer from ${host} (${err.code ?? 'error'}: ${err.message})`;
      fail(kind, `${what}, fetching ${url}`);
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      seen.status = status;
      const type = res.headers['content-type'];
      seen.contentType = type === undefined ? null : type.slice(0, 200);
      if (status >= 300 && status < 400) {
        const location = res.headers.location;
        seen.location = location === undefined ? null : location.slice(0, 200);
        fail('redirect', `${url} answered ${status}${location === undefined ? '' : `, a redirect to ${quote(location, 120)}`}: senders never follow a redirect (RFC 8461 §3.3)`);
        return;
      }
      if (status !== 200) {
        fail('status', `${url} answered ${status}${res.statusMessage ? ` ${quote(res.statusMessage, 60)}` : ''}: a policy is served with status 200 only (RFC 8461 §3.3)`);
        return;
      }
      if (type === undefined || mediaType(type) !== 'text/plain') {
        fail('content-type', `${url} is served ${type === undefined ? 'without a Content-Type' : `as ${quote(type, 80)}`}: it must be text/plain (RFC 8461 §3.2)`);
        return;
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        fail('too-large', `${url} declares ${declared} bytes, over the cap of ${maxBytes / 1024} KiB: not read`);
        return;
      }
      res.on('data', (chunk: Buffer) => {
        seen.bytes += chunk.length;
        if (seen.bytes > maxBytes) {
          fail('too-large', `${url} is larger than the cap of ${maxBytes / 1024} KiB: the read stopped after ${seen.bytes} bytes`);
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        if (!res.complete) {
          fail('http', `${url}: the connection closed before the end of the body`);
          return;
        }
        let text: string;
        try {
          text = POLICY_TEXT.decode(Buffer.concat(chunks));
        } catch {
          fail('encoding', `the policy is not valid UTF-8 (RFC 8461 §3.2): the ${seen.bytes} bytes of ${url} hold a byte sequence UTF-8 does not allow`);
          return;
        }
        finish(null, text);
      });
      res.on('error', () => fail('http', `${url}: the connection broke off in the body`));
      res.on('close', () => fail('http', `${url}: the connection closed before the end of the body`));
    });
    req.end();
  });
}

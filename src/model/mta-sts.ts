/**
 * A domain's MTA-STS facts (RFC 8461: its `_mta-sts` TXT record and the policy fetched over
 * HTTPS) and its TLS reporting facts (RFC 8460: its `_smtp._tls` TXT record). Types only: the
 * parsers are mta-sts/record.ts, mta-sts/policy.ts and mta-sts/tls-rpt.ts, the fetch is
 * mta-sts/fetch-policy.ts, the judgement judge/mta-sts.ts.
 */

/**
 * An MTA-STS policy as parsed (RFC 8461 §3.2).
 *
 * @example const policy: MtaStsPolicy = { version: 'STSv1', mode: 'enforce', mx: ['mail.example.com', '*.example.net'], maxAge: 604800 };
 */
export interface MtaStsPolicy {
  version: string;
  /** `enforce`: senders refuse MX hosts that fail; `testing`: they deliver and report; `none`: no policy. */
  mode: 'enforce' | 'testing' | 'none';
  /** The `mx` patterns, in order (a leading `*.` matches exactly one label, RFC 8461 §4.1). */
  mx: string[];
  /** Seconds a sender may cache the policy (0 … 31557600). */
  maxAge: number;
}

/**
 * Why the HTTPS fetch of a policy gave no policy text (RFC 8461 §3.3): `connect` (no TCP
 * connection), `tls` (no TLS session), `certificate` (the certificate does not verify for
 * `mta-sts.DOMAIN`: untrusted, expired, wrong name), `timeout`, `redirect` (a 3xx: never
 * followed), `status` (any other status than 200), `content-type` (not `text/plain`),
 * `too-large` (over the size cap: the read stopped), `http` (a broken HTTP response),
 * `aborted` (stopped from outside: says nothing about the server); and `encoding`: the body came
 * whole but is not valid UTF-8, so it is no policy text (RFC 8461 §3.2; the judge calls that an
 * invalid policy, MTA_STS_POLICY_INVALID, not an unreachable one).
 *
 * @example const blamesServer = (kind: PolicyFetchFailureKind) => kind !== 'aborted';
 */
export type PolicyFetchFailureKind = 'connect' | 'tls' | 'certificate' | 'timeout' | 'redirect' | 'status' | 'content-type' | 'too-large' | 'http' | 'aborted' | 'encoding';

/**
 * The HTTPS GET of `https://mta-sts.DOMAIN/.well-known/mta-sts.txt`, as it went.
 *
 * @example const fetched = (f: PolicyFetchFacts) => f.failure === null && f.body !== null;
 */
export interface PolicyFetchFacts {
  /** The URL asked. */
  url: string;
  /** The HTTP status received, or null when none was. */
  status: number | null;
  /** The Content-Type header as sent (cut at 200 characters), or null when absent or no response. */
  contentType: string | null;
  /** A 3xx's Location header as sent (cut at 200 characters); never followed. */
  location: string | null;
  /** Body bytes read (the read stops at the cap). */
  bytes: number;
  /** The body as UTF-8 text when it was received whole (status 200, text/plain, within the cap) and is valid UTF-8; else null. */
  body: string | null;
  /** Milliseconds from the start to the end of the fetch. */
  ms: number;
  /** Why no policy text came, or null when one did. The message names the URL and says what happened. */
  failure: { kind: PolicyFetchFailureKind; message: string } | null;
}

/**
 * The domain's MTA-STS facts: its `_mta-sts` TXT records, the policy fetch and what they say.
 * `txt` and `fetch` are what was seen; `record`, `id`, `policy` and `error` are read from them
 * (mta-sts/facts.ts), so the judge and the report need not parse again.
 *
 * @example const enforced = (m: MtaStsFacts) => m.policy?.mode === 'enforce';
 */
export interface MtaStsFacts {
  /**
   * Every TXT record at `_mta-sts.DOMAIN` (the strings of one record joined, RFC 7208 §3.3 style);
   * [] when there is none (NXDOMAIN, NODATA); null when the look-up failed.
   */
  txt: string[] | null;
  /** The one `v=STSv1` record (RFC 8461 §3.1), the first when there are several; null when there is none. */
  record: string | null;
  /** The record's `id` when the record is valid: a new id announces a new policy. */
  id: string | null;
  /** The policy fetch; null when there was no valid record, so nothing to fetch. */
  fetch: PolicyFetchFacts | null;
  /** The policy, when it was fetched and is valid (RFC 8461 §3.2); else null. */
  policy: MtaStsPolicy | null;
  /** The first reason the record or the policy could not be used, in words; null when nothing failed (or there is no record). */
  error: string | null;
}

/**
 * The domain's TLS reporting facts: its `_smtp._tls` TXT record (RFC 8460 §3).
 *
 * @example const reportsTo = (t: TlsRptFacts) => t.rua; // ['mailto:tlsrpt@example.com']
 */
export interface TlsRptFacts {
  /** Every TXT record at `_smtp._tls.DOMAIN`; [] when none; null when the look-up failed. */
  txt: string[] | null;
  /** The one `v=TLSRPTv1` record, the first when there are several; null when there is none. */
  record: string | null;
  /** Its `rua` URIs (mailto: and https:), where reports go; [] when the record is missing or invalid. */
  rua: string[];
  /** Why it cannot be used, in words; null when it is valid or missing. */
  error: string | null;
}

/**
 * One MX host against an MTA-STS policy (RFC 8461 §4.1, §4.2): the first `mx` pattern it
 * matches, and whether its certificate verified for its name at every reachable address.
 *
 * @example const m: MtaStsMxMatch = { host: 'mx1.example.com', pattern: '*.example.com', verified: true };
 */
export interface MtaStsMxMatch {
  host: string;
  /** The first pattern the host matches; null: none (MTA_STS_MX_MISMATCH). */
  pattern: string | null;
  /** PKIX verification for the host's name at every reachable address; null when none was reachable. */
  verified: boolean | null;
}

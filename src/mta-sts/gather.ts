/**
 * A domain's MTA-STS facts in one step: read the `_mta-sts` TXT records given (the caller asks
 * DNS), fetch the policy when there is one valid record (one fetch per domain), read the
 * policy. `mtaStsFacts` is the pure part: what the records and the fetch say.
 */
import type { MtaStsFacts, PolicyFetchFacts } from '../model/mta-sts.js';
import { fetchPolicy, type FetchPolicyOptions } from './fetch-policy.js';
import { parsePolicy } from './policy.js';
import { parseStsRecord } from './record.js';
import { recordText } from './txt-fields.js';

/**
 * What the TXT records of `_mta-sts.DOMAIN` (null: the look-up failed) and the policy fetch
 * (null: not made) say. Pure.
 *
 * @example mtaStsFacts('example.com', ['v=STSv1; id=1'], fetched).policy?.mode // 'enforce'
 */
export function mtaStsFacts(domain: string, txt: readonly (string | readonly string[])[] | null, fetch: PolicyFetchFacts | null): MtaStsFacts {
  if (txt === null) return { txt: null, record: null, id: null, fetch: null, policy: null, error: `the TXT look-up of _mta-sts.${domain} failed` };
  const texts = txt.map(recordText);
  const reading = parseStsRecord(texts);
  if (reading.status === 'none') return { txt: texts, record: null, id: null, fetch: null, policy: null, error: null };
  if (reading.status === 'invalid') return { txt: texts, record: reading.record, id: null, fetch: null, policy: null, error: reading.errors[0] ?? 'invalid record' };
  const base = { txt: texts, record: reading.record, id: reading.id, fetch };
  if (fetch === null) return { ...base, policy: null, error: null };
  if (fetch.failure !== null || fetch.body === null) return { ...base, policy: null, error: fetch.failure?.message ?? 'no policy body' };
  const policy = parsePolicy(fetch.body);
  return { ...base, policy: policy.policy, error: policy.errors[0] ?? null };
}

/**
 * A domain's MTA-STS facts: the records read, the policy fetched when there is one valid
 * record. Never throws for a remote problem.
 *
 * @example const facts = await gatherMtaSts('example.com', await resolver.txt('_mta-sts.example.com'), { trust: makeTrustStore() });
 */
export async function gatherMtaSts(domain: string, txt: readonly (string | readonly string[])[] | null, options: FetchPolicyOptions): Promise<MtaStsFacts> {
  const valid = txt !== null && parseStsRecord(txt).status === 'valid';
  return mtaStsFacts(domain, txt, valid ? await fetchPolicy(domain, options) : null);
}

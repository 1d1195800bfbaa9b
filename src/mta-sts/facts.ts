/**
 * What a domain's `_mta-sts` TXT records and its policy fetch say, as MtaStsFacts: the record
 * read, its id, the policy read (RFC 8461 §3). Pure: the look-ups and the one fetch are made by
 * gatherMailPolicies (probe/gather-mail-policies.ts), the only path that gathers them.
 */
import type { MtaStsFacts, PolicyFetchFacts } from '../model/mta-sts.js';
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

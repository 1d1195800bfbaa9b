/**
 * A DomainResult without its SMTP transcripts (they are kept only with --transcript).
 * Shared by the JSON and NDJSON renderers. Pure; a result that holds none is returned as it
 * is (a batch drops transcripts as it probes, so its rows cost no copy).
 */
import type { DomainResult } from '../model/domain.js';

/** @example withoutTranscripts(result).mx[0]?.addresses[0]?.transcript // undefined */
export function withoutTranscripts(domain: DomainResult): DomainResult {
  if (!domain.mx.some((host) => host.addresses.some((address) => address.transcript !== undefined))) return domain;
  return {
    ...domain,
    mx: domain.mx.map((host) => ({
      ...host,
      addresses: host.addresses.map(({ transcript: _dropped, ...address }) => address),
    })),
  };
}

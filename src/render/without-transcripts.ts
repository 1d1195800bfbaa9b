/**
 * A DomainResult without its SMTP transcripts (they are kept only with --transcript).
 * Shared by the JSON and NDJSON renderers. Pure.
 */
import type { DomainResult } from '../model/domain.js';

/** @example withoutTranscripts(result).mx[0]?.addresses[0]?.transcript // undefined */
export function withoutTranscripts(domain: DomainResult): DomainResult {
  return {
    ...domain,
    mx: domain.mx.map((host) => ({
      ...host,
      addresses: host.addresses.map(({ transcript: _dropped, ...address }) => address),
    })),
  };
}

/**
 * The JSON report: `{ schemaVersion, domains }` where each domain is a DomainResult.
 * Pure. Characters JSON leaves raw but a terminal would act on (C1 controls, bidi
 * overrides, line separators) are written as \u escapes: the same data, safe to `cat`.
 */
import { SCHEMA_VERSION, type DomainResult, type Report } from '../model/result.js';

export interface JsonOptions {
  /** Keep each address's SMTP transcript. */
  transcript: boolean;
}

const RAW_BUT_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function withoutTranscripts(domain: DomainResult): DomainResult {
  return {
    ...domain,
    mx: domain.mx.map((host) => ({
      ...host,
      addresses: host.addresses.map(({ transcript: _dropped, ...address }) => address),
    })),
  };
}

/** @example renderJson([result], { transcript: false }) // '{\n  "schemaVersion": 1, ...' */
export function renderJson(domains: readonly DomainResult[], options: JsonOptions): string {
  const report: Report = {
    schemaVersion: SCHEMA_VERSION,
    domains: options.transcript ? [...domains] : domains.map(withoutTranscripts),
  };
  return `${JSON.stringify(report, null, 2).replace(RAW_BUT_UNSAFE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}

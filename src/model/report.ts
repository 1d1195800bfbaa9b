/**
 * The JSON report: `{ schemaVersion, domains }`, each domain a DomainResult. `schemaVersion`
 * changes only for an incompatible change (README "JSON format").
 */
import type { DomainResult } from './domain.js';

/**
 * The `schemaVersion` of the probe's JSON and NDJSON output.
 *
 * @example JSON.parse(stdout).schemaVersion === SCHEMA_VERSION
 */
export const SCHEMA_VERSION = 1;

export interface Report {
  schemaVersion: typeof SCHEMA_VERSION;
  domains: DomainResult[];
}

/**
 * The JSON report: `{ schemaVersion, domains }`, each domain a DomainResult; an NDJSON line is
 * one DomainResult with `schemaVersion` first. `schemaVersion` changes only for an incompatible
 * change (README "JSON format"; version 2: CHANGELOG "Schema version 2").
 */
import type { DomainResult } from './domain.js';

/**
 * The `schemaVersion` of the probe's JSON and NDJSON output.
 *
 * @example JSON.parse(stdout).schemaVersion === SCHEMA_VERSION
 */
export const SCHEMA_VERSION = 2;

/**
 * The JSON document of the probe (renderJson).
 *
 * @example const report: Report = JSON.parse(renderJson([result])); // report.schemaVersion: 2
 */
export interface Report {
  schemaVersion: typeof SCHEMA_VERSION;
  domains: DomainResult[];
}

/**
 * One line of NDJSON output: the schema version first, then the DomainResult's fields, so that
 * every line says what it is (`--resume` refuses a file of another version).
 *
 * @example const rows: NdjsonRow[] = ndjson.trim().split('\n').map((line: string) => JSON.parse(line));
 */
export type NdjsonRow = { schemaVersion: typeof SCHEMA_VERSION } & DomainResult;

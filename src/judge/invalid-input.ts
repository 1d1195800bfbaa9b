/**
 * A batch input row that is not a domain becomes a result of its own (problem INVALID_INPUT,
 * with its line), so that it is reported, counted and kept in the output: it never aborts a run.
 * A row that is a domain but was read with a doubt gets that warning added to its result.
 */
import type { DomainResult } from '../model/domain.js';
import type { Requirement } from '../model/policy.js';
import { problem } from './problem-catalogue.js';
import { judgePolicies, requirementText } from './sender-policies.js';

export interface InvalidRow {
  line: number;
  input: string;
  error: string;
  columns: Record<string, string>;
  /** `--shard K/N` the row was read under; absent without --shard. */
  shard?: { index: number; count: number };
}

/** @example invalidInputResult({ line: 3, input: 'bad..name', error: '…', columns: {} }, ['tls-required'], new Date()) */
export function invalidInputResult(row: InvalidRow, required: Requirement, now: Date): DomainResult {
  return {
    domain: row.input,
    input: row.input,
    outcome: 'invalid-input',
    mxAuthenticated: false,
    mx: [],
    dns: [],
    probedAt: now.toISOString(),
    level: null,
    required: requirementText(required),
    requiredPolicies: [...required],
    pass: false,
    problems: [problem('INVALID_INPUT', `Line ${row.line}: ${row.error}.`, { scope: 'input' })],
    policies: judgePolicies({ domain: row.input, outcome: 'invalid-input', mx: [], dns: [] }, []),
    source: { line: row.line, columns: row.columns, ...(row.shard !== undefined ? { shard: row.shard } : {}) },
  };
}

/**
 * A result with the input row's own warning added (INPUT_EXTRA_FIELDS: the row has more
 * fields than the header, so its other cells may be shifted); a warning, so the verdict
 * stands. `warning` is the reader's one-line reason (InputRow.warning).
 *
 * @example withInputWarning(result, 7, '5 fields where the header has 3').problems.at(-1)?.code // 'INPUT_EXTRA_FIELDS'
 */
export function withInputWarning(result: DomainResult, line: number, warning: string | null): DomainResult {
  if (warning === null) return result;
  return { ...result, problems: [...result.problems, problem('INPUT_EXTRA_FIELDS', `Line ${line}: ${warning}.`, { scope: 'input' })] };
}

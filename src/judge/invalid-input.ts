/**
 * A batch input row that is not a domain becomes a result of its own (problem INVALID_INPUT,
 * with its line), so that it is reported, counted and kept in the output: it never aborts a run.
 */
import type { DomainResult } from '../model/result.js';
import type { Level } from '../model/levels.js';
import { problem } from './judge-address.js';
import { senderPolicies } from './judge-domain.js';

export interface InvalidRow {
  line: number;
  input: string;
  error: string;
  columns: Record<string, string>;
}

/** @example invalidInputResult({ line: 3, input: 'bad..name', error: '…', columns: {} }, 'encrypt', new Date()) */
export function invalidInputResult(row: InvalidRow, required: Level, now: Date): DomainResult {
  return {
    domain: row.input,
    input: row.input,
    outcome: 'invalid-input',
    mxAuthenticated: false,
    mx: [],
    dns: [],
    probedAt: now.toISOString(),
    level: null,
    required,
    pass: false,
    problems: [problem('INVALID_INPUT', `Line ${row.line}: ${row.error}.`)],
    policies: senderPolicies([], false),
    source: { line: row.line, columns: row.columns },
  };
}

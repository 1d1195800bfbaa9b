/**
 * Each change of an audit diff (judge/audit-diff.ts) in words, shared by the text and HTML
 * renderings of `mxprobe diff`: the row it is about and what happened to it. The words are raw
 * (they quote server and input text): each renderer sanitises or escapes them. Pure.
 */
import type { DiffChange, DiffGroup } from '../judge/audit-diff.js';

/**
 * Each group's heading, in the order shown.
 *
 * @example DIFF_GROUP_HEADINGS.regression // 'Regressions: passed in OLD, not in NEW'
 */
export const DIFF_GROUP_HEADINGS: Readonly<Record<DiffGroup, string>> = {
  regression: 'Regressions: passed in OLD, not in NEW',
  worse: 'Worse',
  changed: 'Changed',
  better: 'Better',
};

const passWord = (pass: boolean | null) => (pass === true ? 'pass' : pass === false ? 'fail' : 'undetermined');
const levelWord = (level: string | null) => level ?? 'unknown';
const day = (iso: string) => iso.slice(0, 10);
/** A fingerprint shortened for reading: its first 8 bytes. */
const short = (fingerprint: string) => (fingerprint.length > 23 ? `${fingerprint.slice(0, 23)}…` : fingerprint);

function where(c: { scope: string; host?: string; ip?: string }): string {
  if (c.scope === 'address' && c.host !== undefined) return ` at ${c.host} [${c.ip ?? '?'}]`;
  if (c.scope === 'host' && c.host !== undefined) return ` at ${c.host}`;
  if (c.scope === 'input') return ' in the input row';
  return '';
}

/**
 * The row a change is about: its domain, or `key (domain)` when rows are matched by a column.
 *
 * @example changeSubject({ key: 'P-7', domain: 'partner.example', … }) // 'P-7 (partner.example)'
 */
export function changeSubject(c: Pick<DiffChange, 'key' | 'domain'>): string {
  return c.key === c.domain ? c.domain : `${c.key} (${c.domain})`;
}

/**
 * What happened, in words (raw: sanitise or escape before showing).
 *
 * @example changeText({ kind: 'pass', old: true, new: false, … }) // 'pass → fail'
 */
export function changeText(c: DiffChange): string {
  switch (c.kind) {
    case 'added':
      return `new in NEW (level ${levelWord(c.level)}, ${passWord(c.pass)})`;
    case 'removed':
      return `not in NEW (was level ${levelWord(c.level)}, ${passWord(c.pass)})`;
    case 'pass':
      return `${passWord(c.old)} → ${passWord(c.new)}`;
    case 'domain':
      return `domain ${c.old} → ${c.new}`;
    case 'level':
      return `level ${levelWord(c.old)} → ${levelWord(c.new)}`;
    case 'problem-appeared':
      return `new problem ${c.code}${where(c)}: ${c.message}`;
    case 'problem-gone':
      return `problem gone: ${c.code}${where(c)}`;
    case 'certificate-replaced':
      return `${c.host}: certificate replaced (${c.old.map(short).join(', ')} → ${c.new.map(short).join(', ')})${c.notAfter !== null ? `, expires ${day(c.notAfter)}` : ''}`;
    case 'expires-soon':
      return c.daysLeft < 0
        ? `${c.host}: certificate expired on ${day(c.notAfter)} (${-c.daysLeft} days ago)`
        : `${c.host}: certificate expires on ${day(c.notAfter)}, in ${c.daysLeft} days`;
    case 'mx-added':
      return `new MX host ${c.host}`;
    case 'mx-removed':
      return `MX host ${c.host} gone`;
    case 'address-added':
      return `${c.host}: new address ${c.ip}`;
    case 'address-removed':
      return `${c.host}: address ${c.ip} gone`;
  }
}

/**
 * `mxprobe diff` as text: a heading per group (regressions first), one line per change
 * (`subject  what happened`), every string from a server or the input sanitised, then one line
 * of counts. Pure.
 */
import type { AuditDiff, DiffGroup } from '../judge/audit-diff.js';
import { changeSubject, changeText, DIFF_GROUP_HEADINGS } from './diff-words.js';
import { sanitize } from './sanitize.js';

const GROUPS: DiffGroup[] = ['regression', 'worse', 'changed', 'better'];

/**
 * The counts line: `2 regressions, 3 worse, 4 changed, 1 better; 120 rows in OLD, 121 in NEW (1 added, 0 removed)`.
 *
 * @example diffCountsLine(diff) // 'no change; 120 rows in OLD, 120 in NEW'
 */
export function diffCountsLine(diff: AuditDiff): string {
  const { counts, rows } = diff;
  const sizes = `${rows.old} rows in OLD, ${rows.new} in NEW`;
  if (diff.changes.length === 0) return `no change; ${sizes}`;
  const groups = `${counts.regression} regression${counts.regression === 1 ? '' : 's'}, ${counts.worse} worse, ${counts.changed} changed, ${counts.better} better`;
  return `${groups}; ${sizes} (${counts.added} added, ${counts.removed} removed)`;
}

/**
 * @example renderDiffText(diffAudits(old, now, { warnDays: 30 })) // 'Regressions: passed in OLD, not in NEW (1)\n  partner.example  pass → fail\n…'
 */
export function renderDiffText(diff: AuditDiff): string {
  const lines: string[] = [];
  for (const group of GROUPS) {
    const changes = diff.changes.filter((c) => c.group === group);
    if (changes.length === 0) continue;
    lines.push(`${DIFF_GROUP_HEADINGS[group]} (${changes.length})`);
    for (const c of changes) lines.push(`  ${sanitize(changeSubject(c), 200)}  ${sanitize(changeText(c), 400)}`);
  }
  lines.push(diffCountsLine(diff));
  return `${lines.join('\n')}\n`;
}

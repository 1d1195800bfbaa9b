/**
 * Several saved files as one audit (`mxprobe report FILE…`): the rows of every file in the
 * order given, checked so that nothing is counted twice and nothing is missing. An input row
 * is one batch input line with its domain (`source.line` and `input`), or one domain given as
 * an argument (no `source`): the same row in two places is an error. Rows of `--shard K/N`
 * runs must all be of one N, and every K from 1 to N must be there; an empty file given may
 * be a shard that took no row (a small input), so as many missing shards as empty files are
 * a warning, not an error. Pure.
 */
import { SavedInputError, type SavedFile, type SavedRow } from './read-saved.js';

/**
 * The rows of all the files, and the warnings to show (the files' own, and shards that may be empty).
 *
 * @example const merged: MergedRows = mergeSaved([part1, part2]); merged.rows.length
 */
export interface MergedRows {
  rows: SavedRow[];
  warnings: string[];
}

/** The identity of an input row: its batch line and input, or the domain of one given as an argument. */
const rowKey = (row: SavedRow) => (row.line !== null ? `line ${row.line}\u0000${row.input}` : `domain\u0000${row.domain}`);

/**
 * Merges saved files into one audit (see the module comment); throws SavedInputError (one
 * line) for a row held twice, shards of different N, a missing shard or a mix of sharded and
 * unsharded rows.
 *
 * @example mergeSaved([await readSaved(a, 'part-1.ndjson', budget), await readSaved(b, 'part-2.ndjson', budget)]).rows
 */
export function mergeSaved(files: readonly SavedFile[]): MergedRows {
  const warnings = files.flatMap((f) => f.warnings);
  const seen = new Map<string, SavedRow>();
  let sharded: SavedRow | null = null;
  let unsharded: SavedRow | null = null;
  const shardsSeen = new Set<number>();
  const rows: SavedRow[] = [];
  for (const file of files) {
    for (const row of file.rows) {
      const key = rowKey(row);
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        const what = row.line !== null ? `the input row of line ${row.line} (${row.input})` : `the domain ${row.domain}`;
        throw new SavedInputError(`${row.file} ${row.where}: ${what} is also in ${earlier.file} ${earlier.where}: a file given twice, or outputs of overlapping runs?`);
      }
      seen.set(key, row);
      if (row.shard === null) unsharded ??= row;
      else {
        if (sharded !== null && sharded.shard !== null && sharded.shard.count !== row.shard.count) {
          throw new SavedInputError(`${row.file} ${row.where}: a row of shard ${row.shard.index}/${row.shard.count}, where ${sharded.file} ${sharded.where} is of shard ${sharded.shard.index}/${sharded.shard.count}: the parts of one audit share N`);
        }
        sharded ??= row;
        shardsSeen.add(row.shard.index);
      }
      rows.push(row);
    }
  }
  if (sharded !== null && sharded.shard !== null) {
    if (unsharded !== null) {
      throw new SavedInputError(`${unsharded.file} ${unsharded.where}: a row of a run without --shard, where ${sharded.file} ${sharded.where} is of shard ${sharded.shard.index}/${sharded.shard.count}: give the parts of one audit only`);
    }
    const count = sharded.shard.count;
    const missing: number[] = [];
    for (let k = 1; k <= count; k++) if (!shardsSeen.has(k)) missing.push(k);
    const empty = files.filter((f) => f.rows.length === 0).length;
    const list = missing.slice(0, 5).map((k) => `${k}/${count}`).join(', ') + (missing.length > 5 ? ` and ${missing.length - 5} more` : '');
    if (missing.length > empty) throw new SavedInputError(`no row of shard ${list} in the files given: a part of the audit is missing`);
    if (missing.length > 0) warnings.push(`no row of shard ${list}: taken to be the empty file${empty === 1 ? '' : 's'} given (a shard of a small input may take no row)`);
  }
  return { rows, warnings };
}

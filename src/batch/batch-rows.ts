/**
 * A batch input's rows (batch/read-input.ts) as the rows of the run (pipeline/row.ts): only
 * those of this shard (`--shard K/N`, by the hash of the domain, or of the raw text of a row
 * that is not one), and none that an earlier output already holds (`--resume`, by input line).
 */
import type { Row } from '../pipeline/row.js';
import type { InputRow } from './read-input.js';
import { inShard, type Shard } from './shard.js';

/**
 * @example for await (const row of batchRows(input.rows, { shard: null, done: new Set() })) …
 */
export async function* batchRows(rows: AsyncIterable<InputRow>, options: { shard: Shard | null; done: ReadonlySet<number> }): AsyncGenerator<Row> {
  const { shard, done } = options;
  for await (const row of rows) {
    if (shard !== null && !inShard(row.domain ?? row.input, shard)) continue;
    if (done.has(row.line)) continue;
    yield {
      line: row.line,
      input: row.input,
      target: row.domain !== null ? { kind: 'domain', domain: row.domain } : { kind: 'invalid', error: row.error ?? 'not a domain' },
      warning: row.warning,
      required: row.required,
      columns: row.columns,
      ...(shard !== null ? { shard: { index: shard.index, count: shard.count } } : {}),
    };
  }
}

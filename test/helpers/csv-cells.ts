// A rendered CSV record split into its cells (quoted cells with commas kept whole), each
// unescaped as --resume reads it (csvCellValue): for tests that check columns of csvRow output.
import { csvCellValue } from '../../src/batch/resume.ts';

/** A CSV record's cells, unescaped. @example cells('a,"b,c"\r\n') // ['a', 'b,c'] */
export function cells(record: string): string[] {
  const raw: string[] = [];
  let cell = '';
  let quoted = false;
  for (const ch of record.replace(/\r\n$/, '')) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      raw.push(cell);
      cell = '';
    } else cell += ch;
  }
  raw.push(cell);
  return raw.map(csvCellValue);
}

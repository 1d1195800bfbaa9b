/**
 * A batch's rows in the chosen format. CSV, NDJSON, JSON and text rows are written to the
 * sink as each domain finishes (a file sink writes synchronously, so a killed run keeps
 * every finished row); JUnit needs the counts first and is written at the end.
 */
import type { DomainResult } from '../model/domain.js';
import { csvHeader, csvRow } from '../render/csv.js';
import { ndjsonRow } from '../render/ndjson.js';
import { junitReport } from '../render/junit.js';
import { domainJson } from '../render/json.js';
import { SCHEMA_VERSION } from '../model/report.js';
import type { Sink } from './sink.js';

export type BatchFormat = 'csv' | 'ndjson' | 'json' | 'junit' | 'text';

/** Formats --resume can append to: one self-contained record per line. */
export const APPENDABLE: ReadonlySet<BatchFormat> = new Set(['csv', 'ndjson']);

export interface BatchWriterOptions {
  format: BatchFormat;
  extraColumns: readonly string[];
  /** Write the format's header (false when appending to an earlier run's output). */
  header: boolean;
  /** Renders one text line per domain (loaded only for text). */
  textLine?: (result: DomainResult) => string;
}

export class BatchWriter {
  private rows = 0;
  private readonly junit: DomainResult[] = [];

  constructor(
    private readonly sink: Sink,
    private readonly options: BatchWriterOptions,
  ) {
    if (!options.header) return;
    if (options.format === 'csv') sink.write(csvHeader(options.extraColumns));
    if (options.format === 'json') sink.write(`{"schemaVersion":${SCHEMA_VERSION},"domains":[\n`);
  }

  /** Writes one result's row (JUnit: keeps it for the end). A sink that failed drops it (see Sink.failure). */
  write(result: DomainResult): void {
    const { format, extraColumns } = this.options;
    if (format === 'csv') this.sink.write(csvRow(result, extraColumns));
    else if (format === 'ndjson') this.sink.write(ndjsonRow(result));
    else if (format === 'json') this.sink.write(`${this.rows > 0 ? ',\n' : ''}${domainJson(result)}`);
    else if (format === 'text') this.sink.write(`${this.options.textLine?.(result) ?? result.domain}\n`);
    else this.junit.push(result); // JUnit: its suite element carries the counts, so it is written at the end
    this.rows += 1;
  }

  /**
   * Closes the document (JSON's brackets, JUnit's whole report), then `trailer` (the text
   * format's summary when it goes to the same place), then flushes and closes the sink.
   */
  async end(meta: { startedAt: Date; durationMs: number; trailer?: string }): Promise<void> {
    if (this.options.format === 'json') this.sink.write('\n]}\n');
    if (this.options.format === 'junit') {
      this.sink.write(junitReport(this.junit, { name: 'mxprobe', timestamp: meta.startedAt, durationMs: meta.durationMs }));
    }
    if (meta.trailer !== undefined) this.sink.write(meta.trailer);
    await this.sink.close();
  }
}

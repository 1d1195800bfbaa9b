/**
 * Writes a report to its sink through the renderer of its format, for every row source: the
 * header just before the first row (so a run that writes nothing, or fails before its first
 * result, leaves nothing half-written), each row as it comes, the footer at the end. A file
 * sink writes synchronously, so a killed run keeps every finished row. A format whose header
 * states the totals (JUnit: its counts) keeps its rendered rows until the end, and so does a
 * format in sections (OpenMetrics: each metric family whole; render/report-renderer.ts
 * KeptSections): the two buffers, documented in the README.
 */
import type { DomainResult } from '../model/domain.js';
import { KeptSections, type ReportRenderer, type ReportTotals } from '../render/report-renderer.js';
import type { Sink } from './output.js';

/** Kept rows written at once. */
const WRITE_ROWS = 1000;

/** @example const writer = new ReportWriter(sink, renderer, { header: true }); writer.write(result); await writer.end({ startedAt, durationMs: 12 }); */
export class ReportWriter {
  private rows = 0;
  private fail = 0;
  private undetermined = 0;
  private headerWritten: boolean;
  /** The rendered rows of a totals-first format (JUnit), written at the end. */
  private readonly kept: string[] = [];
  /** The rows of a sectioned format (OpenMetrics), by section, written at the end. */
  private readonly sections: KeptSections | null;

  /** `header: false` when appending to an earlier output (`--resume`): its header is there already. */
  constructor(
    private readonly sink: Sink,
    private readonly renderer: ReportRenderer,
    options: { header: boolean },
  ) {
    this.headerWritten = !options.header;
    this.sections = 'sections' in renderer ? new KeptSections(renderer) : null;
  }

  /** The rows written so far that failed or were undetermined (by each result's `pass`). */
  get counts(): { fail: number; undetermined: number } {
    return { fail: this.fail, undetermined: this.undetermined };
  }

  /** Writes one result's row (a sink that failed drops it: see Sink.failure). */
  write(result: DomainResult): void {
    if (result.pass === false) this.fail += 1;
    else if (result.pass === null) this.undetermined += 1;
    const renderer = this.renderer;
    if ('sections' in renderer) {
      this.sections?.add(result, this.rows);
      this.rows += 1;
      return;
    }
    const text = renderer.row(result, this.rows);
    this.rows += 1;
    if (renderer.totalsFirst) {
      this.kept.push(text);
      return;
    }
    if (!this.headerWritten) {
      this.headerWritten = true;
      this.sink.write(renderer.header());
    }
    this.sink.write(text);
  }

  /**
   * Ends the report (the header too, if no row came), then writes `trailer` (a batch's summary
   * when it goes to the same place as the text rows), then flushes and closes the sink.
   */
  async end(meta: { startedAt: Date; durationMs: number; trailer?: string } & Pick<ReportTotals, 'summary' | 'stopped'>): Promise<void> {
    const totals: ReportTotals = { rows: this.rows, fail: this.fail, undetermined: this.undetermined, startedAt: meta.startedAt, durationMs: meta.durationMs };
    if (meta.summary !== undefined) totals.summary = meta.summary;
    if (meta.stopped !== undefined) totals.stopped = meta.stopped;
    const renderer = this.renderer;
    if ('sections' in renderer) {
      // Each section whole, in a few large writes, and never one string of the whole report.
      for (const text of this.sections?.texts(totals, WRITE_ROWS) ?? []) this.sink.write(text);
    } else {
      if (renderer.totalsFirst) {
        this.sink.write(renderer.header(totals));
        // A few large writes rather than one per row, and never one string of the whole report.
        const rows = this.kept.splice(0);
        for (let i = 0; i < rows.length; i += WRITE_ROWS) this.sink.write(rows.slice(i, i + WRITE_ROWS).join(''));
      } else if (!this.headerWritten) {
        this.headerWritten = true;
        this.sink.write(renderer.header());
      }
      this.sink.write(renderer.footer(totals));
    }
    if (meta.trailer !== undefined) this.sink.write(meta.trailer);
    await this.sink.close();
  }

  /** A run that failed (a bug, an unreadable input): what was written stays, nothing is added; the sink is closed. */
  async abandon(): Promise<void> {
    await this.sink.close();
  }
}

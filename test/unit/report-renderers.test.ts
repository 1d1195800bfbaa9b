// Every format of the one list (render/formats.ts), in both layouts, as a pure header / row /
// footer: the same text twice from the same input, the input untouched, the whole report
// readable in its format with one record per result, transcripts only on request; and the
// one writer (cli/report-writer.ts) that streams them: the header just before the first row,
// nothing for a run that fails before one, no header when appending, JUnit's rows kept for
// its counts, OpenMetrics' kept by metric family (one record per domain: its first row).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { APPENDABLE_FORMATS, FORMATS, isAppendable, loadRenderer, type Format } from '../../src/render/formats.ts';
import { renderAll, type RenderOptions, type ReportLayout } from '../../src/render/report-renderer.ts';
import { escapeUnsafeJson, renderJson } from '../../src/render/json.ts';
import { withoutTranscripts } from '../../src/render/without-transcripts.ts';
import { ReportWriter } from '../../src/cli/report-writer.ts';
import type { Sink, SinkFailure } from '../../src/cli/output.ts';
import type { DomainResult } from '../../src/model/domain.ts';
import { everyKindOfResult, mixedResult, readAll } from '../helpers/batch.ts';
import { findAll, parseXml } from '../helpers/mini-xml.ts';
import { NOW } from '../helpers/facts.ts';
import { parseOpenMetrics } from '../helpers/openmetrics.ts';

const LAYOUTS: ReportLayout[] = ['report', 'rows'];
const TIME = { startedAt: NOW, durationMs: 1500 };

const options = (layout: ReportLayout, extra: Partial<RenderOptions> = {}): RenderOptions => ({ layout, colorLevel: 0, transcript: false, extraColumns: ['partner'], ...extra });

/** Every kind of result, one of them with a transcript and a server line holding U+2028 (a line break to JavaScript regexes, not to JSON). */
function results(): DomainResult[] {
  const all = everyKindOfResult();
  const mixed = mixedResult({ partner: 'Acme' });
  const withTranscript: DomainResult = {
    ...mixed,
    mx: mixed.mx.map((h) => ({ ...h, addresses: h.addresses.map((a) => ({ ...a, transcript: [{ dir: 'S' as const, text: 'hello\u2028there', ms: 1 }] })) })),
  };
  return [...all, withTranscript];
}

/** The records of a whole report, as a reader of its format sees them. */
async function records(format: Format, layout: ReportLayout, text: string): Promise<Array<{ domain: string; transcript: boolean }>> {
  switch (format) {
    case 'json': {
      const doc = JSON.parse(text);
      assert.deepEqual(Object.keys(doc), ['schemaVersion', 'domains']);
      return doc.domains.map((d: any) => ({ domain: d.outcome === 'invalid-input' ? d.input : d.domain, transcript: JSON.stringify(d).includes('"transcript"') }));
    }
    case 'ndjson':
      return text.split('\n').filter(Boolean).map((l) => JSON.parse(l)).map((d: any) => ({ domain: d.outcome === 'invalid-input' ? d.input : d.domain, transcript: 'transcript' in (d.mx[0]?.addresses[0] ?? {}) }));
    case 'csv': {
      const { rows } = await readAll(text);
      return rows.map((r) => ({ domain: r.input, transcript: false }));
    }
    case 'junit':
      return findAll(parseXml(text), 'testcase').map((c) => ({ domain: c.attrs.name ?? '', transcript: false }));
    case 'html':
      return [...text.matchAll(/<script type="application\/json" class="r">(.*?)<\/script>/g)].map((m) => JSON.parse(m[1] as string)).map((d: any) => ({ domain: d.outcome === 'invalid-input' ? (d.input ?? d.domain) : d.domain, transcript: false }));
    case 'openmetrics':
      // Every row has a sample of mxprobe_domain_undetermined, labelled with its domain.
      return (parseOpenMetrics(text).get('mxprobe_domain_undetermined')?.samples ?? []).map((s) => ({ domain: s.labels.domain ?? '', transcript: false }));
    case 'text': {
      const lines = text.split('\n').filter((l) => /^(PASS|FAIL|UNKNOWN) /.test(l));
      if (layout === 'rows') assert.equal(lines.length, text.split('\n').filter(Boolean).length, 'rows: one verdict line per result, nothing else');
      return lines.map((l) => ({ domain: /^\S+ (\S+):/.exec(l)?.[1] ?? '', transcript: text.includes('Transcript ') }));
    }
  }
}

test('the one list of formats: what --format accepts, which --resume can continue', () => {
  assert.deepEqual([...FORMATS], ['text', 'json', 'csv', 'ndjson', 'junit', 'html', 'openmetrics']);
  assert.deepEqual(APPENDABLE_FORMATS, ['csv', 'ndjson']);
  assert.deepEqual(FORMATS.filter(isAppendable), ['csv', 'ndjson']);
});

for (const format of FORMATS) {
  for (const layout of LAYOUTS) {
    test(`${format}, layout ${layout}: pure header / row / footer, readable whole, one record per result`, async () => {
      const input = results();
      const before = structuredClone(input);
      const renderer = await loadRenderer(format, options(layout));
      const once = renderAll(renderer, input, TIME);
      assert.equal(renderAll(renderer, input, TIME), once, 'the same text twice');
      assert.deepEqual(input, before, 'the results untouched');
      const got = await records(format, layout, once);
      const names = input.map((r) => (r.outcome === 'invalid-input' ? r.input : r.domain));
      // OpenMetrics: a series per domain, so a domain on several rows is one record (its first row).
      const want = format === 'openmetrics' ? [...new Set(names)] : names;
      assert.deepEqual(got.map((r) => r.domain), want);
      assert.ok(got.every((r) => !r.transcript), 'no transcript without --transcript');
      const empty = renderAll(renderer, [], TIME);
      assert.deepEqual(await records(format, layout, empty), [], 'an empty report is a valid one');
    });
  }
}

test('--transcript keeps the transcripts in JSON and NDJSON, in both layouts, and prints them in the text report', async () => {
  const input = results();
  for (const layout of LAYOUTS) {
    for (const format of ['json', 'ndjson'] as const) {
      const got = await records(format, layout, renderAll(await loadRenderer(format, options(layout, { transcript: true })), input, TIME));
      assert.equal(got.filter((r) => r.transcript).length, 1, `${format} ${layout}`);
    }
  }
  const text = renderAll(await loadRenderer('text', options('report', { transcript: true })), input, TIME);
  assert.match(text, /Transcript mx1\.partner\.example \[198\.51\.100\.7\]:25\n.* S: hello\\u2028there/);
});

test('JSON: the report layout is exactly the indented document, the rows layout a domain a line', async () => {
  for (const list of [[], results().slice(0, 1), results()]) {
    const report = renderAll(await loadRenderer('json', options('report')), list, TIME);
    assert.equal(report, renderJson(list, { transcript: false }));
    assert.equal(report, `${escapeUnsafeJson(JSON.stringify({ schemaVersion: 2, domains: list.map(withoutTranscripts) }, null, 2))}\n`);
  }
  const rows = renderAll(await loadRenderer('json', options('rows')), results(), TIME);
  assert.equal(rows.split('\n').length, results().length + 3, 'opening line, a line per domain, closing line, final newline');
});

/** A sink that records what it is given. */
function memorySink(): Sink & { text: string; closed: boolean } {
  const sink = {
    text: '',
    closed: false,
    failure: null as SinkFailure | null,
    write(text: string) {
      sink.text += text;
    },
    ready: () => Promise.resolve(),
    async close() {
      sink.closed = true;
    },
    onFailure() {},
  };
  return sink;
}

test('the writer: the header just before the first row; none when appending; nothing at all for a run that fails before its first row', async () => {
  const csv = await loadRenderer('csv', options('rows'));
  const fresh = memorySink();
  const writer = new ReportWriter(fresh, csv, { header: true });
  assert.equal(fresh.text, '', 'nothing before a row');
  writer.write(results()[0]!);
  assert.match(fresh.text, /^domain,level,.*\r\n.+\r\n$/);
  await writer.end(TIME);
  assert.equal(fresh.closed, true);

  const appended = memorySink();
  const again = new ReportWriter(appended, csv, { header: false });
  again.write(results()[0]!);
  await again.end(TIME);
  assert.doesNotMatch(appended.text, /^domain,/, 'appending: no second header');

  for (const format of FORMATS) {
    const failed = memorySink();
    await new ReportWriter(failed, await loadRenderer(format, options('report')), { header: true }).abandon();
    assert.deepEqual([failed.text, failed.closed], ['', true], `${format}: a run that failed writes nothing`);
    const none = memorySink();
    await new ReportWriter(none, await loadRenderer(format, options('report')), { header: true }).end(TIME);
    assert.deepEqual(await records(format, 'report', none.text), [], `${format}: no rows, still a valid report`);
  }
});

test('the writer: JUnit keeps its rendered rows until the end, then opens with the counts', async () => {
  const sink = memorySink();
  const writer = new ReportWriter(sink, await loadRenderer('junit', options('rows')), { header: true });
  const input = results();
  for (const result of input) writer.write(result);
  assert.equal(sink.text, '', 'its header needs the totals: nothing before the end');
  await writer.end(TIME);
  const suite = findAll(parseXml(sink.text), 'testsuite')[0];
  const fail = input.filter((r) => r.pass === false).length;
  const undetermined = input.filter((r) => r.pass === null).length;
  assert.deepEqual([suite?.attrs.tests, suite?.attrs.failures, suite?.attrs.errors, suite?.attrs.time], [String(input.length), String(fail), String(undetermined), '1.500']);
});

test('the writer: OpenMetrics keeps its rows by metric family until the end, each family whole, the first row of a domain only', async () => {
  const sink = memorySink();
  const renderer = await loadRenderer('openmetrics', options('rows'));
  const writer = new ReportWriter(sink, renderer, { header: true });
  const input = results();
  for (const result of input) writer.write(result);
  assert.equal(sink.text, '', 'a family is written whole: nothing before the end');
  await writer.end(TIME);
  assert.equal(sink.text, renderAll(renderer, input, TIME), 'the same text as the whole report at once');
  const families = parseOpenMetrics(sink.text);
  const rows = families.get('mxprobe_run_rows')?.samples.map((s) => [s.labels.verdict, s.value]);
  const fail = input.filter((r) => r.pass === false).length;
  const undetermined = input.filter((r) => r.pass === null).length;
  assert.deepEqual(rows, [['pass', input.length - fail - undetermined], ['fail', fail], ['undetermined', undetermined]], 'the run counts every row, a domain listed twice too');
});

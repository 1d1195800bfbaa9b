/**
 * The HTML report's charts as inline SVG, made here (no library: a few bars and a timeline do
 * not need one, and the page must stay self-contained and small). Colours and sizes are SVG
 * attributes, never `style` attributes (the page's CSP allows only its one hashed
 * stylesheet). Every label goes through htmlText(). Pure.
 */
import { htmlText } from './sanitize.js';

/** One bar. @example const bar: Bar = { label: 'verify', value: 12, colour: '#2e7d32' }; */
export interface Bar {
  label: string;
  value: number;
  /** SVG fill colour (ours, never input). */
  colour?: string;
  /** A short text after the value (e.g. "of 40"). */
  note?: string;
}

const LABEL_WIDTH = 220;
const BAR_WIDTH = 240;
const ROW = 22;

const num = (n: number) => (Number.isFinite(n) ? Number(n.toFixed(1)) : 0);

/**
 * A horizontal bar chart, a bar a row, scaled to the largest value (or to `max`).
 *
 * @example barChart('Levels', [{ label: 'verify', value: 3 }, { label: 'none', value: 1 }])
 */
export function barChart(title: string, bars: readonly Bar[], options: { max?: number } = {}): string {
  const max = Math.max(options.max ?? 0, ...bars.map((b) => b.value), 1);
  const height = bars.length * ROW + 4;
  const width = LABEL_WIDTH + BAR_WIDTH + 90;
  const rows = bars.map((b, i) => {
    const y = i * ROW + 2;
    const w = num((b.value / max) * BAR_WIDTH);
    const shown = `${b.value}${b.note === undefined ? '' : ` ${b.note}`}`;
    return (
      `<g><title>${htmlText(`${b.label}: ${shown}`)}</title>` +
      `<text x="${LABEL_WIDTH - 6}" y="${y + 15}" text-anchor="end">${htmlText(b.label, 60)}</text>` +
      `<rect x="${LABEL_WIDTH}" y="${y + 3}" width="${w}" height="${ROW - 6}" rx="2" fill="${b.colour ?? '#4a6fa5'}"/>` +
      `<text x="${num(LABEL_WIDTH + w + 6)}" y="${y + 15}">${htmlText(shown)}</text></g>`
    );
  });
  return (
    `<svg class="chart" role="img" aria-label="${htmlText(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">` +
    `${rows.join('')}</svg>`
  );
}

/** One certificate on the renewal timeline. @example const m: TimelineMark = { label: 'mx.example', daysLeft: 12, weight: 40, note: 'expires 2027-01-01, 40 domains' }; */
export interface TimelineMark {
  label: string;
  daysLeft: number;
  /** How many domains rely on it (the mark's size). */
  weight: number;
  note: string;
  /** A domain that relies on it (shown in the mark's tooltip). */
  example?: string;
}

/** The day ticks of the timeline. */
const TICKS = [0, 7, 14, 30, 60, 90];

/**
 * The renewal calendar as a timeline: a row per certificate (soonest first), its mark at its
 * days left on one axis (expired ones left of 0, at most `span` days shown; later ones at the
 * right edge with an arrow), the mark's size by the domains it serves.
 *
 * @example timeline([{ label: 'mx.example', daysLeft: 12, weight: 3, note: '3 domains' }])
 */
export function timeline(marks: readonly TimelineMark[], span = 90): string {
  // Expired certificates left of 0: at least a week of room, at most 30 days (older ones at the edge).
  const expired = marks.some((m) => m.daysLeft < 0);
  const from = expired ? Math.max(Math.min(-7, ...marks.map((m) => m.daysLeft)), -30) : 0;
  const x = (days: number) => num(LABEL_WIDTH + ((Math.min(Math.max(days, from), span) - from) / (span - from)) * BAR_WIDTH);
  const height = marks.length * ROW + 24;
  const width = LABEL_WIDTH + BAR_WIDTH + 320;
  const maxWeight = Math.max(1, ...marks.map((m) => m.weight));
  const ticks = [...(from < 0 ? [from] : []), ...TICKS].map(
    (d) =>
      `<line x1="${x(d)}" y1="0" x2="${x(d)}" y2="${height - 18}" stroke="${d === 0 ? '#b71c1c' : '#ccc'}"/>` +
      `<text x="${x(d)}" y="${height - 4}" text-anchor="middle">${d}</text>`,
  );
  const rows = marks.map((m, i) => {
    const y = i * ROW + 2;
    const r = num(4 + 5 * Math.sqrt(m.weight / maxWeight));
    const colour = m.daysLeft < 0 ? '#b71c1c' : m.daysLeft < 14 ? '#e65100' : m.daysLeft < 30 ? '#f9a825' : '#2e7d32';
    const beyond = m.daysLeft > span ? ' →' : '';
    return (
      `<g><title>${htmlText(`${m.label}: ${m.daysLeft} days left, ${m.note}${m.example === undefined ? '' : `, e.g. ${m.example}`}`)}</title>` +
      `<text x="${LABEL_WIDTH - 6}" y="${y + 15}" text-anchor="end">${htmlText(m.label, 60)}</text>` +
      `<circle cx="${x(m.daysLeft)}" cy="${y + 11}" r="${r}" fill="${colour}"/>` +
      `<text x="${LABEL_WIDTH + BAR_WIDTH + 16}" y="${y + 15}">${htmlText(`${m.daysLeft} d${beyond} · ${m.note}`)}</text></g>`
    );
  });
  return (
    `<svg class="chart" role="img" aria-label="renewal calendar" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">` +
    `${ticks.join('')}${rows.join('')}</svg>`
  );
}

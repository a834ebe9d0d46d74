/**
 * A small SVG line chart: one x axis (epochs), one y axis, a few series, a legend and an
 * optional marked epoch. Hand-written so the report needs no chart library and no
 * network; it draws only what the report needs.
 */
import { escapeHtml } from './escape.js';

export interface ChartSeries {
  name: string;
  /** One value per x; null leaves a gap. */
  values: readonly (number | null)[];
  color: string;
  /** SVG stroke-dasharray, so series differ by more than colour. */
  dash?: string;
}

export interface LineChartSpec {
  /** Read by screen readers and shown as a tooltip. */
  title: string;
  x: readonly number[];
  series: readonly ChartSeries[];
  xLabel: string;
  yLabel: string;
  /**
   * log: for values over orders of magnitude (a loss); auto: log when the first series' values are all positive and
   * span more than a factor of 20 (later series, such as a penalty that is sometimes 0, lose their zeros on a log axis).
   */
  scale?: 'linear' | 'log' | 'auto';
  /** Linear scale: keep 0 on the axis (a loss, a learning rate). */
  includeZero?: boolean;
  /** Linear scale: the axis never goes outside these bounds (scores live in [0, 1]). */
  bounds?: readonly [number, number];
  /** Tick labels, given the tick step: e.g. fractions as percentages. */
  format?: (value: number, step: number) => string;
  /** A point's value in its tooltip. */
  valueFormat?: (value: number) => string;
  /** A vertical line at this x (the best epoch). */
  marker?: { x: number; label: string };
}

const WIDTH = 600;
const HEIGHT = 330;
const MARGIN = { left: 72, right: 24, top: 44, bottom: 52 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;
/** Past this many points markers would overlap: the line alone says enough. */
const MAX_MARKED_POINTS = 60;

/** 1, 2 or 5 × 10^k: the tick step closest above `rough`. */
export function niceStep(rough: number): number {
  if (!(rough > 0) || !Number.isFinite(rough)) return 1;
  const power = 10 ** Math.floor(Math.log10(rough));
  const f = rough / power;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
}

/** A tick label with as many decimals as the step needs, and no float noise (0.30000000000000004). */
export function formatTick(value: number, step: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs < 1e-3 || abs >= 1e6) return value.toExponential(1).replace('.0e', 'e');
  const decimals = Math.max(0, Math.min(8, -Math.floor(Math.log10(step) + 1e-9)));
  return value.toFixed(decimals);
}

interface Axis {
  lo: number;
  hi: number;
  ticks: number[];
  step: number;
  log: boolean;
}

function linearAxis(values: readonly number[], includeZero: boolean, bounds: readonly [number, number] | undefined): Axis {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (includeZero) {
    lo = Math.min(lo, 0);
    hi = Math.max(hi, 0);
  }
  if (lo === hi) {
    // One value (one epoch, or a constant learning rate): give the line room around it.
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.5;
    lo = includeZero && lo >= 0 ? 0 : lo - pad;
    hi += pad;
  }
  let step = niceStep((hi - lo) / 5);
  lo = Math.floor(lo / step + 1e-9) * step;
  // A maximum exactly on a tick would draw its line along the frame: leave a step above it.
  hi = (Math.floor(hi / step + 1e-9) + 1) * step;
  if (bounds) {
    lo = Math.max(lo, bounds[0]);
    hi = Math.min(hi, bounds[1]);
    step = niceStep((hi - lo) / 5);
  }
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return { lo, hi, ticks, step, log: false };
}

function logAxis(values: readonly number[]): Axis {
  const positive = values.filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...positive)));
  let hi = 10 ** Math.ceil(Math.log10(Math.max(...positive)));
  if (hi <= lo) hi = lo * 10;
  const decades = Math.round(Math.log10(hi / lo));
  const multiples = decades <= 2 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let d = 0; d <= decades; d++) {
    for (const m of multiples) {
      const t = Number((lo * 10 ** d * m).toPrecision(12));
      if (t <= hi * (1 + 1e-9)) ticks.push(t);
    }
  }
  return { lo, hi, ticks, step: 0, log: true };
}

function chooseScale(spec: LineChartSpec, values: readonly number[]): 'linear' | 'log' {
  const scale = spec.scale ?? 'linear';
  if (scale !== 'auto') return scale === 'log' && values.some((v) => v > 0) ? 'log' : 'linear';
  const main = spec.series[0].values.filter((v): v is number => v !== null && Number.isFinite(v));
  const positive = main.length > 0 && main.every((v) => v > 0);
  return positive && Math.max(...main) / Math.min(...main) > 20 ? 'log' : 'linear';
}

/** x positions: epochs 1..n across the plot; a single epoch sits in the middle. */
function xAxis(x: readonly number[]): { lo: number; hi: number; ticks: number[] } {
  const lo = Math.min(...x);
  const hi = Math.max(...x);
  if (lo === hi) return { lo: lo - 1, hi: hi + 1, ticks: [lo] };
  const step = Math.max(1, Math.round(niceStep((hi - lo) / 10)));
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) ticks.push(t);
  if (ticks[0] !== lo) ticks.unshift(lo);
  return { lo, hi, ticks };
}

const r = (v: number): string => String(Math.round(v * 10) / 10);

/** The chart as an inline <svg> element. */
export function lineChart(spec: LineChartSpec): string {
  const all = spec.series.flatMap((s) => s.values).filter((v): v is number => v !== null && Number.isFinite(v));
  if (all.length === 0 || spec.x.length === 0) return `<p class="note">${escapeHtml(spec.title)}: nothing to draw.</p>`;
  const log = chooseScale(spec, all) === 'log';
  const y = log ? logAxis(all) : linearAxis(all, spec.includeZero ?? false, spec.bounds);
  const xa = xAxis(spec.x);
  const format = spec.format ?? formatTick;
  const valueFormat = spec.valueFormat ?? ((v: number) => String(Number(v.toPrecision(4))));

  const px = (v: number): number => MARGIN.left + ((v - xa.lo) / (xa.hi - xa.lo)) * PLOT_W;
  const yFrac = (v: number): number => (log ? Math.log10(v / y.lo) / Math.log10(y.hi / y.lo) : (v - y.lo) / (y.hi - y.lo));
  const py = (v: number): number => MARGIN.top + PLOT_H - yFrac(v) * PLOT_H;
  const drawable = (v: number | null): v is number => v !== null && Number.isFinite(v) && (!log || v > 0);

  const parts: string[] = [];
  parts.push(
    `<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeHtml(spec.title)}" xmlns="http://www.w3.org/2000/svg">`,
    `<title>${escapeHtml(spec.title)}</title>`,
  );
  // Grid and y ticks.
  for (const t of y.ticks) {
    const yy = r(py(t));
    parts.push(`<line class="grid" x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_W}" y1="${yy}" y2="${yy}"/>`);
    parts.push(`<text class="tick" x="${MARGIN.left - 8}" y="${yy}" text-anchor="end" dominant-baseline="middle">${escapeHtml(log ? formatTick(t, t) : format(t, y.step))}</text>`);
  }
  for (const t of xa.ticks) {
    const xx = r(px(t));
    parts.push(`<line class="tickmark" x1="${xx}" x2="${xx}" y1="${MARGIN.top + PLOT_H}" y2="${MARGIN.top + PLOT_H + 5}"/>`);
    parts.push(`<text class="tick" x="${xx}" y="${MARGIN.top + PLOT_H + 18}" text-anchor="middle">${t}</text>`);
  }
  // Axes and their labels.
  parts.push(`<line class="axis" x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + PLOT_H}"/>`);
  parts.push(`<line class="axis" x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_W}" y1="${MARGIN.top + PLOT_H}" y2="${MARGIN.top + PLOT_H}"/>`);
  parts.push(`<text class="axis-label" x="${MARGIN.left + PLOT_W / 2}" y="${HEIGHT - 10}" text-anchor="middle">${escapeHtml(spec.xLabel)}</text>`);
  const yLabel = log ? `${spec.yLabel} (log scale)` : spec.yLabel;
  parts.push(`<text class="axis-label" transform="translate(16 ${MARGIN.top + PLOT_H / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(yLabel)}</text>`);

  if (spec.marker && spec.marker.x >= xa.lo && spec.marker.x <= xa.hi) {
    const xx = r(px(spec.marker.x));
    parts.push(`<line class="marker" x1="${xx}" x2="${xx}" y1="${MARGIN.top}" y2="${MARGIN.top + PLOT_H}"/>`);
    parts.push(`<text class="marker-label" x="${xx}" y="${MARGIN.top - 4}" text-anchor="middle">${escapeHtml(spec.marker.label)}</text>`);
  }

  // Series: a path broken at gaps, and a dot per point so one epoch still shows.
  const marked = spec.x.length <= MAX_MARKED_POINTS;
  for (const s of spec.series) {
    let d = '';
    let pen = false;
    const dots: string[] = [];
    s.values.forEach((v, i) => {
      if (!drawable(v) || i >= spec.x.length) {
        pen = false;
        return;
      }
      const [xx, yy] = [r(px(spec.x[i])), r(py(v))];
      d += `${pen ? 'L' : 'M'}${xx} ${yy}`;
      pen = true;
      if (marked) dots.push(`<circle cx="${xx}" cy="${yy}" r="3" fill="${s.color}"><title>${escapeHtml(`${s.name}, ${spec.xLabel} ${spec.x[i]}: ${valueFormat(v)}`)}</title></circle>`);
    });
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
    if (d !== '') parts.push(`<path class="series" d="${d}" stroke="${s.color}"${dash}/>`);
    parts.push(...dots);
  }

  // Legend along the top, left to right.
  let lx = MARGIN.left;
  for (const s of spec.series) {
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
    parts.push(`<line class="legend-line" x1="${lx}" x2="${lx + 26}" y1="14" y2="14" stroke="${s.color}"${dash}/>`);
    parts.push(`<text class="legend" x="${lx + 32}" y="14" dominant-baseline="middle">${escapeHtml(s.name)}</text>`);
    lx += 32 + 7.5 * s.name.length + 22;
  }
  parts.push('</svg>');
  return parts.join('');
}

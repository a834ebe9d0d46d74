/**
 * The report page: one HTML string with its styles and SVG charts inline. It has no
 * scripts and loads nothing (its Content-Security-Policy forbids it), so it opens the
 * same from a laptop, an archive or a mail attachment years later.
 */
import { stringify } from 'yaml';
import type { DetectorEvaluateResult, EvaluateResult } from '../api/evaluate.js';
import { escapeHtml } from './escape.js';
import { confusionHeatmap } from './heatmap.js';
import { formatTick, lineChart, type ChartSeries } from './line-chart.js';
import { bestEpoch, type MetricsLine } from './metrics-file.js';
import { epochTable, pct, perTypeTable } from './tables.js';

/** What the best epoch's checkpoint scored on the dev file now, or why it could not be scored. */
export type BestEvaluation =
  | { kind: 'tagger'; devPath: string; result: EvaluateResult }
  | { kind: 'detector'; devPath: string; result: DetectorEvaluateResult }
  | { kind: 'none'; reason: string };

export interface ReportData {
  /** The run folder as the user named it. */
  runDir: string;
  metrics: readonly MetricsLine[];
  task: 'tagger' | 'entity-detector' | null;
  /** The resolved config the run was trained with (from model-best/meta.json), or null when unreadable. */
  config: unknown;
  /** Where the config came from, e.g. `runs/x/model-best/meta.json`. */
  configSource: string | null;
  evaluation: BestEvaluation;
  /** Things the reader should know: a missing checkpoint, a dev file that changed… */
  notes: readonly string[];
  version: string;
}

/** Okabe–Ito colours: distinguishable with the common colour-vision deficiencies. */
const COLORS = { blue: '#0072B2', orange: '#E69F00', green: '#009E73', vermilion: '#D55E00', purple: '#CC79A7', grey: '#555555' };

const percentTick = (v: number, step: number): string => formatTick(100 * v, 100 * step);
const percentValue = (v: number): string => `${(100 * v).toFixed(2)} %`;

const STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", "Liberation Sans", Arial, sans-serif; margin: 0; color: #1b1f24; background: #f6f7f9; font-size: 15px; line-height: 1.45; }
main { max-width: 1260px; margin: 0 auto; padding: 24px 28px 40px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 10px; border-bottom: 1px solid #d9dde3; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 0 0 6px; }
.sub { color: #57606a; margin: 0 0 16px; word-break: break-all; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, monospace; font-size: 13px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.card { background: #fff; border: 1px solid #d9dde3; border-radius: 8px; padding: 10px 16px; min-width: 120px; }
.card .k { color: #57606a; font-size: 13px; }
.card .v { font-size: 22px; font-weight: 600; }
.notes { background: #fff8e6; border: 1px solid #e9c46a; border-radius: 8px; padding: 8px 16px; margin: 12px 0; }
.notes li { margin: 4px 0; }
.note { color: #57606a; font-style: italic; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 16px; align-items: start; }
.flow { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.flow > .panel { flex: 0 1 auto; max-width: 100%; }
.scroll { max-height: 330px; overflow-y: auto; }
.panel { background: #fff; border: 1px solid #d9dde3; border-radius: 8px; padding: 14px 16px; overflow-x: auto; }
svg.chart { width: 100%; height: auto; max-width: 600px; display: block; font-size: 13px; }
svg .grid { stroke: #e3e6ea; stroke-width: 1; }
svg .axis, svg .tickmark { stroke: #6e7781; stroke-width: 1; }
svg .tick { fill: #57606a; font-size: 12px; }
svg .axis-label { fill: #1b1f24; font-size: 13px; }
svg .legend { fill: #1b1f24; font-size: 13px; }
svg .legend-line, svg .series { fill: none; stroke-width: 2.2; stroke-linejoin: round; stroke-linecap: round; }
svg .marker { stroke: #8c959f; stroke-width: 1.2; stroke-dasharray: 4 4; }
svg .marker-label { fill: #57606a; font-size: 12px; }
table { border-collapse: collapse; }
th, td { padding: 4px 10px; }
thead th { text-align: right; font-weight: 600; border-bottom: 1px solid #d0d7de; white-space: nowrap; }
thead th:first-child { text-align: left; }
tbody th { text-align: left; font-weight: 600; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.scores td.num { min-width: 90px; }
table.scores tr.overall th, table.scores tr.overall td { border-top: 1px solid #d0d7de; font-weight: 600; }
table.epochs { font-size: 13px; }
table.epochs th, table.epochs td { padding: 3px 7px; }
table.epochs tbody tr:nth-child(odd) { background: #f6f8fa; }
table.epochs tr.best td { font-weight: 600; }
table.heatmap { font-variant-numeric: tabular-nums; }
table.heatmap td.cell { text-align: right; min-width: 58px; border: 1px solid #fff; }
table.heatmap td.zero { color: #b8bec6; }
table.heatmap td.total { text-align: right; color: #57606a; }
table.heatmap th.pred { text-align: right; }
table.heatmap th.corner { text-align: left; font-weight: 400; color: #57606a; font-size: 13px; }
.legend-swatches { color: #57606a; font-size: 13px; margin-top: 8px; }
.swatch { display: inline-block; width: 12px; height: 12px; vertical-align: -1px; margin: 0 4px 0 10px; border-radius: 2px; }
pre.config { background: #fff; border: 1px solid #d9dde3; border-radius: 8px; padding: 12px 16px; overflow-x: auto; max-height: none; }
.scroll thead th { position: sticky; top: 0; background: #fff; }
footer { margin-top: 32px; color: #57606a; font-size: 13px; }
`;

function card(label: string, value: string): string {
  return `<div class="card"><div class="k">${escapeHtml(label)}</div><div class="v">${escapeHtml(value)}</div></div>`;
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m} min ${Math.round(seconds - 60 * m)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

function hasDev(metrics: readonly MetricsLine[]): boolean {
  return metrics.some((m) => m.dev_f1 !== null);
}

function summaryCards(data: ReportData): string {
  const { metrics } = data;
  const last = metrics[metrics.length - 1];
  const best = bestEpoch(metrics);
  const cards = [card('epochs', String(last.epoch))];
  if (hasDev(metrics) && best) {
    cards.push(card('best epoch', String(best.epoch)), card(data.task === 'entity-detector' ? 'best dev entity-word F1' : 'best dev F1', `${pct(best.dev_f1)} %`));
    if (best.dev_precision !== null && best.dev_recall !== null) cards.push(card('its precision / recall', `${pct(best.dev_precision)} / ${pct(best.dev_recall)}`));
  } else {
    cards.push(card('dev data', 'none'));
  }
  cards.push(card('final loss', String(Number(last.loss.toPrecision(3)))));
  if (last.elapsed_s !== null) cards.push(card('training time', formatSeconds(last.elapsed_s)));
  const speeds = metrics.map((m) => m.tokens_per_s).filter((v): v is number => v !== null);
  if (speeds.length > 0) cards.push(card('mean tokens/s', Math.round(speeds.reduce((a, b) => a + b, 0) / speeds.length).toLocaleString('en-US')));
  return `<div class="cards">${cards.join('')}</div>`;
}

function curves(data: ReportData): string {
  const { metrics } = data;
  const x = metrics.map((m) => m.epoch);
  const best = bestEpoch(metrics);
  const marker = best && hasDev(metrics) ? { x: best.epoch, label: `best (${best.epoch})` } : undefined;
  const lossSeries: ChartSeries[] = [{ name: 'training loss', values: metrics.map((m) => m.loss), color: COLORS.blue }];
  if (metrics.some((m) => m.penalty !== null && m.penalty > 0)) {
    lossSeries.push({ name: 'of which weight penalty', values: metrics.map((m) => m.penalty), color: COLORS.orange, dash: '6 4' });
  }
  const loss = lineChart({ title: 'training loss per epoch', x, series: lossSeries, xLabel: 'epoch', yLabel: 'mean loss per window', scale: 'auto', includeZero: true, ...(marker ? { marker } : {}) });

  let dev: string;
  if (hasDev(metrics)) {
    const detector = data.task === 'entity-detector';
    const series: ChartSeries[] = [
      { name: 'precision', values: metrics.map((m) => m.dev_precision), color: COLORS.blue, dash: '2 4' },
      { name: 'recall', values: metrics.map((m) => m.dev_recall), color: COLORS.orange, dash: '7 4' },
      { name: 'F1', values: metrics.map((m) => m.dev_f1), color: COLORS.green },
    ];
    if (detector && metrics.some((m) => m.dev_ranking_accuracy !== null)) {
      series.push({ name: 'ranking accuracy', values: metrics.map((m) => m.dev_ranking_accuracy), color: COLORS.purple, dash: '1 3' });
    }
    dev = lineChart({
      title: detector ? 'dev entity-word precision, recall and F1 per epoch' : 'dev entity precision, recall and F1 per epoch',
      x,
      series,
      xLabel: 'epoch',
      yLabel: detector ? 'dev entity-word score (%)' : 'dev entity score (%)',
      bounds: [0, 1],
      format: percentTick,
      valueFormat: percentValue,
      ...(marker ? { marker } : {}),
    });
  } else {
    dev = '<p class="note">No dev data: the run was trained with <code>data.dev: null</code>, so there are no dev scores per epoch and model-best is the last epoch.</p>';
  }
  const lr = lineChart({ title: 'learning rate per epoch', x, series: [{ name: 'learning rate (last step of the epoch)', values: metrics.map((m) => m.lr), color: COLORS.vermilion }], xLabel: 'epoch', yLabel: 'learning rate', includeZero: true });
  return (
    '<div class="grid">' +
    `<div class="panel"><h3>Training loss</h3>${loss}</div>` +
    `<div class="panel"><h3>Dev precision, recall and F1</h3>${dev}</div>` +
    `<div class="panel"><h3>Learning rate</h3>${lr}</div>` +
    `<div class="panel"><h3>Every epoch</h3><div class="scroll">${epochTable(metrics, hasDev(metrics))}</div>` +
    `<p class="note">P, R, F1: dev ${data.task === 'entity-detector' ? 'entity-word' : 'entity'} scores; acc.: dev token accuracy; s: seconds for the epoch (training and scoring dev)${hasDev(metrics) ? '; ★: a new best dev F1' : ''}.</p></div>` +
    '</div>'
  );
}

function bestSection(data: ReportData): string {
  const e = data.evaluation;
  const best = bestEpoch(data.metrics);
  const heading = `<h2>Best epoch${best && hasDev(data.metrics) ? ` (${best.epoch})` : ''} on the dev data</h2>`;
  if (e.kind === 'none') return `${heading}<p class="note">${escapeHtml(e.reason)}</p>`;
  const how = e.kind === 'tagger' ? 'entity scores by conlleval\'s rules' : 'entity words at the threshold chosen on dev in training';
  const source = `<p class="sub">model-best scored on <code>${escapeHtml(e.devPath)}</code> now (${how}).</p>`;
  if (e.kind === 'detector') {
    const r = e.result;
    return (
      heading +
      source +
      '<div class="panel"><table class="scores"><tbody>' +
      `<tr><th scope="row">ranking accuracy</th><td class="num">${pct(r.ranking_accuracy)}</td></tr>` +
      `<tr><th scope="row">entity-word precision at threshold ${escapeHtml(r.threshold.toPrecision(4))}</th><td class="num">${pct(r.precision)}</td></tr>` +
      `<tr><th scope="row">entity-word recall</th><td class="num">${pct(r.recall)}</td></tr>` +
      `<tr><th scope="row">entity-word F1</th><td class="num">${pct(r.f1)}</td></tr>` +
      '</tbody></table><p class="note">An entity detector scores words, not labels: there is no per-type table or confusion matrix.</p></div>'
    );
  }
  const r = e.result;
  const table = perTypeTable(r.per_type, { precision: r.precision, recall: r.recall, f1: r.f1, support: r.gold_entities });
  const key =
    '<p class="legend-swatches">Rows: gold tag; columns: predicted tag; numbers: tokens. Shading: share of the gold row' +
    `<span class="swatch" style="background:rgba(0,114,178,0.9)"></span>correct` +
    `<span class="swatch" style="background:rgba(213,94,0,0.6)"></span>confused</p>`;
  return (
    heading +
    source +
    '<div class="flow">' +
    `<div class="panel"><h3>Entity precision, recall and F1 per type</h3>${table}` +
    `<p class="note">Token accuracy ${pct(r.accuracy)} %, ${r.sentences} sentences, ${r.tokens} tokens; ${escapeHtml(r.decode)} decoding, ${escapeHtml(r.scheme.toUpperCase())}.</p></div>` +
    `<div class="panel"><h3>Token confusion matrix (tag level)</h3>${confusionHeatmap(r.confusion)}${key}</div>` +
    '</div>'
  );
}

function configSection(data: ReportData): string {
  if (data.config === null || data.config === undefined) return '<h2>Resolved config</h2><p class="note">Not available: no readable checkpoint meta.json in the run folder.</p>';
  const yaml = stringify(data.config, { lineWidth: 0 });
  const source = data.configSource ? `<p class="sub">from <code>${escapeHtml(data.configSource)}</code>, every default filled in</p>` : '';
  return `<h2>Resolved config</h2>${source}<pre class="config">${escapeHtml(yaml)}</pre>`;
}

export function renderReport(data: ReportData): string {
  const title = `ner-train report: ${data.runDir}`;
  const notes = data.notes.length > 0 ? `<ul class="notes">${data.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>Training report</h1>
<p class="sub">run folder <code>${escapeHtml(data.runDir)}</code>${data.task ? ` · ${escapeHtml(data.task)}` : ''}</p>
${summaryCards(data)}
${notes}
<h2>Per epoch</h2>
${curves(data)}
${bestSection(data)}
${configSection(data)}
<footer>Written by ner-train ${escapeHtml(data.version)} from the run folder's metrics.jsonl and model-best. Self-contained: no scripts, nothing loaded from elsewhere.</footer>
</main>
</body>
</html>
`;
}

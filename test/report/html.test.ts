import { describe, expect, it } from 'vitest';
import type { EvaluateResult } from '../../src/api/evaluate.js';
import { escapeHtml } from '../../src/report/escape.js';
import { cellAlpha, confusionHeatmap } from '../../src/report/heatmap.js';
import { renderReport, type ReportData } from '../../src/report/html.js';
import { formatTick, lineChart, niceStep } from '../../src/report/line-chart.js';
import type { MetricsLine } from '../../src/report/metrics-file.js';

function epoch(n: number, fields: Partial<MetricsLine> = {}): MetricsLine {
  return {
    epoch: n, loss: 1 / n, lr: 0.05, penalty: null, dev_precision: 0.8 + n / 100, dev_recall: 0.7 + n / 100, dev_f1: 0.75 + n / 100, dev_accuracy: 0.95,
    dev_ranking_accuracy: null, best: true, tokens_per_s: 1000, epoch_s: 1, elapsed_s: n, ...fields,
  };
}

const evaluation = (labels: string[], types: string[]): EvaluateResult => ({
  task: 'tagger', decode: 'greedy', scheme: 'iob2', precision: 0.9, recall: 0.8, f1: 0.847, accuracy: 0.97, tokens: 100, sentences: 5,
  gold_entities: 10, predicted_entities: 9, correct_entities: 8,
  per_type: Object.fromEntries(types.map((t) => [t, { precision: 0.9, recall: 0.8, f1: 0.847, support: 5 }])),
  confusion: { labels, matrix: labels.map((_, g) => labels.map((__, p) => (g === p ? 10 : 1))) },
  oov: { in_vocabulary: { precision: 1, recall: 1, f1: 1, gold_entities: 0, predicted_entities: 0, correct_entities: 0 }, out_of_vocabulary: { precision: 1, recall: 1, f1: 1, gold_entities: 0, predicted_entities: 0, correct_entities: 0 } },
});

function data(fields: Partial<ReportData> = {}): ReportData {
  return {
    runDir: 'runs/x', metrics: [epoch(1), epoch(2), epoch(3, { best: false })], task: 'tagger', config: { seed: 1, data: { train: 't.txt', dev: 'd.txt' } },
    configSource: 'runs/x/model-best/meta.json', evaluation: { kind: 'tagger', devPath: 'd.txt', result: evaluation(['O', 'B-LOC'], ['LOC']) }, notes: [], version: '0.0.0', ...fields,
  };
}

/** Every element that could load something from elsewhere. */
const EXTERNAL = /<script\b|<link\b|<img\b|<iframe\b|\b(?:src|href)\s*=\s*["']?(?:https?:)?\/\/|url\(\s*["']?(?:https?:)?\/\/|@import/i;

describe('chart arithmetic', () => {
  it('tick steps are 1, 2 or 5 times a power of ten', () => {
    expect([0.7, 1, 1.5, 3, 7, 0.013, 450].map(niceStep)).toEqual([1, 1, 2, 5, 10, 0.02, 500]);
    expect(niceStep(0)).toBe(1);
  });

  it('tick labels carry the step\'s decimals and no float noise', () => {
    expect(formatTick(0.30000000000000004, 0.1)).toBe('0.3');
    expect(formatTick(94.5, 0.5)).toBe('94.5');
    expect(formatTick(0.05, 0.01)).toBe('0.05');
    expect(formatTick(0.0002, 0.0001)).toBe('2e-4');
    expect(formatTick(0, 5)).toBe('0');
  });
});

describe('lineChart', () => {
  const base = { title: 't', xLabel: 'epoch', yLabel: 'loss' };

  it('draws one epoch as a point, with its axis labels and legend', () => {
    const svg = lineChart({ ...base, x: [1], series: [{ name: 'training loss', values: [0.4], color: '#000' }] });
    expect(svg.match(/<circle /g)?.length).toBe(1);
    expect(svg).toContain('>training loss</text>');
    expect(svg).toContain('>epoch</text>');
    expect(svg).toContain('>loss</text>');
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it('equal values (a constant learning rate) get an axis with room, not a zero-height one', () => {
    const svg = lineChart({ ...base, x: [1, 2, 3], includeZero: true, series: [{ name: 'lr', values: [0.05, 0.05, 0.05], color: '#000' }] });
    expect(svg).not.toMatch(/NaN|Infinity/);
    const ys = [...svg.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(new Set(ys).size).toBe(1);
    // Not on the top edge of the plot (y = 44) nor on the axis.
    expect(ys[0]).toBeGreaterThan(50);
  });

  it('a loss over orders of magnitude gets a log axis, which skips zeros', () => {
    const svg = lineChart({ ...base, scale: 'auto', x: [1, 2, 3], series: [{ name: 'loss', values: [2, 0.01, 0.001], color: '#000' }, { name: 'penalty', values: [0, 0, 0], color: '#111' }] });
    expect(svg).toContain('loss (log scale)');
    expect(svg.match(/<circle /g)?.length).toBe(3);
    const flat = lineChart({ ...base, scale: 'auto', x: [1, 2], series: [{ name: 'loss', values: [0.2, 0.1], color: '#000' }] });
    expect(flat).not.toContain('log scale');
  });

  it('higher values are drawn higher, and a null leaves a gap', () => {
    const svg = lineChart({ ...base, x: [1, 2, 3, 4], series: [{ name: 'F1', values: [0.5, null, 0.9, 0.7], color: '#000' }] });
    const ys = [...svg.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(ys.length).toBe(3);
    expect(ys[1]).toBeLessThan(ys[2]);
    expect(ys[2]).toBeLessThan(ys[0]);
    expect(svg.match(/M/g)?.length).toBe(2);
  });
});

describe('confusion heat map', () => {
  it('shades by share of the gold row and escapes labels', () => {
    expect(cellAlpha(0, 10)).toBe(0);
    expect(cellAlpha(10, 10)).toBe(1);
    expect(cellAlpha(1, 10000)).toBe(0.08);
    const html = confusionHeatmap({ labels: ['O', 'B-<X>&'], matrix: [[9, 1], [0, 4]] });
    expect(html).toContain('B-&lt;X&gt;&amp;');
    expect(html).not.toContain('<X>');
    expect(html).toMatch(/title="gold O, predicted B-&lt;X&gt;&amp;: 1 tokens \(10\.0% of gold O\)"/);
    expect(html).toContain('>90.0%</td>');
  });
});

describe('renderReport', () => {
  it('is one self-contained page: no scripts, no links, nothing fetched', () => {
    const html = renderReport(data());
    expect(html).not.toMatch(EXTERNAL);
    expect(html).toContain("Content-Security-Policy\" content=\"default-src 'none'");
    expect(html.match(/<svg /g)?.length).toBe(3);
    expect(html).toContain('Token confusion matrix');
    expect(html).toContain('seed: 1');
  });

  it('escapes every piece of text it was given', () => {
    const evil = '<script>alert(1)</script>&';
    const html = renderReport(
      data({ runDir: `runs/${evil}`, notes: [evil], config: { data: { train: evil, dev: null } }, configSource: evil, evaluation: { kind: 'tagger', devPath: evil, result: evaluation(['O', `B-${evil}`], [evil]) } }),
    );
    expect(html).not.toContain('<script');
    expect(html).toContain(escapeHtml(evil));
  });

  it('says so when there is no dev data', () => {
    const metrics = [epoch(1, { dev_precision: null, dev_recall: null, dev_f1: null, dev_accuracy: null }), epoch(2, { dev_precision: null, dev_recall: null, dev_f1: null, dev_accuracy: null })];
    const html = renderReport(data({ metrics, evaluation: { kind: 'none', reason: 'No dev data: nothing to score.' } }));
    expect(html).toContain('No dev data: the run was trained with <code>data.dev: null</code>');
    expect(html).toContain('No dev data: nothing to score.');
    expect(html.match(/<svg /g)?.length).toBe(2);
    expect(html).not.toContain('★');
  });

  it('works with a single epoch and without a config', () => {
    const html = renderReport(data({ metrics: [epoch(1)], config: null, configSource: null }));
    expect(html.match(/<svg /g)?.length).toBe(3);
    expect(html).toContain('Not available: no readable checkpoint meta.json');
    expect(html).not.toMatch(/NaN|Infinity|undefined/);
  });
});

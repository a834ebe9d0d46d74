/** The report's plain tables: per-type scores of the best epoch, and every epoch's line. */
import type { TypeScore } from '../eval/metrics.js';
import { escapeHtml } from './escape.js';
import type { MetricsLine } from './metrics-file.js';

export const pct = (value: number | null): string => (value === null ? '–' : (100 * value).toFixed(2));

function scoreCell(value: number): string {
  return `<td class="num">${pct(value)}</td>`;
}

export function perTypeTable(perType: Record<string, TypeScore>, overall: { precision: number; recall: number; f1: number; support: number }): string {
  const row = (name: string, s: { precision: number; recall: number; f1: number; support: number }, cls = ''): string =>
    `<tr${cls}><th scope="row">${escapeHtml(name)}</th>${scoreCell(s.precision)}${scoreCell(s.recall)}${scoreCell(s.f1)}<td class="num">${s.support}</td></tr>`;
  const rows = Object.entries(perType).map(([type, s]) => row(type, s));
  rows.push(row('overall', overall, ' class="overall"'));
  return (
    '<table class="scores"><thead><tr><th scope="col">type</th><th scope="col">precision %</th><th scope="col">recall %</th><th scope="col">F1 %</th><th scope="col">support</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table>`
  );
}

const num = (value: number | null, digits: number): string => (value === null ? '–' : value.toFixed(digits));
const lr = (value: number): string => (value !== 0 && (Math.abs(value) < 1e-3 || Math.abs(value) >= 1e4) ? value.toExponential(2) : String(Number(value.toPrecision(4))));

/** `markBest`: star the epochs that improved dev F1 (without dev data every epoch is "best", which says nothing). */
export function epochTable(lines: readonly MetricsLine[], markBest: boolean): string {
  const rows = lines.map(
    (m) =>
      `<tr${markBest && m.best ? ' class="best"' : ''}><td class="num">${m.epoch}${markBest && m.best ? ' ★' : ''}</td><td class="num">${num(m.loss, 4)}</td><td class="num">${lr(m.lr)}</td>` +
      `<td class="num">${pct(m.dev_precision)}</td><td class="num">${pct(m.dev_recall)}</td><td class="num">${pct(m.dev_f1)}</td><td class="num">${pct(m.dev_accuracy)}</td>` +
      `<td class="num">${m.tokens_per_s === null ? '–' : Math.round(m.tokens_per_s).toLocaleString('en-US')}</td><td class="num">${m.epoch_s === null ? '–' : m.epoch_s.toFixed(m.epoch_s < 10 ? 2 : 1)}</td></tr>`,
  );
  return (
    '<table class="epochs"><thead><tr><th scope="col">epoch</th><th scope="col">loss</th><th scope="col">lr</th><th scope="col">P %</th><th scope="col">R %</th><th scope="col">F1 %</th><th scope="col">acc. %</th><th scope="col">tokens/s</th><th scope="col">s</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table>`
  );
}

/**
 * The token confusion matrix as an HTML table whose cells are shaded by the share of
 * their gold row: O dominates every corpus, so raw counts would leave every other cell
 * pale. Correct cells (the diagonal) are blue, confusions orange-red; the number in each
 * cell is the token count.
 */
import type { ConfusionMatrix } from '../eval/confusion.js';
import { escapeHtml } from './escape.js';

const CORRECT = [0, 114, 178] as const;
const WRONG = [213, 94, 0] as const;

/** Cell shading: the square root lifts the small shares errors usually have into view. */
export function cellAlpha(count: number, rowTotal: number): number {
  if (count === 0 || rowTotal === 0) return 0;
  return Math.max(0.08, Math.sqrt(count / rowTotal));
}

function percent(share: number): string {
  return `${(100 * share).toFixed(share < 0.001 && share > 0 ? 2 : 1)}%`;
}

export function confusionHeatmap(confusion: ConfusionMatrix): string {
  const { labels, matrix } = confusion;
  if (labels.length === 0) return '<p class="note">The dev file has no tokens: no confusion matrix.</p>';
  const rowTotals = matrix.map((row) => row.reduce((a, b) => a + b, 0));
  const head = labels.map((l) => `<th scope="col" class="pred">${escapeHtml(l)}</th>`).join('');
  const rows = labels.map((gold, g) => {
    const cells = matrix[g].map((count, p) => {
      const alpha = cellAlpha(count, rowTotals[g]);
      const [cr, cg, cb] = g === p ? CORRECT : WRONG;
      const style = alpha > 0 ? ` style="background:rgba(${cr},${cg},${cb},${alpha.toFixed(3)})${alpha > 0.6 ? ';color:#fff' : ''}"` : '';
      const share = rowTotals[g] > 0 ? count / rowTotals[g] : 0;
      const tip = `gold ${gold}, predicted ${labels[p]}: ${count} tokens (${percent(share)} of gold ${gold})`;
      const cls = g === p ? 'cell diag' : count === 0 ? 'cell zero' : 'cell';
      return `<td class="${cls}"${style} title="${escapeHtml(tip)}">${count}</td>`;
    });
    const recall = rowTotals[g] > 0 ? matrix[g][g] / rowTotals[g] : 0;
    return `<tr><th scope="row">${escapeHtml(gold)}</th>${cells.join('')}<td class="total">${rowTotals[g]}</td><td class="total">${percent(recall)}</td></tr>`;
  });
  return (
    '<table class="heatmap">' +
    `<thead><tr><th class="corner">gold ↓ predicted →</th>${head}<th scope="col" class="total">tokens</th><th scope="col" class="total">correct</th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table>`
  );
}

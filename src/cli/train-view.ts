import cliProgress from 'cli-progress';
import type { Coverage } from '../data/dataset.js';
import { isTaggerScores, type TrainEvent } from '../train/events.js';
import type { TrainResult } from '../train/trainer.js';
import { displayPath, formatCount, formatDuration, pct, table, type Terminal } from './terminal.js';

/**
 * How a training run looks: on a terminal a progress bar per epoch (loss, tokens/s, ETA)
 * and a line per epoch; elsewhere only the per-epoch lines, so logs stay readable.
 * Everything goes to stderr, leaving stdout for the result (and for --json).
 */
export function trainView(term: Terminal): (event: TrainEvent) => void {
  const { err, color } = term;
  let bar: cliProgress.SingleBar | null = null;
  const stopBar = (): void => {
    bar?.stop();
    bar = null;
  };

  // A transient status line while files load; it is erased before anything else is written.
  let status = false;
  const clearStatus = (): void => {
    if (status) err.write('\r\x1b[2K');
    status = false;
  };

  return (event) => {
    if (event.type !== 'reading' && event.type !== 'fitting') clearStatus();
    const showStatus = (text: string): void => {
      if (!term.interactive) return;
      clearStatus();
      err.write(text);
      status = true;
    };
    switch (event.type) {
      case 'reading':
        showStatus(`reading ${event.what} ${displayPath(event.path)} …`);
        break;
      case 'fitting':
        showStatus(`fitting ${event.mode} preprocessing on ${formatCount(event.windows)} training windows …`);
        break;
      case 'data': {
        const d = event.data;
        err.write(`train  ${displayPath(d.train.path)}: ${formatCount(d.train.sentences)} sentences, ${formatCount(d.train.tokens)} tokens (${d.scheme.toUpperCase()})\n`);
        if (d.dev) err.write(`dev    ${displayPath(d.dev.path)}: ${formatCount(d.dev.sentences)} sentences, ${formatCount(d.dev.tokens)} tokens\n`);
        if (d.embeddings) {
          const cov = d.embeddings.coverage;
          err.write(
            `embeddings ${displayPath(d.embeddings.path)}: ${formatCount(d.embeddings.words)} words × ${d.embeddings.dim}` +
              `; pretrained vectors for ${pct(cov.train.tokens)}% of train tokens` +
              (cov.dev ? `, ${pct(cov.dev.tokens)}% of dev tokens` : '') +
              (d.embeddings.duplicates > 0 ? `; ${d.embeddings.duplicates} duplicate words ignored` : '') +
              '\n',
          );
          err.write(lookupLine('train', cov.train));
          if (cov.dev) err.write(lookupLine('dev', cov.dev));
        }
        err.write(`labels ${d.labels.join(' ')}; vocabulary ${formatCount(d.vocab_size)}; ${formatCount(d.parameters)} parameters\n`);
        break;
      }
      case 'epoch-start':
        if (term.interactive) {
          bar = new cliProgress.SingleBar(
            {
              format: `epoch ${event.epoch}/${event.epochs} {bar} {percentage}% | loss {loss} | {speed} tok/s | ETA {eta_formatted}`,
              stream: err,
              hideCursor: true,
              clearOnComplete: true,
              etaBuffer: 50,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(event.steps, 0, { loss: '-', speed: '-' });
        }
        break;
      case 'progress':
        bar?.update(event.step, { loss: event.loss.toFixed(4), speed: formatCount(event.tokensPerS) });
        break;
      case 'evaluating':
        stopBar();
        showStatus(`epoch ${event.epoch}: scoring dev …`);
        break;
      case 'epoch-end': {
        stopBar();
        const r = event.record;
        const ranking = r.dev_ranking_accuracy === undefined ? '' : ` ranking ${pct(r.dev_ranking_accuracy)}`;
        const dev = r.dev_f1 === null ? '' : `  dev P ${pct(r.dev_precision)} R ${pct(r.dev_recall)} F1 ${pct(r.dev_f1)}${ranking}`;
        const best = r.best ? color.green(' *best') : '';
        err.write(`epoch ${r.epoch}  loss ${r.loss.toFixed(4)}  lr ${r.lr.toPrecision(3)}${dev}${best}  (${formatDuration(r.epoch_s)}, ${formatCount(r.tokens_per_s)} tok/s)\n`);
        break;
      }
      case 'interrupted':
        stopBar();
        err.write(color.yellow(`interrupted in epoch ${event.epoch} after step ${event.step}; writing model-last\n`));
        break;
    }
  };
}

/**
 * How the split's words found their vectors along the fall-back chain (exact form →
 * lowercase → digits zeroed → none), as shares of tokens and then of distinct words:
 * a large "none" or "digits→0" share says the vectors do not fit the data.
 */
function lookupLine(split: string, c: Coverage): string {
  const w = c.words;
  return (
    `  pretrained vectors, ${split} tokens: ${pct(c.exact)}% exact, ${pct(c.lowercase)}% lowercased, ${pct(c.digits)}% digits→0, ${pct(c.unknown)}% none` +
    ` (distinct words: ${pct(w.exact)} / ${pct(w.lowercase)} / ${pct(w.digits)} / ${pct(w.unknown)}%)\n`
  );
}

/** Eight block heights, lowest first: one character per epoch. */
const SPARK_BLOCKS = '▁▂▃▄▅▆▇█';

/**
 * A one-line chart of `values`: the smallest maps to ▁, the largest to █, the rest in
 * proportion between (so small differences near the top of a score still show). All equal
 * values (or a single one) have no spread to show: they sit at mid height. A null is a
 * space. More values than `maxWidth` are grouped into maxWidth buckets, each showing its
 * largest value, so a peak is never averaged away.
 */
export function sparkline(values: readonly (number | null)[], maxWidth = 60): string {
  let points = values.map((v) => (v !== null && Number.isFinite(v) ? v : null));
  if (points.length > maxWidth) {
    const buckets: (number | null)[] = [];
    for (let b = 0; b < maxWidth; b++) {
      const group = points.slice(Math.floor((b * points.length) / maxWidth), Math.floor(((b + 1) * points.length) / maxWidth)).filter((v): v is number => v !== null);
      buckets.push(group.length > 0 ? Math.max(...group) : null);
    }
    points = buckets;
  }
  const present = points.filter((v): v is number => v !== null);
  if (present.length === 0) return ' '.repeat(points.length);
  const lo = Math.min(...present);
  const hi = Math.max(...present);
  const top = SPARK_BLOCKS.length - 1;
  return points
    .map((v) => {
      if (v === null) return ' ';
      if (hi === lo) return SPARK_BLOCKS[Math.floor(top / 2) + 1];
      return SPARK_BLOCKS[Math.round(((v - lo) / (hi - lo)) * top)];
    })
    .join('');
}

export interface SummaryOptions {
  /**
   * The terminal form: an overall row under the per-type table, a sparkline of dev F1 per
   * epoch, the mean speed and a pointer to `ner-train report`. Default: when stdout (where
   * the summary goes) is a terminal; piped output keeps the plain lines scripts parse.
   */
  rich?: boolean;
}

/** The closing summary for people: where things are, the best epoch, per-type scores. */
export function formatTrainSummary(result: TrainResult, term: Terminal, options: SummaryOptions = {}): string {
  const { color } = term;
  const rich = options.rich ?? Boolean(term.out.isTTY);
  const lines: string[] = [];
  const last = result.epochs[result.epochs.length - 1];
  const b = result.best;
  const of = rich && last ? ` of ${last.epoch}` : '';
  if (b && result.bestEpoch !== null) {
    if (isTaggerScores(b)) {
      lines.push(color.bold(`best epoch ${result.bestEpoch}${of}: dev F1 ${pct(b.f1)} (precision ${pct(b.precision)}, recall ${pct(b.recall)}, token accuracy ${pct(b.accuracy)})`));
      const rows = Object.entries(b.per_type).map(([type, s]) => [type, pct(s.precision), pct(s.recall), pct(s.f1), String(s.support)]);
      if (rich) rows.push(['overall', pct(b.precision), pct(b.recall), pct(b.f1), String(b.gold_entities)]);
      lines.push(table(['type', 'precision', 'recall', 'F1', 'support'], rows));
    } else {
      lines.push(color.bold(`best epoch ${result.bestEpoch}${of}: dev entity-word F1 ${pct(b.f1)} (precision ${pct(b.precision)}, recall ${pct(b.recall)} at threshold ${b.threshold.toPrecision(4)}), ranking accuracy ${pct(b.ranking_accuracy)}`));
    }
    const trend = rich ? devF1Line(result, term) : '';
    if (trend !== '') lines.push(trend);
  } else if (last) {
    lines.push(`trained ${last.epoch} epochs (no dev data: model-best is the last epoch)`);
  }
  if (rich && last) {
    const meanSpeed = result.epochs.reduce((sum, r) => sum + r.tokens_per_s, 0) / result.epochs.length;
    const epochs = result.epochs.length === 1 ? '1 epoch' : `${result.epochs.length} epochs`;
    lines.push(`time ${formatDuration(result.elapsed_s)} for ${epochs}; ${formatCount(meanSpeed)} tok/s mean, ${formatCount(last.tokens_per_s)} in the last epoch`);
  } else {
    lines.push(`time ${formatDuration(result.elapsed_s)}${last ? `, ${formatCount(last.tokens_per_s)} tok/s in the last epoch` : ''}`);
  }
  const out = displayPath(result.outDir);
  lines.push(`checkpoints ${out}/model-best, ${out}/model-last; metrics ${out}/metrics.jsonl`);
  if (rich && last) lines.push(color.dim(`charts and tables: ner-train report ${shellWord(out)}`));
  return `${lines.join('\n')}\n`;
}

/** `dev F1 by epoch ▁▃▆█▇  first 81.20, best 96.82 (epoch 3), last 96.50`, the best epoch's block in colour. */
function devF1Line(result: TrainResult, term: Terminal): string {
  const f1 = result.epochs.map((r) => r.dev_f1);
  const present = f1.filter((v): v is number => v !== null);
  if (present.length === 0) return '';
  let spark = sparkline(f1);
  const bestIndex = result.epochs.findIndex((r) => r.epoch === result.bestEpoch);
  // Colour the best epoch's block when each epoch has a block of its own.
  if (bestIndex >= 0 && spark.length === f1.length) {
    spark = spark.slice(0, bestIndex) + term.color.green(spark[bestIndex]) + spark.slice(bestIndex + 1);
  }
  const best = Math.max(...present);
  const parts = [`first ${pct(present[0])}`, `best ${pct(best)}${result.bestEpoch !== null ? ` (epoch ${result.bestEpoch})` : ''}`, `last ${pct(present[present.length - 1])}`];
  return `dev F1 by epoch ${spark}  ${present.length === 1 ? parts[1] : parts.join(', ')}`;
}

/** A path as one shell word, so the printed command can be pasted as it is. */
function shellWord(text: string): string {
  return /^[\w./:@%+=,-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}

/**
 * Reads a run's metrics.jsonl for the report. The trainer writes the file whole and
 * atomically, so a line that is not what it writes means the file was damaged or edited:
 * that is reported as `file:line: what is wrong` rather than drawn as a wrong chart.
 */
import { readFile } from 'node:fs/promises';
import { dataError, fileError, UserError } from '../errors.js';

/**
 * One epoch as the report needs it. `loss` and `lr` are required; everything else is
 * optional, so runs written before a field existed (penalty, the timings) still report.
 */
export interface MetricsLine {
  epoch: number;
  loss: number;
  lr: number;
  penalty: number | null;
  dev_precision: number | null;
  dev_recall: number | null;
  dev_f1: number | null;
  dev_accuracy: number | null;
  dev_ranking_accuracy: number | null;
  best: boolean;
  tokens_per_s: number | null;
  epoch_s: number | null;
  elapsed_s: number | null;
}

const OPTIONAL_NUMBERS = [
  'penalty',
  'dev_precision',
  'dev_recall',
  'dev_f1',
  'dev_accuracy',
  'dev_ranking_accuracy',
  'tokens_per_s',
  'epoch_s',
  'elapsed_s',
] as const;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return typeof value === 'string' ? `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"` : String(value);
}

/** Parses the text of a metrics.jsonl file; `file` names it in errors. Blank lines are skipped. */
export function parseMetrics(text: string, file: string): MetricsLine[] {
  const lines: MetricsLine[] = [];
  const rows = text.split('\n');
  for (let i = 0; i < rows.length; i++) {
    const raw = rows[i].trim();
    if (raw === '') continue;
    const lineNo = i + 1;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw dataError(file, lineNo, `not a JSON object (${(error as Error).message})`, 'metrics.jsonl holds one JSON object per epoch, as `ner-train train` writes it');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw dataError(file, lineNo, `expected a JSON object, got ${describe(value)}`);
    }
    const record = value as Record<string, unknown>;
    const required = (key: string): number => {
      const v = record[key];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw dataError(file, lineNo, `"${key}" must be a number, got ${key in record ? describe(v) : 'nothing'}`);
      return v;
    };
    const epoch = required('epoch');
    if (!Number.isInteger(epoch) || epoch < 1) throw dataError(file, lineNo, `"epoch" must be a whole number from 1, got ${epoch}`);
    const previous = lines[lines.length - 1];
    if (previous && epoch <= previous.epoch) throw dataError(file, lineNo, `epoch ${epoch} after epoch ${previous.epoch}: epochs must increase`);
    const line: MetricsLine = {
      epoch,
      loss: required('loss'),
      lr: required('lr'),
      penalty: null,
      dev_precision: null,
      dev_recall: null,
      dev_f1: null,
      dev_accuracy: null,
      dev_ranking_accuracy: null,
      best: false,
      tokens_per_s: null,
      epoch_s: null,
      elapsed_s: null,
    };
    for (const key of OPTIONAL_NUMBERS) {
      const v = record[key];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw dataError(file, lineNo, `"${key}" must be a number or null, got ${describe(v)}`);
      line[key] = v;
    }
    if (record.best !== undefined) {
      if (typeof record.best !== 'boolean') throw dataError(file, lineNo, `"best" must be true or false, got ${describe(record.best)}`);
      line.best = record.best;
    }
    lines.push(line);
  }
  if (lines.length === 0) {
    throw new UserError(`${file}: no epochs recorded (the file is empty)`, { hint: 'train writes a line at the end of each epoch; report a run that finished at least one' });
  }
  return lines;
}

export async function readMetrics(file: string): Promise<MetricsLine[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const e = fileError(file, error);
    if (e instanceof UserError && (error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UserError(`${file}: no such file; not a training run folder, or no epoch finished yet`, {
        hint: '`ner-train train` writes metrics.jsonl at the end of each epoch',
      });
    }
    throw e;
  }
  return parseMetrics(text, file);
}

/** The epoch whose model is model-best: the last one marked best (each improvement marks a later one). */
export function bestEpoch(lines: readonly MetricsLine[]): MetricsLine | null {
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i].best) return lines[i];
  return null;
}

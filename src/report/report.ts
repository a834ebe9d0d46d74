/**
 * `ner-train report`: turns a run folder into one self-contained HTML page. The curves come
 * from metrics.jsonl; the best epoch's per-type scores and confusion matrix are computed
 * by scoring model-best on the dev file the run's config names (the trainer records only
 * overall dev scores per epoch). Only a missing run folder or a missing or damaged
 * metrics.jsonl stops it: anything else missing is said in the report.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { evaluate } from '../api/evaluate.js';
import { UserError, isErrnoException } from '../errors.js';
import { resolveCheckpointDir, writeFileAtomic } from '../io/atomic.js';
import { VERSION } from '../version.js';
import { renderReport, type BestEvaluation, type ReportData } from './html.js';
import { bestEpoch, readMetrics, type MetricsLine } from './metrics-file.js';

export const REPORT_FILE = 'report.html';

/** The parts of a checkpoint's meta.json the report reads; checked field by field, since the file may be old or edited. */
interface MetaView {
  epoch: number | null;
  task: 'tagger' | 'entity-detector' | null;
  tagScheme: 'iob1' | 'iob2' | 'iobes' | null;
  dev: { f1: number } | null;
  config: Record<string, unknown> | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function metaView(value: Record<string, unknown>): MetaView {
  const dev = isRecord(value.dev) && typeof value.dev.f1 === 'number' ? { f1: value.dev.f1 } : null;
  return {
    epoch: typeof value.epoch === 'number' ? value.epoch : null,
    task: value.task === 'tagger' || value.task === 'entity-detector' ? value.task : value.task === undefined ? 'tagger' : null,
    tagScheme: value.tag_scheme === 'iob1' || value.tag_scheme === 'iob2' || value.tag_scheme === 'iobes' ? value.tag_scheme : null,
    dev,
    config: isRecord(value.config) ? value.config : null,
  };
}

/** A checkpoint's meta.json, or why it could not be read. */
async function readMeta(checkpointDir: string): Promise<{ meta: MetaView; file: string } | { problem: string }> {
  const file = join(checkpointDir, 'meta.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return { problem: `${file}: ${isErrnoException(error) && error.code === 'ENOENT' ? 'missing' : `cannot be read (${(error as Error).message})`}` };
  }
  try {
    const value: unknown = JSON.parse(text);
    if (!isRecord(value)) return { problem: `${file}: not a JSON object` };
    return { meta: metaView(value), file };
  } catch (error) {
    return { problem: `${file}: not valid JSON (${(error as Error).message})` };
  }
}

function checkRunDir(runDir: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(runDir).isDirectory();
  } catch (error) {
    if (isErrnoException(error) && error.code === 'ENOENT') {
      throw new UserError(`${runDir}: no such folder`, { hint: 'give the run folder `ner-train train` wrote (its --out or output.dir)' });
    }
    throw new UserError(`${runDir}: cannot be read (${(error as Error).message})`);
  }
  if (!isDir) throw new UserError(`${runDir}: not a folder`, { hint: 'give the run folder that holds metrics.jsonl, model-best/ and model-last/' });
}

/** Scores model-best on the run's dev file, or says why that is not possible. */
async function evaluateBest(bestDir: string, meta: MetaView, notes: string[]): Promise<BestEvaluation> {
  const data = meta.config && isRecord(meta.config.data) ? meta.config.data : null;
  const dev = data ? data.dev : undefined;
  if (dev === null) return { kind: 'none', reason: 'No dev data: the run was trained with data.dev: null, so there are no per-type dev scores or confusion matrix.' };
  if (typeof dev !== 'string') return { kind: 'none', reason: `${join(bestDir, 'meta.json')} names no dev file (config.data.dev): no per-type scores or confusion matrix.` };
  if (!existsSync(dev)) {
    return {
      kind: 'none',
      reason: `The dev file the run was trained with, ${dev}, is gone: the best epoch's per-type scores and confusion matrix need it. The curves above come from metrics.jsonl and are complete.`,
    };
  }
  try {
    const result = await evaluate({ checkpoint: bestDir, data: dev, scheme: meta.tagScheme ?? 'auto' });
    if (meta.dev && Math.abs(result.f1 - meta.dev.f1) > 1e-9) {
      notes.push(
        `Scored now, model-best's dev F1 is ${(100 * result.f1).toFixed(2)} %, but training recorded ${(100 * meta.dev.f1).toFixed(2)} %: ${dev} or the checkpoint changed after training.`,
      );
    }
    return result.task === 'tagger' ? { kind: 'tagger', devPath: dev, result } : { kind: 'detector', devPath: dev, result };
  } catch (error) {
    // A damaged checkpoint or dev file is worth a note, not the loss of the whole report.
    if (error instanceof UserError) return { kind: 'none', reason: `model-best could not be scored on ${dev}: ${error.message}` };
    throw error;
  }
}

/** Everything the page shows, gathered from the run folder. */
export async function gatherReport(runDir: string): Promise<ReportData> {
  checkRunDir(runDir);
  const metrics: MetricsLine[] = await readMetrics(join(runDir, 'metrics.jsonl'));
  const notes: string[] = [];
  const bestDir = resolveCheckpointDir(join(runDir, 'model-best'));
  let read = await readMeta(bestDir);
  let evaluation: BestEvaluation;
  if ('problem' in read) {
    notes.push(`${read.problem}: no per-type scores or confusion matrix.`);
    evaluation = { kind: 'none', reason: `No readable model-best checkpoint (${read.problem}).` };
    // model-last still knows the config the run used.
    const last = await readMeta(resolveCheckpointDir(join(runDir, 'model-last')));
    if (!('problem' in last)) read = last;
  } else {
    const best = bestEpoch(metrics);
    if (best && read.meta.epoch !== null && best.epoch !== read.meta.epoch && metrics.some((m) => m.dev_f1 !== null)) {
      notes.push(`metrics.jsonl marks epoch ${best.epoch} best, but model-best holds epoch ${read.meta.epoch}: the folder mixes two runs.`);
    }
    evaluation = await evaluateBest(bestDir, read.meta, notes);
  }
  const meta = 'problem' in read ? null : read;
  return {
    runDir,
    metrics,
    task: meta?.meta.task ?? (metrics.some((m) => m.dev_ranking_accuracy !== null) ? 'entity-detector' : null),
    config: meta?.meta.config ?? null,
    configSource: meta?.file ?? null,
    evaluation,
    notes,
    version: VERSION,
  };
}

export interface WriteReportOptions {
  runDir: string;
  /** Default: RUN_DIR/report.html. */
  out?: string;
}

/** Writes the report atomically and returns its path. */
export async function writeReport(options: WriteReportOptions): Promise<string> {
  const data = await gatherReport(options.runDir);
  const out = options.out ?? join(options.runDir, REPORT_FILE);
  await writeFileAtomic(out, renderReport(data));
  return out;
}

/**
 * Shared by the scripts that train configs/conll2003.yaml variants on the real data
 * (compare-options.ts, search-conll.ts): each run is the real CLI
 * (`node bin/ner-train.js train --json`), a few at a time, and only train and dev are read.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const DEFAULT_DATA = process.env.NER_TRAIN_SHARED_DATA ?? join(ROOT, '../shared/data');

export interface Variant {
  group: string;
  name: string;
  sets: string[];
  /** Also score the best checkpoint with these decode modes (evaluate --decode), same weights. */
  redecode?: string[];
}

export interface Outcome {
  group: string;
  name: string;
  sets: string[];
  dev_f1: number[];
  best_f1: number;
  best_epoch: number;
  seconds: number;
  /** Dev F1 of the best checkpoint re-decoded another way (evaluate --decode), when asked for. */
  redecoded?: Record<string, number>;
}

export interface RunOptions {
  dataDir: string;
  outDir: string;
  /** Override training.epochs; absent = as the config says. */
  epochs?: number;
  jobs: number;
}

function node(args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    // NER_TRAIN_BIN runs another build (e.g. a snapshot of this one while the tree changes).
    const bin = process.env.NER_TRAIN_BIN ?? join(ROOT, 'bin/ner-train.js');
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolvePromise(stdout) : reject(new Error(`ner-train ${args[0]} exited ${code}`))));
  });
}

async function runVariant(v: Variant, index: number, options: RunOptions): Promise<Outcome> {
  const out = join(options.outDir, `${index}-${v.name.replace(/[^a-z0-9]+/gi, '-')}`);
  const data = options.dataDir;
  const stdout = await node([
    'train', '--config', join(ROOT, 'configs/conll2003.yaml'), '--json', '--force', '--out', out,
    '--set', `data.train=${join(data, 'conll2003/train.txt')}`,
    '--set', `data.dev=${join(data, 'conll2003/dev.txt')}`,
    '--set', `embeddings.path=${join(data, 'embeddings/glove.6B.100d.top40k-conll.txt')}`,
    ...(options.epochs === undefined ? [] : ['--set', `training.epochs=${options.epochs}`]),
    // Parallel jobs get a core each; the numbers are bitwise the same for any thread count.
    ...(options.jobs > 1 ? ['--set', 'training.threads=1'] : []),
    ...v.sets.flatMap((s) => ['--set', s]),
  ]);
  const result = JSON.parse(stdout) as { best_epoch: number; best: { f1: number }; epochs: { dev_f1: number }[]; elapsed_s: number };
  const outcome: Outcome = {
    group: v.group,
    name: v.name,
    sets: v.sets,
    dev_f1: result.epochs.map((e) => e.dev_f1),
    best_f1: result.best.f1,
    best_epoch: result.best_epoch,
    seconds: result.elapsed_s,
  };
  for (const mode of v.redecode ?? []) {
    const scores = JSON.parse(await node(['evaluate', '-m', join(out, 'model-best'), '-d', join(data, 'conll2003/dev.txt'), '--json', '--decode', mode])) as { f1: number };
    outcome.redecoded = { ...outcome.redecoded, [mode]: scores.f1 };
  }
  return outcome;
}

export async function runAll(variants: Variant[], options: RunOptions): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(variants.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < variants.length) {
      const i = next++;
      process.stderr.write(`[${i + 1}/${variants.length}] ${variants[i].group}: ${variants[i].name}\n`);
      outcomes[i] = await runVariant(variants[i], i, options);
    }
  };
  await Promise.all(Array.from({ length: options.jobs }, worker));
  return outcomes;
}

export const pct = (x: number): string => (100 * x).toFixed(2);

/** Replaces the text between `<!-- NAME:begin -->` and `<!-- NAME:end -->` in README.md. */
export function writeReadmeTable(name: string, table: string): void {
  const readmePath = join(ROOT, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const from = readme.indexOf(begin);
  const to = readme.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README.md has no ${begin} … ${end} markers`);
  writeFileSync(readmePath, `${readme.slice(0, from + begin.length)}\n${table}\n${readme.slice(to)}`);
}

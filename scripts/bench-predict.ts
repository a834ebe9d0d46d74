/**
 * Tagging throughput: the plain forward pass against the pre-computation tables
 * (src/model/precompute.ts), on the same windows, with the same labels checked.
 *
 *   npx tsx scripts/bench-predict.ts --checkpoint runs/x/model-best --data dev.txt
 *   npx tsx scripts/bench-predict.ts --synthetic [--act relu] # the bench workload: V 20,000, d 50, w 5, H 300, K 9, tanh
 *   options: --batch 256 (windows per call)  --budget 256 (MiB for the tables)  --reps 5 (best of)
 *            --threads 1 (setKernelThreads)  --plain-kernels (the tables' TypeScript path)
 *
 * Prints one JSON line: tokens/s (best of --reps, the paths interleaved) of the plain path,
 * of the tables' first pass (fold, allocation and every first fill included: what one
 * `evaluate` of the file costs)
 * and of a later pass (rows filled: a long `predict` stream), the tables' memory (allocated,
 * and used: the pool's filled part), the rows in the pool, and how the labels and scores
 * compare with the plain path, and whether the tables ran on the WebAssembly kernels.
 */
import { readConllFile } from '../src/data/conll.js';
import { ACTIVATION_NAMES, type ActivationName } from '../src/math/activations.js';
import { setKernelBackend, setKernelThreads, waitForKernelThreads } from '../src/math/gemm.js';
import { encodeWindows, type EncodedWindows } from '../src/data/windows.js';
import { loadCheckpoint } from '../src/checkpoint/checkpoint.js';
import { Rng } from '../src/math/random.js';
import { createScorer } from '../src/model/create.js';
import { xavierInit } from '../src/model/params.js';
import { DEFAULT_TABLE_BUDGET, PrecomputedScorer } from '../src/model/precompute.js';
import { predictLabelIds, scoreInBatches, type Scorer } from '../src/model/predict.js';
import type { WindowScorer } from '../src/model/window-scorer.js';
import { PEER_WORKLOAD, syntheticCorpus } from './lib/bench-workload.js';

interface Args {
  checkpoint: string | null;
  data: string | null;
  synthetic: boolean;
  batch: number;
  budgetMiB: number;
  reps: number;
  act: ActivationName;
  threads: number;
  plainKernels: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    checkpoint: null, data: null, synthetic: false, batch: 256, budgetMiB: DEFAULT_TABLE_BUDGET / 1024 / 1024, reps: 5, act: 'tanh', threads: 1, plainKernels: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--checkpoint') args.checkpoint = value();
    else if (flag === '--data') args.data = value();
    else if (flag === '--synthetic') args.synthetic = true;
    else if (flag === '--batch') args.batch = Number(value());
    else if (flag === '--budget') args.budgetMiB = Number(value());
    else if (flag === '--reps') args.reps = Number(value());
    else if (flag === '--threads') args.threads = Number(value());
    else if (flag === '--plain-kernels') args.plainKernels = true;
    else if (flag === '--act') {
      const act = value();
      const known = ACTIVATION_NAMES.find((name) => name === act);
      if (known === undefined) throw new Error(`--act takes ${ACTIVATION_NAMES.join(', ')}`);
      args.act = known;
    }
    else throw new Error(`unknown flag ${flag}`);
  }
  if (!args.synthetic && (args.checkpoint === null || args.data === null)) throw new Error('give --checkpoint and --data, or --synthetic');
  return args;
}

function seconds(run: () => void): number {
  const t0 = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function mib(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}

function allScores(scorer: Scorer, windows: EncodedWindows, batch: number): Float32Array {
  const K = scorer.K;
  const out = new Float32Array(windows.count * K);
  scoreInBatches(scorer, windows, batch, (S, start, B) => {
    for (let i = 0; i < B * K; i++) out[start * K + i] = S[i];
  });
  return out;
}

function bench(label: string, model: WindowScorer, windows: EncodedWindows, args: Args): void {
  const { batch, reps } = args;
  const n = windows.count;
  const rate = (s: number): number => Math.round(n / s);
  // Interleaved, best of `reps` each: the machine is shared, and a slow moment should hit
  // every path alike rather than the one that happened to run then.
  const budgetBytes = args.budgetMiB * 1024 * 1024;
  predictLabelIds(model, windows, batch); // warm-up (JIT)
  predictLabelIds(new PrecomputedScorer(model, { budgetBytes, minWindows: 0 }), windows, batch);
  let plain = Infinity;
  let first = Infinity;
  let warm = Infinity;
  let scorer = new PrecomputedScorer(model, { budgetBytes, minWindows: 0 });
  for (let r = 0; r < reps; r++) {
    plain = Math.min(plain, seconds(() => predictLabelIds(model, windows, batch)));
    // A fresh scorer's first pass: the fold, the allocation and every first fill are in it.
    scorer = new PrecomputedScorer(model, { budgetBytes, minWindows: 0 });
    first = Math.min(first, seconds(() => predictLabelIds(scorer, windows, batch)));
    warm = Math.min(warm, seconds(() => predictLabelIds(scorer, windows, batch)));
  }
  const plainIds = predictLabelIds(model, windows, batch);
  const tableIds = predictLabelIds(scorer, windows, batch);
  let differ = 0;
  for (let i = 0; i < n; i++) if (plainIds[i] !== tableIds[i]) differ++;
  const a = allScores(model, windows, batch);
  const b = allScores(scorer, windows, batch);
  let maxDiff = 0;
  let maxAbs = 0;
  for (let i = 0; i < a.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    maxAbs = Math.max(maxAbs, Math.abs(a[i]));
  }
  const record = {
    case: label,
    tokens: n,
    batch,
    shape: { D: model.D, H: model.H, K: model.K, w: model.positions, tables: model.tables.map((t) => `${t.name} ${t.rows}×${t.dim}`) },
    activation: model.activation.name,
    plain_tokens_per_s: rate(plain),
    tables_first_pass_tokens_per_s: rate(first),
    tables_warm_tokens_per_s: rate(warm),
    speedup_first: Math.round((plain / first) * 100) / 100,
    speedup_warm: Math.round((plain / warm) * 100) / 100,
    table_mib_allocated: mib(scorer.bytes),
    table_mib_used: mib(scorer.usedBytes),
    budget_mib: args.budgetMiB,
    pool_rows: scorer.poolRows,
    pooled_rows: scorer.pooledRows,
    on_kernels: scorer.onKernels,
    threads: args.threads,
    threaded_passes: scorer.threadedPasses,
    labels_differing: differ,
    max_score_diff: maxDiff,
    max_abs_score: maxAbs,
  };
  process.stdout.write(`${JSON.stringify(record)}\n`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.plainKernels) setKernelBackend('plain');
  setKernelThreads(args.threads);
  waitForKernelThreads();
  if (args.synthetic) {
    const wl = PEER_WORKLOAD;
    const model = createScorer({
      halfWidth: wl.halfWidth, vocabSize: wl.vocab, wordDim: wl.dim, wordsTrainable: true, capsDim: 0,
      suffixRows: 0, suffixDim: 0, prefixRows: 0, prefixDim: 0,
      hidden: wl.hidden, labels: 9, activation: args.act, leakySlope: 0.01, dropout: 0,
    });
    const rng = new Rng(7);
    xavierInit(model.params, rng);
    const E = model.tables[0].data;
    for (let i = 0; i < E.length; i++) E[i] = rng.range(-0.5, 0.5);
    const { windows } = syntheticCorpus(wl.tokens, wl.vocab, wl.halfWidth, wl.seed);
    bench('synthetic (bench workload)', model, windows, args);
    return;
  }
  const checkpoint = await loadCheckpoint(args.checkpoint ?? '');
  const { model: spec, word_normalisation } = checkpoint.meta;
  const sentences = await readConllFile(args.data ?? '');
  const windows = encodeWindows(sentences, checkpoint.vocab, {
    halfWidth: spec.halfWidth, caps: spec.capsDim > 0, norm: word_normalisation, suffix: checkpoint.suffix, prefix: checkpoint.prefix,
  });
  bench(`${args.checkpoint} on ${args.data}`, checkpoint.model, windows, args);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench-predict: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

/**
 * One bench case, in this (fresh) process: the real training setup (setupTraining with
 * a schema-validated config) on the synthetic corpus, a warm-up, then `reps` timed
 * shuffled epochs, or the timed first part of each when a whole epoch would take longer
 * than maxSeconds. Prints nothing: the caller writes the record.
 */
import { kernelInfo, waitForKernelThreads } from '../../src/math/gemm.js';
import { Rng } from '../../src/math/random.js';
import { decodeLabelIds } from '../../src/decode/decoder.js';
import type { EncodedWindows } from '../../src/data/windows.js';
import { PrecomputedScorer } from '../../src/model/precompute.js';
import type { Scorer } from '../../src/model/predict.js';
import { createObjective } from '../../src/objective/index.js';
import { setupTraining, type TrainingSetup } from '../../src/train/setup.js';
import type { BenchCase, TimingOptions } from './bench-args.js';
import { cpuCounters, machineCpus, othersShare } from './bench-cpu.js';
import { extrapolation, median } from './bench-report.js';
import { benchConfig, PEER_WORKLOAD, syntheticData, type Workload } from './bench-workload.js';

/** The record of one of our cases: the peers' fields, then ours. */
export interface OurRecord {
  impl: 'ner-train';
  threads: number;
  batch: number;
  mode: BenchCase['mode'];
  loss: BenchCase['loss'];
  optim: BenchCase['optim'];
  /** Embedding rows move only when their batch uses them (our optimisers are all lazy): the peers' "sparse". */
  embedding: 'sparse' | null;
  act: BenchCase['act'];
  tokens_per_s: number;
  epoch_s: number;
  peak_rss_mb: number;
  tokens_per_s_reps: number[];
  tokens_timed: number;
  extrapolated: boolean;
  other_load_reps: (number | null)[];
  steal_reps: (number | null)[];
  /** Mean data loss (no penalty) of the model on the first 20,000 tokens after timing, like the peers' eval_loss: a sanity check that it learns. */
  eval_loss: number | null;
  n_tokens: number;
  vocab: number;
  dim: number;
  window: number;
  hidden: number;
  classes: number;
  /** Whether the math core ran on `threads` threads (kernelInfo), so that T = 2 was really two. */
  threads_applied: boolean;
  /** What scored the windows of a predict case: the Tagger's pre-computation tables (as `predict` and `evaluate` do) or the plain forward pass. */
  scorer: 'precomputed' | 'plain' | null;
  /** The math core's float32 kernels: 'wasm' (SIMD) or 'plain' (the TypeScript reference), as kernelInfo() says after timing. */
  kernel: string;
  /** Threads the kernels split products across, and how many products they split. */
  kernel_threads: number;
  kernel_splits: number;
  /** Why the SIMD kernels were not used, when they were not. */
  kernel_reason: string | null;
  node: string;
  step_ms_warm: number;
  warmup_steps: number;
  /** Predict through the tables: tokens/s of the untimed first pass over the input, which filled the rows. */
  first_pass_tokens_per_s: number | null;
}

type Run = (steps: number) => void;

/** Options of one case that are ours alone (the peers have no counterpart). */
export interface CaseOptions {
  /** Predict with the plain forward pass instead of the Tagger's pre-computation tables. */
  plainForward: boolean;
}

export function runCase(c: BenchCase, timing: TimingOptions, caseOptions: CaseOptions, log: (line: string) => void): OurRecord {
  const workload: Workload = { ...PEER_WORKLOAD, tokens: timing.tokens, seed: timing.seed };
  const data = syntheticData(workload);
  const config = benchConfig(workload, {
    batch: c.batch,
    // A predict case times the forward pass only; the loss and optimiser just complete the config.
    loss: c.loss ?? 'hinge',
    optim: c.optim ?? 'adam',
    act: c.act,
    threads: c.threads,
  });
  const rng = new Rng(config.seed);
  // setupTraining starts the math core's threads (config.training.threads) in the
  // background; wait for them, so that warm-up and timing both see all of them.
  const setup = setupTraining(config, data, rng);
  waitForKernelThreads();
  const N = data.train.windows.count;
  const B = c.batch;
  const plain = caseOptions.plainForward;
  const run = c.mode === 'train' ? trainer(setup, rng) : tagger(setup, plain ? setup.model : new PrecomputedScorer(setup.model), data.train.windows, B);

  const stepsPerEpoch = Math.ceil(N / B);
  const warm = Math.min(stepsPerEpoch, timing.warmupSteps);
  // Tagging warms up over the whole input once, untimed but reported: the tables are a
  // function of the model alone, filled once per token (after training, or lazily as
  // here), and the timed repetitions then measure a tagger that has them, as a served
  // model has. Without that, the first repetition would time filling rows and the median
  // of two would fall between the two regimes.
  let firstPass: number | null = null;
  if (c.mode === 'predict' && !plain) {
    const f0 = performance.now();
    run(stepsPerEpoch);
    firstPass = N / ((performance.now() - f0) / 1000);
  } else {
    run(warm);
  }
  const w0 = performance.now();
  run(warm);
  const stepS = (performance.now() - w0) / 1000 / warm;
  const { steps, tokensTimed } = extrapolation(stepS, stepsPerEpoch, B, N, timing.maxSeconds);
  log(`  ner-train ${c.mode} B=${B} T=${c.threads}: ~${(stepS * 1e3).toFixed(3)} ms/step, timing ${steps}/${stepsPerEpoch} steps x ${timing.reps}`);

  const rates: number[] = [];
  const others: (number | null)[] = [];
  const steals: (number | null)[] = [];
  for (let r = 0; r < timing.reps; r++) {
    const c0 = cpuCounters();
    const t0 = performance.now();
    run(steps);
    const seconds = (performance.now() - t0) / 1000;
    const c1 = cpuCounters();
    rates.push(tokensTimed / seconds);
    const share = c0 && c1 ? othersShare(c0, c1, seconds, machineCpus()) : null;
    others.push(share ? share.other : null);
    steals.push(share ? share.steal : null);
  }
  const rate = median(rates);
  const kernel = kernelInfo();

  return {
    impl: 'ner-train',
    threads: c.threads,
    batch: B,
    mode: c.mode,
    loss: c.loss,
    optim: c.optim,
    embedding: c.mode === 'train' ? 'sparse' : null,
    act: c.act,
    tokens_per_s: round1(rate),
    epoch_s: Math.round((N / rate) * 1000) / 1000,
    peak_rss_mb: round1(process.resourceUsage().maxRSS / 1024),
    tokens_per_s_reps: rates.map(round1),
    tokens_timed: tokensTimed,
    extrapolated: tokensTimed < N,
    other_load_reps: others,
    steal_reps: steals,
    eval_loss: c.mode === 'train' && c.loss ? evalLoss(setup, data.train.windows, data.train.gold, c.loss) : null,
    n_tokens: N,
    vocab: workload.vocab,
    dim: workload.dim,
    window: 2 * workload.halfWidth + 1,
    hidden: workload.hidden,
    classes: setup.model.K,
    threads_applied: kernel.threads === c.threads,
    scorer: c.mode === 'predict' ? (plain ? 'plain' : 'precomputed') : null,
    kernel: kernel.backend,
    kernel_threads: kernel.threads,
    kernel_splits: kernel.splits,
    kernel_reason: kernel.reason,
    node: process.version,
    step_ms_warm: Math.round(stepS * 1e6) / 1000,
    warmup_steps: warm,
    first_pass_tokens_per_s: firstPass === null ? null : round1(firstPass),
  };
}

/**
 * What train()'s epoch loop does, minus its progress events: shuffle the order (inside
 * the timed region, as the peers do), then one TrainingStep.run per minibatch at the
 * scheduled rate. `steps` below a full epoch times the first part of it.
 */
function trainer(setup: TrainingSetup, rng: Rng): Run {
  const order = setup.trainOrder.slice();
  let globalStep = 0;
  let epochIndex = 0;
  return (steps) => {
    rng.shuffle(order);
    const bounds = setup.step.batchBounds(order);
    const n = Math.min(steps, bounds.length - 1);
    for (let s = 0; s < n; s++) {
      const lr = setup.learningRate(globalStep, epochIndex);
      const J = setup.step.run(order, bounds[s], bounds[s + 1], lr, rng);
      if (!Number.isFinite(J)) throw new Error(`the loss left the reals at step ${globalStep + 1}: ${J}`);
      globalStep++;
    }
    epochIndex++;
  };
}

/**
 * The path `evaluate` and `predict` take (a Tagger: decodeLabelIds with the greedy decoder,
 * through the pre-computation tables over the model, default budget) over the first
 * steps·B windows, in corpus order. One scorer for the whole case, as one Tagger serves a
 * whole input: the warm-up builds its tables and fills the rows of every token of it.
 */
function tagger(setup: TrainingSetup, scorer: Scorer, windows: EncodedWindows, B: number): Run {
  return (steps) => {
    decodeLabelIds(scorer, prefix(windows, Math.min(windows.count, steps * B)), B, setup.decoder);
  };
}

/** The first n windows, as a split of their own. */
function prefix(windows: EncodedWindows, n: number): EncodedWindows {
  if (n === windows.count) return windows;
  const stride = windows.positions * windows.tables;
  const starts = [...windows.sentenceStarts.filter((s) => s < n), n];
  return { ...windows, ids: windows.ids.subarray(0, n * stride), count: n, sentenceStarts: Int32Array.from(starts) };
}

/** Mean per-window loss on the first 20,000 windows, without dropout or penalty (what the peers' eval_loss is). */
function evalLoss(setup: TrainingSetup, windows: EncodedWindows, gold: Int32Array, loss: 'hinge' | 'softmax'): number {
  const objective = createObjective({ loss: loss === 'hinge' ? 'max-margin' : 'softmax', margin: 1, reduction: 'sum' });
  const n = Math.min(windows.count, 20_000);
  const stride = windows.positions * windows.tables;
  const chunk = 1000;
  let total = 0;
  for (let start = 0; start < n; start += chunk) {
    const B = Math.min(chunk, n - start);
    const S = setup.model.forward(windows.ids.subarray(start * stride, (start + B) * stride), B, false);
    total += objective.loss(S, gold.subarray(start, start + B), B, setup.model.K, null, 1);
  }
  return Math.round((total / n) * 1e4) / 1e4;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

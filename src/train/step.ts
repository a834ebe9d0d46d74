import type { EncodedSplit } from '../data/dataset.js';
import type { Rng } from '../math/random.js';
import type { WindowScorer } from '../model/window-scorer.js';
import type { BatchLoss, WindowBatch } from '../objective/batch-loss.js';
import { centreWordOffset, type UnigramSampler } from '../objective/corruption.js';
import { MarginPairs } from '../objective/pairs.js';
import { clipGradientNorm, type Optimizer, type ParameterGroups } from '../optim/index.js';
import { dropWords } from './word-dropout.js';
import { kernelFloats, kernelInt32s } from '../math/kernels/wasm-gemm.js';
import { beginStep, endStep, SpinPolicy } from '../math/kernels/spin-policy.js';

/**
 * Which corrupted windows a step adds next to the true ones (see `objective.corruption`).
 * Each true window n whose pair label is not `skipLabel` gets `negatives` of each kind:
 * its own window with the centre word redrawn from the unigram distribution, and/or a
 * corpus window drawn from `corpusNegatives` (the entity detector's non-entity windows).
 */
export interface CorruptionPlan {
  centreWord: UnigramSampler | null;
  corpusNegatives: Int32Array | null;
  negatives: number;
  /** Pairs compare this label's score: the gold label (tagger) or the single score 0 (detector). */
  pairLabel: 'gold' | 'zero';
  /** Gold label without a counterpart (O for the tagger); −1 for none. */
  skipLabel: number;
}

export const NO_CORRUPTION: CorruptionPlan = { centreWord: null, corpusNegatives: null, negatives: 0, pairLabel: 'gold', skipLabel: -1 };

/**
 * What the epoch loop drives: batches as ranges of a shuffled order (of windows, or of
 * sentences for learned decoding), one update per range.
 */
export interface Step {
  /** Boundaries of the batches over `order`: batch b is order[bounds[b] .. bounds[b+1]). */
  batchBounds(order: Int32Array): Int32Array;
  /** One update on order[from .. to); returns J (batch-mean loss plus penalty), non-finite without updating. */
  run(order: Int32Array, from: number, to: number, lr: number, rng: Rng): number;
  /** Tokens (true windows) in the last batch. */
  readonly lastTokens: number;
  readonly lastPenalty: number;
}

/**
 * One minibatch update, with its buffers allocated once: gather the batch's window ids
 * and gold labels, word dropout, add the corrupted windows, forward, loss and gradient,
 * clipping, optimiser step.
 */
export class TrainingStep implements Step {
  private readonly stride: number;
  private readonly batch: WindowBatch;
  private readonly dS: Float32Array;
  private readonly centre: number;
  /** Whether the kernels' helper threads poll between this step's jobs (timing only). */
  private readonly spin = new SpinPolicy();

  constructor(
    private readonly model: WindowScorer,
    private readonly loss: BatchLoss,
    private readonly optimizer: Optimizer,
    private readonly groups: ParameterGroups,
    private readonly split: EncodedSplit,
    readonly batchSize: number,
    private readonly corruption: CorruptionPlan = NO_CORRUPTION,
    private readonly clipNorm: number | null = null,
    /** features.word_dropout: the chance of each word of a true window becoming <unk> (see dropWords). */
    private readonly wordDropout = 0,
  ) {
    this.stride = split.windows.positions * split.windows.tables;
    this.centre = centreWordOffset(split.windows);
    const kinds = (corruption.centreWord ? 1 : 0) + (corruption.corpusNegatives ? 1 : 0);
    const maxPairs = batchSize * corruption.negatives * kinds;
    const maxRows = batchSize + maxPairs;
    // The ids live in the kernels' memory, where the gather kernel reads them.
    this.batch = { ids: kernelInt32s(maxRows * this.stride), rows: 0, B: 0, gold: new Int32Array(batchSize), pairs: new MarginPairs(maxPairs) };
    // In the kernels' memory too, where the fused backward pass reads it.
    this.dS = kernelFloats(maxRows * model.K);
  }

  lastTokens = 0;

  /** Fixed-size batches of windows. */
  batchBounds(order: Int32Array): Int32Array {
    const N = order.length;
    const steps = Math.ceil(N / this.batchSize);
    return Int32Array.from({ length: steps + 1 }, (_, b) => Math.min(b * this.batchSize, N));
  }

  /** The summed data loss of the last step (before the 1/B) and its weight penalty. */
  get lastDataLoss(): number {
    return this.loss.dataLoss;
  }

  get lastPenalty(): number {
    return this.loss.penalty;
  }

  /**
   * Trains on windows order[start .. end) at learning rate lr and returns the step's
   * objective J (batch-mean loss plus penalty, before the update). A non-finite J is
   * returned without updating anything.
   */
  run(order: Int32Array, start: number, end: number, lr: number, rng: Rng): number {
    beginStep(this.spin);
    try {
      return this.update(order, start, end, lr, rng);
    } finally {
      endStep();
    }
  }

  private update(order: Int32Array, start: number, end: number, lr: number, rng: Rng): number {
    const { model, batch } = this;
    const B = end - start;
    this.lastTokens = B;
    for (let n = 0; n < B; n++) {
      const i = order[start + n];
      this.copyWindow(i, n);
      batch.gold[n] = this.split.gold[i];
    }
    batch.B = B;
    // On the batch's copies, never on the split; before the corruptions, so a centre-word
    // corruption differs from its true window only in the centre word.
    const { positions, tables } = this.split.windows;
    dropWords(batch.ids, B, positions, tables, this.wordDropout, rng);
    batch.rows = this.addCorruptions(B, rng);
    model.sampleDropoutMask(batch.rows, rng);
    const J = this.loss.evaluate(model, batch, true, true, this.dS);
    if (!Number.isFinite(J)) return J;
    if (this.clipNorm !== null) clipGradientNorm(this.groups, this.clipNorm);
    this.optimizer.step(lr);
    return J;
  }

  /** Appends the corrupted windows after the B true ones; returns the number of rows. */
  private addCorruptions(B: number, rng: Rng): number {
    const { batch, corruption } = this;
    const { centreWord, corpusNegatives, negatives, skipLabel } = corruption;
    batch.pairs.clear();
    let rows = B;
    if (!centreWord && !corpusNegatives) return rows;
    const { ids } = batch;
    for (let n = 0; n < B; n++) {
      const gold = batch.gold[n];
      if (gold === skipLabel || gold < 0) continue;
      const label = corruption.pairLabel === 'gold' ? gold : 0;
      for (let r = 0; r < negatives; r++) {
        if (centreWord) {
          ids.copyWithin(rows * this.stride, n * this.stride, (n + 1) * this.stride);
          const at = rows * this.stride + this.centre;
          ids[at] = centreWord.sampleOther(rng, ids[at]);
          batch.pairs.add(n, rows++, label);
        }
        if (corpusNegatives) {
          this.copyWindow(corpusNegatives[rng.int(corpusNegatives.length)], rows);
          batch.pairs.add(n, rows++, label);
        }
      }
    }
    return rows;
  }

  /** Window `index` of the split into batch row `row`; a plain loop, since a subarray view per window would allocate. */
  private copyWindow(index: number, row: number): void {
    const { stride } = this;
    const { ids } = this.split.windows;
    const out = this.batch.ids;
    const from = index * stride;
    const to = row * stride;
    for (let k = 0; k < stride; k++) out[to + k] = ids[from + k];
  }
}

import type { EncodedSplit } from '../data/dataset.js';
import type { Rng } from '../math/random.js';
import type { TransitionParams } from '../model/transitions.js';
import type { WindowScorer } from '../model/window-scorer.js';
import type { SentenceBatch, SentenceBatchLoss } from '../objective/sentence-batch-loss.js';
import { clipGradientNorm, type Optimizer, type ParameterGroups } from '../optim/index.js';
import type { Step } from './step.js';
import { dropWords } from './word-dropout.js';

/**
 * One update over whole sentences (learned decoding): the windows of every token of a
 * few sentences, word dropout, their sentence-level loss with the transition scores,
 * backward, clipping, optimiser step. Buffers grow to the largest batch seen and are
 * then reused.
 */
export class SentenceStep implements Step {
  private readonly stride: number;
  private batch: SentenceBatch;
  private dS: Float32Array;

  constructor(
    private readonly model: WindowScorer,
    private readonly transitions: TransitionParams,
    private readonly loss: SentenceBatchLoss,
    private readonly optimizer: Optimizer,
    private readonly groups: ParameterGroups,
    private readonly split: EncodedSplit,
    /** Sentences are added to a batch until it holds at least this many tokens. */
    readonly batchTokens: number,
    private readonly clipNorm: number | null = null,
    /** features.word_dropout: the chance of each word of a window becoming <unk> (see dropWords). */
    private readonly wordDropout = 0,
  ) {
    this.stride = split.windows.positions * split.windows.tables;
    this.batch = { ids: new Int32Array(0), rows: 0, gold: new Int32Array(0), starts: new Int32Array(1), sentences: 0 };
    this.dS = new Float32Array(0);
  }

  /** Tokens in the last batch. */
  lastTokens = 0;

  get lastPenalty(): number {
    return this.loss.penalty;
  }

  /** Tokens of sentence `s` of the split. */
  length(s: number): number {
    const starts = this.split.windows.sentenceStarts;
    return starts[s + 1] - starts[s];
  }

  /** Batch boundaries over a sentence order: consecutive sentences until batchTokens tokens. */
  batchBounds(order: Int32Array): Int32Array {
    const bounds = [0];
    let tokens = 0;
    for (let i = 0; i < order.length; i++) {
      tokens += this.length(order[i]);
      if (tokens >= this.batchTokens) {
        bounds.push(i + 1);
        tokens = 0;
      }
    }
    if (bounds[bounds.length - 1] !== order.length) bounds.push(order.length);
    return Int32Array.from(bounds);
  }

  /** Trains on sentences order[from .. to) and returns J (mean loss per token plus penalty); lastTokens says how many tokens it saw. */
  run(order: Int32Array, from: number, to: number, lr: number, rng: Rng): number {
    const { model, split, stride } = this;
    let rows = 0;
    for (let i = from; i < to; i++) rows += this.length(order[i]);
    this.ensureCapacity(rows, to - from);
    const { batch } = this;
    const starts = split.windows.sentenceStarts;
    let row = 0;
    for (let i = from; i < to; i++) {
      const s = order[i];
      batch.starts[i - from] = row;
      for (let token = starts[s]; token < starts[s + 1]; token++, row++) {
        const src = token * stride;
        const dst = row * stride;
        for (let k = 0; k < stride; k++) batch.ids[dst + k] = split.windows.ids[src + k];
        // A type train never saw has no label: score it as O rather than drop the sentence.
        batch.gold[row] = Math.max(split.gold[token], 0);
      }
    }
    batch.starts[to - from] = row;
    batch.rows = rows;
    batch.sentences = to - from;
    dropWords(batch.ids, rows, split.windows.positions, split.windows.tables, this.wordDropout, rng);
    model.sampleDropoutMask(rows, rng);
    this.lastTokens = rows;
    const J = this.loss.evaluate(model, this.transitions, batch, true, true, this.dS);
    if (!Number.isFinite(J)) return J;
    if (this.clipNorm !== null) clipGradientNorm(this.groups, this.clipNorm);
    this.optimizer.step(lr);
    return J;
  }

  private ensureCapacity(rows: number, sentences: number): void {
    if (rows > this.batch.gold.length || sentences + 1 > this.batch.starts.length) {
      const capacity = Math.max(rows, 2 * this.batch.gold.length);
      this.batch = {
        ids: new Int32Array(capacity * this.stride),
        rows: 0,
        gold: new Int32Array(capacity),
        starts: new Int32Array(Math.max(sentences + 1, 2 * this.batch.starts.length)),
        sentences: 0,
      };
      this.dS = new Float32Array(capacity * this.model.K);
    }
  }
}

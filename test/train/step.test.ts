import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EncodedSplit } from '../../src/data/dataset.js';
import { Vocabulary } from '../../src/data/vocab.js';
import { encodeWindows } from '../../src/data/windows.js';
import type { FloatArray } from '../../src/math/matrix.js';
import { Rng } from '../../src/math/random.js';
import { createScorer, type ModelSpec } from '../../src/model/create.js';
import type { WindowScorer } from '../../src/model/window-scorer.js';
import { BatchLoss, type WindowBatch } from '../../src/objective/batch-loss.js';
import { centreWordCounts, centreWordOffset, UnigramSampler } from '../../src/objective/corruption.js';
import { Regularizer } from '../../src/objective/regularization.js';
import { createOptimizer, type OptimizerOptions } from '../../src/optim/index.js';
import { parameterGroups } from '../../src/train/setup.js';
import { NO_CORRUPTION, TrainingStep, type CorruptionPlan } from '../../src/train/step.js';

// Labels: 0 = O, 1 = PER, 2 = LOC.
const SENTENCES = [
  { tokens: ['John', 'lives', 'in', 'Paris', '.'], tags: ['B-PER', 'O', 'O', 'B-LOC', 'O'], line: 1 },
  { tokens: ['Mary', 'met', 'Bob', 'in', 'Berlin'], tags: ['B-PER', 'O', 'B-PER', 'O', 'B-LOC'], line: 7 },
];
const GOLD = Int32Array.of(1, 0, 0, 2, 0, 1, 0, 1, 0, 2);
const ENTITY_WINDOWS = [0, 3, 5, 7, 9];
const O_WINDOWS = Int32Array.of(1, 2, 4, 6, 8);

const vocab = Vocabulary.fromKeys(SENTENCES.flatMap((s) => s.tokens));
const windows = encodeWindows(SENTENCES, vocab, { halfWidth: 1, caps: true, norm: { lowercase: false, normalize_digits: false } });
const split: EncodedSplit = { path: 'in-memory', sentences: SENTENCES, windows, gold: GOLD };
const STRIDE = windows.positions * windows.tables; // 3 positions × 2 tables = 6
const CENTRE = centreWordOffset(windows); // 2

const SGD: OptimizerOptions = { name: 'sgd', mu: 0.9, nesterov: false, decay: 0.9, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
const NO_PENALTY = new Regularizer({ l2: 0, l1: 0, l2_embeddings: false, l1_embeddings: false });

function spec(labels: number): ModelSpec {
  return {
    halfWidth: 1, vocabSize: vocab.size, wordDim: 3, wordsTrainable: true, capsDim: 2,
    suffixRows: 0, suffixDim: 0, prefixRows: 0, prefixDim: 0,
    hidden: 5, labels, activation: 'tanh', leakySlope: 0.01, dropout: 0,
  };
}

/** A float32 scorer with small random parameters and embeddings. */
function model(labels: number, seed = 1): WindowScorer {
  const m = createScorer(spec(labels), 'float32');
  const rng = new Rng(seed);
  for (const t of m.tables) for (let i = 0; i < t.data.length; i++) t.data[i] = rng.range(-0.5, 0.5);
  for (const view of [m.params.W, m.params.U]) for (let i = 0; i < view.length; i++) view[i] = rng.range(-0.5, 0.5);
  return m;
}

interface Captured {
  ids: number[];
  rows: number;
  B: number;
  gold: number[];
  pairs: [number, number, number][];
}

/** Spies on BatchLoss.evaluate and copies each batch at call time (the step reuses its buffers). */
function captureBatches(): Captured[] {
  const captured: Captured[] = [];
  const original = BatchLoss.prototype.evaluate;
  vi.spyOn(BatchLoss.prototype, 'evaluate').mockImplementation(function (
    this: BatchLoss, m: WindowScorer, batch: WindowBatch, train: boolean, withGrad: boolean, dS: FloatArray,
  ): number {
    const { pairs } = batch;
    captured.push({
      ids: Array.from(batch.ids.subarray(0, batch.rows * STRIDE)),
      rows: batch.rows,
      B: batch.B,
      gold: Array.from(batch.gold.subarray(0, batch.B)),
      pairs: Array.from({ length: pairs.count }, (_, i): [number, number, number] => [pairs.trueRow[i], pairs.corruptRow[i], pairs.label[i]]),
    });
    return original.call(this, m, batch, train, withGrad, dS);
  });
  return captured;
}

const rowOf = (ids: number[], r: number): number[] => ids.slice(r * STRIDE, (r + 1) * STRIDE);
const windowOf = (i: number): number[] => Array.from(windows.ids.subarray(i * STRIDE, (i + 1) * STRIDE));

function makeStep(m: WindowScorer, batchSize: number, plan: CorruptionPlan): { step: TrainingStep; loss: BatchLoss } {
  const loss = new BatchLoss(null, 1, NO_PENALTY);
  const groups = parameterGroups(m, false);
  const step = new TrainingStep(m, loss, createOptimizer(groups, SGD), groups, split, batchSize, plan);
  return { step, loss };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the hand-built split', () => {
  it('has 10 windows of 3 positions × 2 tables, the centre word at offset 2', () => {
    expect(windows.count).toBe(10);
    expect(STRIDE).toBe(6);
    expect(CENTRE).toBe(2);
    expect(windows.ids[3 * STRIDE + CENTRE]).toBe(vocab.id('Paris'));
  });
});

describe('TrainingStep with centre-word corruption', () => {
  const sampler = new UnigramSampler(centreWordCounts(windows, vocab.size));
  const plan: CorruptionPlan = { centreWord: sampler, corpusNegatives: null, negatives: 2, pairLabel: 'gold', skipLabel: 0 };

  it('each non-O window gets exactly 2 corrupted rows differing only in the centre word; O windows none', () => {
    const captured = captureBatches();
    const m = model(3);
    const { step } = makeStep(m, 10, plan);
    const order = Int32Array.from([4, 0, 3, 1, 2, 9, 5, 6, 7, 8]); // a shuffled epoch
    const rng = new Rng(42);
    for (const start of [0, 5]) step.run(order, start, start + 5, 0.1, rng);
    expect(captured).toHaveLength(2);
    for (const [k, batch] of captured.entries()) {
      const start = k * 5;
      const B = 5;
      const members = Array.from(order.subarray(start, start + B));
      const entities = members.filter((i) => GOLD[i] !== 0);
      expect(batch.B).toBe(B);
      expect(batch.gold).toEqual(members.map((i) => GOLD[i]));
      // rows = B + 2 per non-O window
      expect(batch.rows).toBe(B + 2 * entities.length);
      expect(batch.pairs).toHaveLength(2 * entities.length);
      // the true rows are the windows of the order, in order
      members.forEach((i, n) => expect(rowOf(batch.ids, n)).toEqual(windowOf(i)));
      // every corrupted row is used by exactly one pair
      expect(batch.pairs.map((p) => p[1]).sort((a, b) => a - b)).toEqual(Array.from({ length: batch.rows - B }, (_, r) => B + r));
      for (const [trueRow, corruptRow, label] of batch.pairs) {
        expect(trueRow).toBeLessThan(B);
        expect(corruptRow).toBeGreaterThanOrEqual(B);
        expect(label).toBe(GOLD[members[trueRow]]);
        expect(label).not.toBe(0);
        const original = rowOf(batch.ids, trueRow);
        const corrupted = rowOf(batch.ids, corruptRow);
        for (let o = 0; o < STRIDE; o++) if (o !== CENTRE) expect(corrupted[o]).toBe(original[o]);
        expect(corrupted[CENTRE]).not.toBe(original[CENTRE]);
        // the new centre word comes from the unigram distribution of centre words
        expect(centreWordCounts(windows, vocab.size)[corrupted[CENTRE]]).toBeGreaterThan(0);
      }
      // each non-O true row appears in exactly 2 pairs, O rows in none
      members.forEach((i, n) => expect(batch.pairs.filter((p) => p[0] === n)).toHaveLength(GOLD[i] !== 0 ? 2 : 0));
    }
  });

  it('a full batch of all 10 windows: rows = 10 + 2·5', () => {
    const captured = captureBatches();
    const { step } = makeStep(model(3), 10, plan);
    step.run(Int32Array.from({ length: 10 }, (_, i) => i), 0, 10, 0.1, new Rng(3));
    expect(captured[0].rows).toBe(20);
    expect(captured[0].pairs.map((p) => p[0])).toEqual(ENTITY_WINDOWS.flatMap((n) => [n, n]));
  });

  it('windows with gold −1 (unknown type) get no corruption', () => {
    const captured = captureBatches();
    const m = model(3);
    const groups = parameterGroups(m, false);
    const unknownSplit: EncodedSplit = { ...split, gold: Int32Array.of(-1, 0, 0, 2, 0, 1, 0, 1, 0, -1) };
    const step = new TrainingStep(m, new BatchLoss(null, 1, NO_PENALTY), createOptimizer(groups, SGD), groups, unknownSplit, 10, plan);
    step.run(Int32Array.from({ length: 10 }, (_, i) => i), 0, 10, 0.1, new Rng(3));
    expect(captured[0].rows).toBe(10 + 2 * 3);
    expect(captured[0].pairs.map((p) => p[0])).toEqual([3, 3, 5, 5, 7, 7]);
  });

  it('without a corruption plan the batch is the true windows only', () => {
    const captured = captureBatches();
    const { step } = makeStep(model(3), 10, NO_CORRUPTION);
    step.run(Int32Array.from({ length: 10 }, (_, i) => i), 0, 4, 0.1, new Rng(3));
    expect(captured[0].rows).toBe(4);
    expect(captured[0].pairs).toHaveLength(0);
  });

  it('repeating the same batch (same corruptions) with sgd lr 0.1 lowers the pair loss', () => {
    const m = model(3, 5);
    const { step, loss } = makeStep(m, 10, plan);
    const order = Int32Array.from({ length: 10 }, (_, i) => i);
    const losses: number[] = [];
    for (let k = 0; k < 50; k++) {
      const J = step.run(order, 0, 10, 0.1, new Rng(77)); // the same seed: the same corrupted windows
      losses.push(loss.dataLoss);
      expect(step.lastDataLoss).toBe(loss.dataLoss);
      expect(step.lastPenalty).toBe(0);
      expect(J).toBeCloseTo(loss.dataLoss / 10, 5); // J = data loss / B (+ no penalty)
    }
    // 10 pairs starting near the margin: loss ≈ 10; it must fall clearly
    expect(losses[0]).toBeGreaterThan(5);
    expect(losses[49]).toBeLessThan(0.5 * losses[0]);
    // and mostly monotonically (tiny steps on a fixed batch)
    let increases = 0;
    for (let k = 1; k < 50; k++) if (losses[k] > losses[k - 1] + 1e-6) increases++;
    expect(increases).toBeLessThanOrEqual(5);
  });
});

describe('TrainingStep with corpus negatives (entity detector)', () => {
  const plan: CorruptionPlan = { centreWord: null, corpusNegatives: O_WINDOWS, negatives: 2, pairLabel: 'zero', skipLabel: -1 };

  it('corrupted rows are copies of windows from the list, pairs on label 0', () => {
    const captured = captureBatches();
    const m = model(1);
    const { step } = makeStep(m, 5, plan);
    const order = Int32Array.from(ENTITY_WINDOWS);
    step.run(order, 0, 5, 0.1, new Rng(9));
    const batch = captured[0];
    expect(batch.B).toBe(5);
    expect(batch.rows).toBe(5 + 2 * 5);
    expect(batch.pairs).toHaveLength(10);
    ENTITY_WINDOWS.forEach((i, n) => expect(rowOf(batch.ids, n)).toEqual(windowOf(i)));
    const negatives = Array.from(O_WINDOWS, windowOf);
    const used = new Set<number>();
    for (const [k, [trueRow, corruptRow, label]] of batch.pairs.entries()) {
      expect(label).toBe(0);
      expect(trueRow).toBe(Math.floor(k / 2)); // 2 negatives per true window, in order
      expect(corruptRow).toBe(5 + k);
      const row = rowOf(batch.ids, corruptRow);
      const match = negatives.findIndex((w) => w.every((v, o) => v === row[o]));
      expect(match).toBeGreaterThanOrEqual(0);
      used.add(match);
    }
    // 10 draws from 5 windows: more than one of them is used
    expect(used.size).toBeGreaterThan(1);
  });

  it('with an O window in the batch and skipLabel −1 it is corrupted too (the detector skips nothing)', () => {
    const captured = captureBatches();
    const { step } = makeStep(model(1), 3, plan);
    step.run(Int32Array.of(0, 1, 3), 0, 3, 0.1, new Rng(9));
    expect(captured[0].rows).toBe(3 + 2 * 3);
    expect(captured[0].pairs.every((p) => p[2] === 0)).toBe(true);
  });

  it('both kinds: negatives of each kind per true window', () => {
    const captured = captureBatches();
    const both: CorruptionPlan = { ...plan, centreWord: new UnigramSampler(centreWordCounts(windows, vocab.size)) };
    const { step } = makeStep(model(1), 5, both);
    step.run(Int32Array.from(ENTITY_WINDOWS), 0, 5, 0.1, new Rng(9));
    expect(captured[0].rows).toBe(5 + 2 * 2 * 5);
    expect(captured[0].pairs).toHaveLength(20);
  });

  it('repeating the same batch lowers the pair loss', () => {
    const m = model(1, 6);
    const { step, loss } = makeStep(m, 5, plan);
    const order = Int32Array.from(ENTITY_WINDOWS);
    const losses: number[] = [];
    for (let k = 0; k < 50; k++) {
      step.run(order, 0, 5, 0.1, new Rng(78));
      losses.push(loss.dataLoss);
    }
    expect(losses[49]).toBeLessThan(0.5 * losses[0]);
  });
});

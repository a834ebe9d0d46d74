import { afterEach, describe, expect, it, vi } from 'vitest';
import { AffixVocabulary } from '../../src/data/affixes.js';
import type { EncodedSplit } from '../../src/data/dataset.js';
import { PAD_END_ID, PAD_START_ID, UNK_ID, Vocabulary } from '../../src/data/vocab.js';
import { encodeWindows } from '../../src/data/windows.js';
import type { FloatArray } from '../../src/math/matrix.js';
import { Rng } from '../../src/math/random.js';
import { createScorer } from '../../src/model/create.js';
import { TransitionParams } from '../../src/model/transitions.js';
import type { WindowScorer } from '../../src/model/window-scorer.js';
import { BatchLoss, type WindowBatch } from '../../src/objective/batch-loss.js';
import { centreWordCounts, centreWordOffset, UnigramSampler } from '../../src/objective/corruption.js';
import { Regularizer } from '../../src/objective/regularization.js';
import { SentenceBatchLoss, type SentenceBatch } from '../../src/objective/sentence-batch-loss.js';
import { createOptimizer, type OptimizerOptions } from '../../src/optim/index.js';
import { SentenceStep } from '../../src/train/sentence-step.js';
import { parameterGroups } from '../../src/train/setup.js';
import { NO_CORRUPTION, TrainingStep, type CorruptionPlan } from '../../src/train/step.js';
import { dropWords } from '../../src/train/word-dropout.js';

// Three sentences, every word known, with caps, suffix and prefix columns: 4 tables.
const SENTENCES = [
  { tokens: ['John', 'lives', 'in', 'Paris', '.'], tags: ['B-PER', 'O', 'O', 'B-LOC', 'O'], line: 1 },
  { tokens: ['Mary', 'met', 'Bob', 'in', 'Berlin'], tags: ['B-PER', 'O', 'B-PER', 'O', 'B-LOC'], line: 7 },
  { tokens: ['Rome'], tags: ['B-LOC'], line: 13 },
];
const GOLD = Int32Array.of(1, 0, 0, 2, 0, 1, 0, 1, 0, 2, 2);
const tokens = SENTENCES.flatMap((s) => s.tokens);
const vocab = Vocabulary.fromKeys(tokens);
const suffix = AffixVocabulary.build(tokens, 'suffix', 2, 1);
const prefix = AffixVocabulary.build(tokens, 'prefix', 1, 1);
const windows = encodeWindows(SENTENCES, vocab, { halfWidth: 1, caps: true, norm: { lowercase: false, normalize_digits: false }, suffix, prefix });
const split: EncodedSplit = { path: 'in-memory', sentences: SENTENCES, windows, gold: GOLD };
const T = windows.tables; // word, caps, suffix, prefix
const STRIDE = windows.positions * T; // 3 × 4
const ORIGINAL = Array.from(windows.ids);

const SGD: OptimizerOptions = { name: 'sgd', mu: 0.9, nesterov: false, decay: 0.9, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
const NO_PENALTY = new Regularizer({ l2: 0, l1: 0, l2_embeddings: false, l1_embeddings: false });

function model(): WindowScorer {
  const m = createScorer({
    halfWidth: 1, vocabSize: vocab.size, wordDim: 3, wordsTrainable: true, capsDim: 2,
    suffixRows: suffix.size, suffixDim: 2, prefixRows: prefix.size, prefixDim: 2,
    hidden: 4, labels: 3, activation: 'tanh', leakySlope: 0.01, dropout: 0,
  });
  const rng = new Rng(1);
  for (const t of m.tables) for (let i = 0; i < t.data.length; i++) t.data[i] = rng.range(-0.5, 0.5);
  for (const view of [m.params.W, m.params.U]) for (let i = 0; i < view.length; i++) view[i] = rng.range(-0.5, 0.5);
  return m;
}

function windowStep(p: number, plan: CorruptionPlan = NO_CORRUPTION, batchSize = 11): TrainingStep {
  const m = model();
  const groups = parameterGroups(m, false);
  return new TrainingStep(m, new BatchLoss(null, 1, NO_PENALTY), createOptimizer(groups, SGD), groups, split, batchSize, plan, null, p);
}

function sentenceStep(p: number): SentenceStep {
  const m = model();
  const transitions = new TransitionParams(m.K, 'float32');
  const groups = parameterGroups(m, false, transitions);
  const loss = new SentenceBatchLoss('margin', 1, NO_PENALTY, m.K);
  return new SentenceStep(m, transitions, loss, createOptimizer(groups, SGD), groups, split, 4, null, p);
}

interface Captured {
  ids: number[];
  rows: number;
  B: number;
}

/** Copies each batch the window step hands to its loss (the step reuses its buffers). */
function captureWindowBatches(): Captured[] {
  const captured: Captured[] = [];
  const original = BatchLoss.prototype.evaluate;
  vi.spyOn(BatchLoss.prototype, 'evaluate').mockImplementation(function (
    this: BatchLoss, m: WindowScorer, batch: WindowBatch, train: boolean, withGrad: boolean, dS: FloatArray,
  ): number {
    captured.push({ ids: Array.from(batch.ids.subarray(0, batch.rows * STRIDE)), rows: batch.rows, B: batch.B });
    return original.call(this, m, batch, train, withGrad, dS);
  });
  return captured;
}

function captureSentenceBatches(): Captured[] {
  const captured: Captured[] = [];
  const original = SentenceBatchLoss.prototype.evaluate;
  vi.spyOn(SentenceBatchLoss.prototype, 'evaluate').mockImplementation(function (
    this: SentenceBatchLoss, m: WindowScorer, transitions: TransitionParams, batch: SentenceBatch, train: boolean, withGrad: boolean, dS: FloatArray,
  ): number {
    captured.push({ ids: Array.from(batch.ids.subarray(0, batch.rows * STRIDE)), rows: batch.rows, B: batch.rows });
    return original.call(this, m, transitions, batch, train, withGrad, dS);
  });
  return captured;
}

const windowIds = (i: number): number[] => ORIGINAL.slice(i * STRIDE, (i + 1) * STRIDE);
const isPadding = (id: number): boolean => id === PAD_START_ID || id === PAD_END_ID;

/** Checks row r of a batch against window i: only word columns may differ, and only by becoming <unk>; returns [dropped, droppable]. */
function compareRow(batch: number[], r: number, i: number): [number, number] {
  const row = batch.slice(r * STRIDE, (r + 1) * STRIDE);
  const source = windowIds(i);
  let dropped = 0;
  let droppable = 0;
  for (let o = 0; o < STRIDE; o++) {
    if (o % T !== 0) {
      expect(row[o], `caps/affix column ${o % T}`).toBe(source[o]);
      continue;
    }
    if (isPadding(source[o])) {
      expect(row[o], 'padding').toBe(source[o]);
      continue;
    }
    droppable++;
    if (row[o] !== source[o]) {
      expect(row[o]).toBe(UNK_ID);
      dropped++;
    }
  }
  return [dropped, droppable];
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the test split', () => {
  it('has 11 windows of 3 positions × 4 tables, no <unk> and some padding', () => {
    expect([windows.count, windows.positions, T]).toEqual([11, 3, 4]);
    const words = ORIGINAL.filter((_, o) => o % T === 0);
    expect(words).not.toContain(UNK_ID);
    expect(words.filter(isPadding)).toHaveLength(2 * 3);
  });
});

describe('word dropout in TrainingStep', () => {
  const all = Int32Array.from({ length: 11 }, (_, i) => i);

  it('p = 1: every word of the batch is <unk> except the padding; caps and affixes untouched; the split unchanged', () => {
    const captured = captureWindowBatches();
    windowStep(1).run(all, 0, 11, 0.1, new Rng(3));
    const [batch] = captured;
    for (let n = 0; n < 11; n++) {
      const [dropped, droppable] = compareRow(batch.ids, n, n);
      expect(dropped).toBe(droppable);
    }
    expect(batch.ids.filter((_, o) => o % T === 0).every((id) => id === UNK_ID || isPadding(id))).toBe(true);
    expect(Array.from(windows.ids)).toEqual(ORIGINAL);
  });

  it('p = 0.3: about 30 % of the words are replaced; the split unchanged', () => {
    const captured = captureWindowBatches();
    const step = windowStep(0.3, NO_CORRUPTION, 4);
    const rng = new Rng(11);
    const order = all.slice();
    const members: number[][] = [];
    for (let epoch = 0; epoch < 600; epoch++) {
      rng.shuffle(order);
      for (let start = 0; start < 11; start += 4) {
        const end = Math.min(start + 4, 11);
        members.push(Array.from(order.subarray(start, end)));
        step.run(order, start, end, 0.01, rng);
      }
    }
    let dropped = 0;
    let droppable = 0;
    captured.forEach((batch, k) => {
      members[k].forEach((i, n) => {
        const [d, total] = compareRow(batch.ids, n, i);
        dropped += d;
        droppable += total;
      });
    });
    // 600 epochs × 27 droppable words: the share's standard deviation is about 0.0036.
    expect(droppable).toBe(600 * 27);
    expect(Math.abs(dropped / droppable - 0.3)).toBeLessThan(0.015);
    expect(Array.from(windows.ids)).toEqual(ORIGINAL);
  });

  it('drops before the centre-word corruptions: each corrupted row is its dropped true row with another centre word', () => {
    const captured = captureWindowBatches();
    const plan: CorruptionPlan = {
      centreWord: new UnigramSampler(centreWordCounts(windows, vocab.size)),
      corpusNegatives: null,
      negatives: 1,
      pairLabel: 'gold',
      skipLabel: 0,
    };
    windowStep(0.5, plan).run(all, 0, 11, 0.1, new Rng(5));
    const [batch] = captured;
    const centre = centreWordOffset(windows);
    const entities = Array.from(all).filter((i) => GOLD[i] !== 0);
    expect(batch.rows).toBe(11 + entities.length);
    entities.forEach((n, k) => {
      const trueRow = batch.ids.slice(n * STRIDE, (n + 1) * STRIDE);
      const corrupted = batch.ids.slice((11 + k) * STRIDE, (12 + k) * STRIDE);
      for (let o = 0; o < STRIDE; o++) if (o !== centre) expect(corrupted[o]).toBe(trueRow[o]);
    });
    const dropped = Array.from(all).reduce((sum, n) => sum + compareRow(batch.ids, n, n)[0], 0);
    expect(dropped).toBeGreaterThan(0);
  });

  it('p = 0 draws nothing: the batch is the split and the generator is where it started', () => {
    const captured = captureWindowBatches();
    const rng = new Rng(9);
    windowStep(0).run(all, 0, 11, 0.1, rng);
    expect(captured[0].ids).toEqual(ORIGINAL);
    expect(rng.nextUint32()).toBe(new Rng(9).nextUint32());
  });
});

describe('word dropout in SentenceStep', () => {
  const sentences = Int32Array.of(0, 1, 2);

  it('p = 1: every word of every sentence is <unk> except the padding; the split unchanged', () => {
    const captured = captureSentenceBatches();
    const step = sentenceStep(1);
    const bounds = step.batchBounds(sentences);
    for (let b = 0; b + 1 < bounds.length; b++) step.run(sentences, bounds[b], bounds[b + 1], 0.1, new Rng(b));
    const rows = captured.flatMap((batch) => Array.from({ length: batch.rows }, (_, r) => batch.ids.slice(r * STRIDE, (r + 1) * STRIDE)));
    expect(rows).toHaveLength(11);
    rows.forEach((row, i) => {
      const [dropped, droppable] = compareRow(row, 0, i);
      expect(dropped).toBe(droppable);
    });
    expect(Array.from(windows.ids)).toEqual(ORIGINAL);
  });

  it('p = 0.3 drops some words but not all, and p = 0 draws nothing', () => {
    const captured = captureSentenceBatches();
    const rng = new Rng(4);
    const step = sentenceStep(0.3);
    let dropped = 0;
    for (let k = 0; k < 200; k++) {
      step.run(sentences, 0, 3, 0.01, rng);
      const batch = captured[captured.length - 1];
      for (let r = 0; r < 11; r++) dropped += compareRow(batch.ids, r, r)[0];
    }
    expect(Math.abs(dropped / (200 * 27) - 0.3)).toBeLessThan(0.03);

    const fresh = new Rng(8);
    sentenceStep(0).run(sentences, 0, 3, 0.1, fresh);
    expect(captured[captured.length - 1].ids).toEqual(ORIGINAL);
    expect(fresh.nextUint32()).toBe(new Rng(8).nextUint32());
  });
});

describe('dropWords', () => {
  it('changes only column 0 of the first `rows` windows, and nothing at p = 0', () => {
    const ids = Int32Array.from(ORIGINAL);
    dropWords(ids, 2, windows.positions, T, 1, new Rng(1));
    // Windows 0 and 1 lose their words; the rest of the buffer is untouched.
    expect(Array.from(ids.subarray(2 * STRIDE))).toEqual(ORIGINAL.slice(2 * STRIDE));
    expect([0, 1].map((n) => compareRow(Array.from(ids), n, n))).toEqual([[2, 2], [3, 3]]);
    const untouched = Int32Array.from(ORIGINAL);
    const rng = new Rng(2);
    dropWords(untouched, 11, windows.positions, T, 0, rng);
    expect(Array.from(untouched)).toEqual(ORIGINAL);
    expect(rng.nextUint32()).toBe(new Rng(2).nextUint32());
  });
});

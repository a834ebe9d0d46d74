import { describe, expect, it } from 'vitest';
import { Vocabulary } from '../../src/data/vocab.js';
import { encodeWindows } from '../../src/data/windows.js';
import { Rng } from '../../src/math/random.js';
import { createObjective } from '../../src/objective/index.js';
import { BatchLoss } from '../../src/objective/batch-loss.js';
import { MarginPairs } from '../../src/objective/pairs.js';
import { Regularizer } from '../../src/objective/regularization.js';
import { setupTraining } from '../../src/train/setup.js';
import {
  benchConfig,
  CONLL_LABEL_COUNTS,
  CONLL_LABELS,
  FIRST_WORD,
  gamma,
  PEER_WORKLOAD,
  syntheticCorpus,
  syntheticData,
  type ModelChoice,
} from '../../scripts/lib/bench-workload.js';

const MAIN: ModelChoice = { batch: 32, loss: 'hinge', optim: 'adam', act: 'tanh', threads: 1 };

describe('syntheticCorpus', () => {
  it('lays windows out exactly as encodeWindows does for the same sentences', () => {
    const vocab = 500;
    const { windows } = syntheticCorpus(3000, vocab, 2, 7);
    // The centre word of every window, cut at the sentence starts, is the corpus as text.
    const centre = (n: number): number => windows.ids[n * windows.positions + 2];
    const sentences = [];
    for (let s = 0; s + 1 < windows.sentenceStarts.length; s++) {
      const tokens: string[] = [];
      for (let n = windows.sentenceStarts[s]; n < windows.sentenceStarts[s + 1]; n++) tokens.push(`w${centre(n)}`);
      sentences.push({ tokens });
    }
    const words = Vocabulary.fromKeys(Array.from({ length: vocab - FIRST_WORD }, (_, r) => `w${FIRST_WORD + r}`));
    const encoded = encodeWindows(sentences, words, { halfWidth: 2, caps: false, norm: { lowercase: true, normalize_digits: false } });
    expect(encoded.count).toBe(3000);
    expect(encoded.positions).toBe(5);
    expect(encoded.tables).toBe(1);
    expect(Array.from(encoded.sentenceStarts)).toEqual(Array.from(windows.sentenceStarts));
    expect(Buffer.from(encoded.ids.buffer).equals(Buffer.from(windows.ids.buffer))).toBe(true);
  });

  it('draws the peers\' distributions: CoNLL label shares, sentence lengths, Zipf word ranks', () => {
    const N = PEER_WORKLOAD.tokens;
    const { windows, gold } = syntheticCorpus(N, PEER_WORKLOAD.vocab, 2, 1234);
    const total = Object.values(CONLL_LABEL_COUNTS).reduce((a, b) => a + b, 0);
    const counts = new Array<number>(CONLL_LABELS.size).fill(0);
    for (const y of gold) counts[y]++;
    CONLL_LABELS.labels.forEach((label, y) => expect(Math.abs(counts[y] / N - CONLL_LABEL_COUNTS[label] / total)).toBeLessThan(0.003));
    expect(counts[0] / N).toBeCloseTo(0.83, 2);

    const starts = windows.sentenceStarts;
    const lengths = Array.from({ length: starts.length - 1 }, (_, s) => starts[s + 1] - starts[s]);
    expect(lengths.reduce((a, b) => a + b, 0)).toBe(N);
    expect(Math.min(...lengths)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(113);
    // gamma(1.6, 9) has mean 14.4; rounding and the clamp at 1 keep it near 14.5.
    expect(N / lengths.length).toBeGreaterThan(14);
    expect(N / lengths.length).toBeLessThan(15);

    // O words keep the identity permutation: rank r is row FIRST_WORD + r, with p ∝ 1/(r+1).
    let oTokens = 0;
    const oFirst = [0, 0];
    for (let n = 0; n < N; n++) {
      if (gold[n] !== 0) continue;
      oTokens++;
      const word = windows.ids[n * 5 + 2];
      if (word === FIRST_WORD) oFirst[0]++;
      if (word === FIRST_WORD + 1) oFirst[1]++;
    }
    let harmonic = 0;
    for (let r = 1; r <= PEER_WORKLOAD.vocab - FIRST_WORD; r++) harmonic += 1 / r;
    expect(oFirst[0] / oTokens).toBeCloseTo(1 / harmonic, 2);
    expect(oFirst[1] / oFirst[0]).toBeCloseTo(0.5, 1);
    // Entity labels use other permutations: their most frequent word is not O's.
    const firstOfLabel1 = new Map<number, number>();
    for (let n = 0; n < N; n++) if (gold[n] === 1) firstOfLabel1.set(windows.ids[n * 5 + 2], (firstOfLabel1.get(windows.ids[n * 5 + 2]) ?? 0) + 1);
    const top = [...firstOfLabel1.entries()].sort((a, b) => b[1] - a[1])[0][0];
    expect(top).not.toBe(FIRST_WORD);
    // Padding only at the sentence edges: the first token of a sentence has <s> <s> on its left.
    expect(windows.ids[0]).toBe(1);
    expect(windows.ids[1]).toBe(1);
  });

  it('is fixed by its seed', () => {
    const a = syntheticCorpus(5000, 1000, 2, 3);
    const b = syntheticCorpus(5000, 1000, 2, 3);
    const c = syntheticCorpus(5000, 1000, 2, 4);
    expect(Array.from(a.windows.ids)).toEqual(Array.from(b.windows.ids));
    expect(Array.from(a.gold)).toEqual(Array.from(b.gold));
    expect(Array.from(a.windows.ids)).not.toEqual(Array.from(c.windows.ids));
  });

  it('rejects sizes that make no corpus', () => {
    expect(() => syntheticCorpus(0, 100, 2, 1)).toThrow(/tokens/);
    expect(() => syntheticCorpus(10, 3, 2, 1)).toThrow(/vocab/);
  });
});

describe('gamma', () => {
  it('has the mean shape·scale and variance shape·scale²', () => {
    const rng = new Rng(5);
    const n = 50_000;
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < n; i++) {
      const x = gamma(rng, 1.6, 9);
      sum += x;
      squares += x * x;
    }
    const mean = sum / n;
    expect(mean).toBeCloseTo(14.4, 0);
    expect(squares / n - mean * mean).toBeGreaterThan(0.9 * 1.6 * 81);
    expect(squares / n - mean * mean).toBeLessThan(1.1 * 1.6 * 81);
  });
});

describe('benchConfig + setupTraining', () => {
  const small = { ...PEER_WORKLOAD, tokens: 2000 };

  it('builds the peers\' network: d = 50 words only, window 5, D = 250, H = 300, K = 9, V = 20,000', () => {
    const config = benchConfig(small, MAIN);
    const setup = setupTraining(config, syntheticData(small), new Rng(config.seed));
    const { model } = setup;
    expect([model.D, model.H, model.K, model.positions]).toEqual([250, 300, 9, 5]);
    expect(model.tables.map((t) => [t.name, t.rows, t.dim, t.trainable])).toEqual([['word', 20_000, 50, true]]);
    expect(model.dropout).toBe(0.5);
    expect(setup.trainOrder.length).toBe(2000);
    // Embeddings start uniform in ±0.5, as nn.init.uniform_(-0.5, 0.5).
    let largest = 0;
    for (const x of model.tables[0].data) largest = Math.max(largest, Math.abs(x));
    expect(largest).toBeLessThanOrEqual(0.5);
    expect(largest).toBeGreaterThan(0.49);
    expect(config.objective).toMatchObject({ loss: 'max-margin', reduction: 'sum', margin: 1, corruption: 'label' });
    expect(config.optimizer).toMatchObject({ name: 'adam', lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, clip_norm: null });
    expect(benchConfig(small, { ...MAIN, optim: 'adagrad', loss: 'softmax', act: 'relu' })).toMatchObject({
      optimizer: { name: 'adagrad', lr: 1e-2, eps: 1e-10 },
      objective: { loss: 'softmax' },
      model: { activation: 'relu' },
    });
  });

  it('penalises W and U with the peers\' gradient λ·W (their (λ/2)‖W‖²), and nothing else', () => {
    const config = benchConfig(small, MAIN);
    const setup = setupTraining(config, syntheticData(small), new Rng(1));
    const { model } = setup;
    model.zeroGrad();
    new Regularizer(config.regularization).apply(model, true);
    for (let i = 0; i < model.params.W.length; i += 997) expect(model.grads.W[i]).toBeCloseTo(PEER_WORKLOAD.l2 * model.params.W[i], 9);
    for (let i = 0; i < model.params.U.length; i += 31) expect(model.grads.U[i]).toBeCloseTo(PEER_WORKLOAD.l2 * model.params.U[i], 9);
    expect(model.grads.b.every((g) => g === 0)).toBe(true);
  });

  it('trains on the mean Weston–Watkins hinge over the minibatch, as the peers\' loss', () => {
    const config = benchConfig(small, MAIN);
    const data = syntheticData(small);
    const setup = setupTraining(config, data, new Rng(1));
    const { model } = setup;
    const B = 8;
    const ids = data.train.windows.ids.subarray(0, B * 5);
    const gold = data.train.gold.subarray(0, B);
    const S = Float32Array.from(model.forward(ids, B, false));
    let summed = 0;
    for (let n = 0; n < B; n++) for (let k = 0; k < 9; k++) if (k !== gold[n]) summed += Math.max(0, 1 + S[n * 9 + k] - S[n * 9 + gold[n]]);
    const loss = new BatchLoss(createObjective({ ...config.objective }), 1, new Regularizer({ l2: 0, l1: 0, l2_embeddings: false, l1_embeddings: false }));
    const J = loss.evaluate(model, { ids, rows: B, B, gold, pairs: new MarginPairs(0) }, false, false, new Float32Array(B * 9));
    expect(J).toBeCloseTo(summed / B, 4);
  });

  it('passes the thread count through the config', () => {
    expect(benchConfig(small, { ...MAIN, threads: 2 }).training).toMatchObject({ threads: 2, batch_size: 32 });
  });
});

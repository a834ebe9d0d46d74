import { describe, expect, it } from 'vitest';
import type { BenchCase, TimingOptions } from '../../scripts/lib/bench-args.js';
import { runCase } from '../../scripts/lib/bench-case.js';
import { BenchRecordSchema } from '../../scripts/lib/bench-report.js';

const TRAIN: BenchCase = { threads: 1, mode: 'train', batch: 32, loss: 'hinge', optim: 'adam', act: 'tanh' };
const TIMING: TimingOptions = { reps: 2, warmupSteps: 2, maxSeconds: 60, tokens: 640, seed: 3 };
const quiet = (): void => undefined;

describe('runCase (a tiny corpus, in this process)', () => {
  it('times whole epochs and reports the peers\' fields', () => {
    const record = runCase(TRAIN, TIMING, { plainForward: false }, quiet);
    expect(BenchRecordSchema.parse(record)).toBeTruthy();
    expect(record).toMatchObject({ impl: 'ner-train', threads: 1, batch: 32, mode: 'train', loss: 'hinge', optim: 'adam', embedding: 'sparse', tokens_timed: 640, extrapolated: false, n_tokens: 640, vocab: 20_000, dim: 50, window: 5, hidden: 300, classes: 9, threads_applied: true, scorer: null });
    expect(record.tokens_per_s_reps).toHaveLength(2);
    expect(record.tokens_per_s).toBeGreaterThan(0);
    expect(record.epoch_s).toBeCloseTo(640 / record.tokens_per_s, 2);
    expect(['wasm', 'plain']).toContain(record.kernel);
    expect(Number.isFinite(record.eval_loss)).toBe(true);
    expect(record.peak_rss_mb).toBeGreaterThan(0);
  });

  it('times only the first steps of an epoch that would run past maxSeconds, and says so', () => {
    const record = runCase({ ...TRAIN, loss: 'softmax', optim: 'adagrad', act: 'relu' }, { ...TIMING, reps: 1, maxSeconds: 1e-9 }, { plainForward: false }, quiet);
    expect(record).toMatchObject({ tokens_timed: 32, extrapolated: true, loss: 'softmax', optim: 'adagrad', act: 'relu' });
    expect(record.epoch_s).toBeCloseTo(640 / record.tokens_per_s, 2);
  });

  it('tags with the pre-computation tables or the plain forward pass', () => {
    const predict: BenchCase = { threads: 1, mode: 'predict', batch: 256, loss: null, optim: null, act: 'tanh' };
    for (const plainForward of [false, true]) {
      const record = runCase(predict, { ...TIMING, tokens: 3000, reps: 1 }, { plainForward }, quiet);
      expect(record).toMatchObject({ mode: 'predict', loss: null, optim: null, embedding: null, eval_loss: null, tokens_timed: 3000, scorer: plainForward ? 'plain' : 'precomputed' });
    }
  });
});

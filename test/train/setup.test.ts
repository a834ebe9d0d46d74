import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { prepareData, type PreparedData } from '../../src/data/dataset.js';
import { Rng } from '../../src/math/random.js';
import { preprocessForward, preprocessKernel } from '../../src/model/preprocess.js';
import type { WindowScorer } from '../../src/model/window-scorer.js';
import { O_LABEL, parameterGroups, setupTraining } from '../../src/train/setup.js';

const ROOT = join(import.meta.dirname, '../..');

async function configWith(sets: string[]): Promise<Config> {
  return (await loadConfig({ file: join(ROOT, 'configs/default.yaml'), sets })).config;
}

let data: PreparedData;
let dataNoCaps: PreparedData;
beforeAll(async () => {
  data = await prepareData(await configWith([]));
  dataNoCaps = await prepareData(await configWith(['features.caps.dim=0']));
});

/** The model's inputs x' = A(x − μ) for every window of a split, as float64 rows. */
function preprocessedInputs(model: WindowScorer, windows: { ids: Int32Array; count: number }): Float64Array {
  const N = windows.count;
  const X = Float64Array.from(model.gatherInputs(windows.ids, N));
  const p = model.inputPreprocessor;
  if (!p) return X;
  const out = new Float64Array(N * model.D);
  preprocessForward(preprocessKernel(p, 'float64'), X, out, N, new Float64Array(N * model.D));
  return out;
}

function moments(X: Float64Array, N: number, D: number): { mean: Float64Array; cov: Float64Array } {
  const mean = new Float64Array(D);
  for (let n = 0; n < N; n++) for (let d = 0; d < D; d++) mean[d] += X[n * D + d] / N;
  const cov = new Float64Array(D * D);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < D; i++) {
      const a = X[n * D + i] - mean[i];
      for (let j = 0; j < D; j++) cov[i * D + j] += (a * (X[n * D + j] - mean[j])) / N;
    }
  }
  return { mean, cov };
}

describe('input preprocessing fitted on the training windows', () => {
  it('center: the training inputs have mean 0; dev inputs keep their own, nonzero mean (no refit)', async () => {
    const setup = setupTraining(await configWith(['preprocess.mode=center']), data, new Rng(1));
    const { model } = setup;
    const train = moments(preprocessedInputs(model, data.train.windows), data.train.windows.count, model.D);
    expect(Math.max(...train.mean.map(Math.abs))).toBeLessThan(1e-6);
    const dev = data.dev?.windows;
    if (!dev) throw new Error('default config has dev data');
    const devMoments = moments(preprocessedInputs(model, dev), dev.count, model.D);
    expect(Math.max(...devMoments.mean.map(Math.abs))).toBeGreaterThan(1e-3);
  });

  it('standardize: mean 0 and variance 1 in every dimension (eps tiny)', async () => {
    const setup = setupTraining(await configWith(['preprocess.mode=standardize', 'preprocess.eps=1e-12']), data, new Rng(1));
    const { model } = setup;
    const { mean, cov } = moments(preprocessedInputs(model, data.train.windows), data.train.windows.count, model.D);
    for (let d = 0; d < model.D; d++) {
      expect(Math.abs(mean[d])).toBeLessThan(1e-6);
      expect(Math.abs(cov[d * model.D + d] - 1)).toBeLessThan(1e-3);
    }
  });

  it('whiten: identity covariance to 1e-3 (words only, frozen: a full-rank window distribution)', async () => {
    const config = await configWith(['features.caps.dim=0', 'preprocess.mode=whiten', 'preprocess.eps=1e-12']);
    const setup = setupTraining(config, dataNoCaps, new Rng(1));
    const { model } = setup;
    const { mean, cov } = moments(preprocessedInputs(model, dataNoCaps.train.windows), dataNoCaps.train.windows.count, model.D);
    let worst = 0;
    for (let i = 0; i < model.D; i++) {
      expect(Math.abs(mean[i])).toBeLessThan(1e-6);
      for (let j = 0; j < model.D; j++) worst = Math.max(worst, Math.abs(cov[i * model.D + j] - (i === j ? 1 : 0)));
    }
    expect(worst).toBeLessThan(1e-3);
  });

  it('fits on a seeded sample of at most preprocess.fit_windows windows', async () => {
    const few = await configWith(['preprocess.mode=center', 'preprocess.fit_windows=300']);
    const a = setupTraining(few, data, new Rng(1)).preprocessor;
    const b = setupTraining(few, data, new Rng(1)).preprocessor;
    const all = setupTraining(await configWith(['preprocess.mode=center']), data, new Rng(1)).preprocessor;
    expect(Array.from(a.mean)).toEqual(Array.from(b.mean));
    expect(Array.from(a.mean)).not.toEqual(Array.from(all.mean));
  });

  it('mode none leaves the scorer without preprocessing and draws nothing extra', async () => {
    const rngA = new Rng(1);
    const rngB = new Rng(1);
    setupTraining(await configWith([]), data, rngA);
    setupTraining(await configWith(['preprocess.mode=whiten']), data, rngB);
    // Preprocessing draws from its own stream: the main stream is where it was.
    expect(rngA.uniform()).toBe(rngB.uniform());
  });
});

describe('parameter groups and the schedule', () => {
  it('fan-in scaling divides the rate of W, b by √D and of U, c by √H; tables keep the base rate', async () => {
    const setup = setupTraining(await configWith([]), data, new Rng(1));
    const { model } = setup;
    const scaled = parameterGroups(model, true);
    expect(scaled.dense.map((s) => [s.name, s.lrScale])).toEqual([
      ['W', 1 / Math.sqrt(model.D)],
      ['b', 1 / Math.sqrt(model.D)],
      ['U', 1 / Math.sqrt(model.H)],
      ['c', 1 / Math.sqrt(model.H)],
    ]);
    expect(parameterGroups(model, false).dense.every((s) => s.lrScale === 1)).toBe(true);
    expect(scaled.tables.map((t) => t.table.name)).toEqual(['word', 'caps']);
    expect(model.D).toBe(5 * (25 + 5));
  });

  it('frozen word vectors are not in the optimiser groups', async () => {
    const setup = setupTraining(await configWith(['embeddings.trainable=false']), data, new Rng(1));
    expect(parameterGroups(setup.model, false).tables.map((t) => t.table.name)).toEqual(['caps']);
  });

  it('the schedule counts epochs or steps as schedule.unit says', async () => {
    const byEpoch = setupTraining(await configWith(['schedule.name=exponential', 'schedule.k=0.5']), data, new Rng(1));
    expect(byEpoch.learningRate(1000, 0)).toBe(0.05);
    expect(byEpoch.learningRate(1000, 2)).toBeCloseTo(0.05 * Math.exp(-1), 15);
    const byStep = setupTraining(await configWith(['schedule.name=exponential', 'schedule.k=0.5', 'schedule.unit=steps']), data, new Rng(1));
    expect(byStep.learningRate(4, 9)).toBeCloseTo(0.05 * Math.exp(-2), 15);
  });
});

describe('the entity detector', () => {
  it('has one score and trains on exactly the windows centred on entity words', async () => {
    const setup = setupTraining(await configWith(['task=entity-detector']), data, new Rng(1));
    expect(setup.model.K).toBe(1);
    const expected = Array.from(data.train.gold.keys()).filter((i) => data.train.gold[i] > O_LABEL);
    expect(Array.from(setup.trainOrder)).toEqual(expected);
    const tags = data.train.sentences.flatMap((s) => s.tags);
    expect(expected.every((i) => tags[i] !== 'O')).toBe(true);
    expect(expected.length).toBe(tags.filter((t) => t !== 'O').length);
  });
});

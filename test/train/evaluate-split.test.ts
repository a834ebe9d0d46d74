import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { prepareData, type EncodedSplit } from '../../src/data/dataset.js';
import { decodeLabelIds, GREEDY } from '../../src/decode/decoder.js';
import { scoreDetector } from '../../src/eval/detector.js';
import { Rng } from '../../src/math/random.js';
import { DEFAULT_MIN_WINDOWS } from '../../src/model/precompute.js';
import { predictScores, sentenceTags } from '../../src/model/predict.js';
import { evaluateDetectorSplit, evaluateSplit } from '../../src/train/evaluate-split.js';
import { setupTraining } from '../../src/train/setup.js';

const ROOT = join(import.meta.dirname, '../..');

describe('dev evaluation during training goes through fresh pre-computation tables', () => {
  it('gives the plain path\'s tags and scores, and follows parameter changes between evaluations', async () => {
    const sets = ['preprocess.mode=standardize', 'features.suffix.length=3'];
    const { config } = await loadConfig({ file: join(ROOT, 'configs/default.yaml'), sets });
    const data = await prepareData(config);
    const setup = setupTraining(config, data, new Rng(3));
    const dev = data.dev as EncodedSplit;
    // 2,422 windows: enough for the tables to be built.
    expect(dev.windows.count).toBeGreaterThan(DEFAULT_MIN_WINDOWS);
    const plain = (): string[][] => sentenceTags(decodeLabelIds(setup.model, dev.windows, 512, GREEDY), dev.windows.sentenceStarts, data.labels, data.scheme);
    const first = evaluateSplit(setup.model, dev, data.labels, data.scheme, 512);
    expect(first.predicted).toEqual(plain());
    // A training step changes W: the next evaluation must see it (no tables kept from the last).
    const rng = new Rng(4);
    for (let i = 0; i < setup.model.params.W.length; i++) setup.model.params.W[i] += 0.3 * rng.normal();
    const second = evaluateSplit(setup.model, dev, data.labels, data.scheme, 512);
    expect(second.predicted).toEqual(plain());
    expect(second.predicted).not.toEqual(first.predicted);
  });

  it('scores the entity detector the same way', async () => {
    const { config } = await loadConfig({ file: join(ROOT, 'configs/default.yaml'), sets: ['task=entity-detector'] });
    const data = await prepareData(config);
    const setup = setupTraining(config, data, new Rng(5));
    const dev = data.dev as EncodedSplit;
    const isEntity = dev.sentences.flatMap((s) => s.tags.map((tag) => tag !== 'O'));
    const expected = scoreDetector(predictScores(setup.model, dev.windows, 512), isEntity, 0.1);
    expect(evaluateDetectorSplit(setup.model, dev, 0.1, 512)).toEqual(expected);
  });
});

import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluate } from '../../src/api/evaluate.js';
import { Tagger } from '../../src/api/tagger.js';
import { loadCheckpoint } from '../../src/checkpoint/checkpoint.js';
import { loadConfig } from '../../src/config/load.js';
import { readConllFile, type Sentence } from '../../src/data/conll.js';
import { PrecomputedScorer } from '../../src/model/precompute.js';
import { train } from '../../src/train/trainer.js';
import { useTempFolder } from '../data/helpers.js';

/**
 * The pre-computation tables through the Tagger and evaluate(), on checkpoints trained on
 * the shipped sample: the tags must be the plain path's, token for token.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const DEV = join(ROOT, 'data/dev.txt');
const tmp = useTempFolder('ner-train-precompute');

let plainRun = '';
let whitenedRun = '';
let dev: Sentence[] = [];

async function trainSample(name: string, sets: string[]): Promise<string> {
  const { config } = await loadConfig({ file: join(ROOT, 'configs/default.yaml'), sets: [...sets, `output.dir=${tmp.path(name)}`], cwd: ROOT });
  await train(config);
  return join(tmp.path(name), 'model-best');
}

beforeAll(async () => {
  dev = await readConllFile(DEV);
  // A few epochs are enough: the scores need to be varied, not good.
  plainRun = await trainSample('plain', ['training.epochs=3']);
  // Whitening in front of W, and every feature table: caps, suffix, prefix.
  whitenedRun = await trainSample('whitened', ['training.epochs=2', 'preprocess.mode=whiten', 'features.suffix.length=3', 'features.prefix.length=2']);
}, 300_000);

describe('Tagger with the pre-computation tables', () => {
  it('tags the sample dev set exactly as the plain forward pass, for every decoding', async () => {
    for (const dir of [plainRun, whitenedRun]) {
      const checkpoint = await loadCheckpoint(dir);
      for (const decode of ['greedy', 'constrained'] as const) {
        const plain = new Tagger(checkpoint, 512, decode, false).tag(dev);
        const tagger = new Tagger(checkpoint, 512, decode);
        const tables = tagger.tag(dev);
        expect(tagger.scorer).toBeInstanceOf(PrecomputedScorer);
        // 2,422 tokens: past the default threshold, so the tables were built and used.
        expect((tagger.scorer as PrecomputedScorer).built).toBe(true);
        expect(tables).toEqual(plain);
        // Not a degenerate model: several tag types were predicted.
        expect(new Set(tables.flat()).size).toBeGreaterThan(3);
        // Batch sizes that split sentences and passes differently give the same tags.
        expect(new Tagger(checkpoint, 37, decode, { minWindows: 0, budgetBytes: 100_000 }).tag(dev)).toEqual(plain);
      }
    }
  });

  it('builds no tables for a short sentence, and tags it the same', async () => {
    const checkpoint = await loadCheckpoint(plainRun);
    const tagger = new Tagger(checkpoint);
    const sentence = [{ tokens: ['Messarko', 'Dirzolov', 'flew', 'to', 'Ostrava', 'on', 'Monday', '.'] }];
    expect(tagger.tag(sentence)).toEqual(new Tagger(checkpoint, 512, undefined, false).tag(sentence));
    const scorer = tagger.scorer as PrecomputedScorer;
    expect(scorer.built).toBe(false);
    expect(scorer.bytes).toBe(0);
  });

  it('evaluate() reports the same scores with and without the tables', async () => {
    for (const dir of [plainRun, whitenedRun]) {
      const withTables = await evaluate({ checkpoint: dir, data: DEV });
      const plain = await evaluate({ checkpoint: dir, data: DEV, precompute: false });
      expect(withTables).toEqual(plain);
    }
  });
});

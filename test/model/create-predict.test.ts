import { describe, expect, it } from 'vitest';
import { CAPS_CLASSES } from '../../src/data/caps.js';
import type { EncodedWindows } from '../../src/data/windows.js';
import { Rng } from '../../src/math/random.js';
import { createScorer, type ModelSpec } from '../../src/model/create.js';
import { predictLabelIds } from '../../src/model/predict.js';
import { xavierInit } from '../../src/model/params.js';

const SPEC: ModelSpec = {
  halfWidth: 2, vocabSize: 13, wordDim: 4, wordsTrainable: false, capsDim: 3,
  suffixRows: 0, suffixDim: 0, prefixRows: 0, prefixDim: 0,
  hidden: 8, labels: 5, activation: 'leaky-relu', leakySlope: 0.2, dropout: 0.1,
};

describe('createScorer', () => {
  it('builds word and caps tables and the dense shapes from the spec', () => {
    const model = createScorer(SPEC, 'float64');
    expect(model.positions).toBe(5);
    expect(model.tables.map((t) => [t.name, t.rows, t.dim, t.trainable])).toEqual([
      ['word', 13, 4, false],
      ['caps', CAPS_CLASSES.length, 3, true],
    ]);
    expect(model.P).toBe(7);
    expect(model.D).toBe(35);
    expect([model.H, model.K]).toEqual([8, 5]);
    expect(model.params.data.length).toBe(8 * 35 + 8 + 5 * 8 + 5);
    expect(Array.from(model.params.data).every((v) => v === 0)).toBe(true);
    expect(model.dtype).toBe('float64');
    expect(model.params.data).toBeInstanceOf(Float64Array);
    expect(model.dropout).toBe(0.1);
    // the leaky slope reaches the activation: f(−1) = −0.2
    const a = new Float64Array(1);
    model.activation.forward(a, Float64Array.of(-1), 1);
    expect(a[0]).toBeCloseTo(-0.2, 15);
  });

  it('capsDim 0 means no caps table; float32 is the default', () => {
    const model = createScorer({ ...SPEC, capsDim: 0 });
    expect(model.tables.map((t) => t.name)).toEqual(['word']);
    expect(model.D).toBe(5 * 4);
    expect(model.params.data).toBeInstanceOf(Float32Array);
  });

  it('adds suffix and prefix tables after caps, in the column order of EncodedWindows', () => {
    const model = createScorer({ ...SPEC, suffixRows: 7, suffixDim: 2, prefixRows: 9, prefixDim: 5 });
    expect(model.tables.map((t) => [t.name, t.rows, t.dim, t.trainable])).toEqual([
      ['word', 13, 4, false],
      ['caps', CAPS_CLASSES.length, 3, true],
      ['suffix', 7, 2, true],
      ['prefix', 9, 5, true],
    ]);
    expect(model.P).toBe(4 + 3 + 2 + 5);
    expect(model.D).toBe(5 * 14);
    const prefixOnly = createScorer({ ...SPEC, capsDim: 0, prefixRows: 9, prefixDim: 5 });
    expect(prefixOnly.tables.map((t) => t.name)).toEqual(['word', 'prefix']);
  });
});

describe('predictLabelIds', () => {
  it('gives the argmax of each window, the same for every batch size', () => {
    const model = createScorer({ ...SPEC, wordsTrainable: true }, 'float64');
    const rng = new Rng(12);
    xavierInit(model.params, rng);
    for (const t of model.tables) for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal();
    for (let i = 0; i < model.params.c.length; i++) model.params.c[i] = rng.normal();
    const count = 23;
    const stride = model.positions * 2;
    const ids = new Int32Array(count * stride);
    for (let i = 0; i < ids.length; i++) ids[i] = rng.int(model.tables[i % 2].rows);
    const windows: EncodedWindows = { ids, count, positions: model.positions, tables: 2, sentenceStarts: Int32Array.of(0, count) };

    const S = Array.from(model.forward(ids, count, false));
    const expected = Array.from({ length: count }, (_, n) => {
      const row = S.slice(n * model.K, (n + 1) * model.K);
      return row.indexOf(Math.max(...row));
    });
    expect(new Set(expected).size).toBeGreaterThan(1);
    for (const batch of [1, 4, 7, 23, 100]) expect(Array.from(predictLabelIds(model, windows, batch))).toEqual(expected);
  });

  it('ties go to the lowest label id', () => {
    const model = createScorer({ ...SPEC, capsDim: 0 }, 'float64');
    // All-zero parameters except c = [1, 3, 3, 0, 3]: every window scores c.
    model.params.c.set([1, 3, 3, 0, 3]);
    const windows: EncodedWindows = { ids: new Int32Array(2 * 5), count: 2, positions: 5, tables: 1, sentenceStarts: Int32Array.of(0, 2) };
    expect(Array.from(predictLabelIds(model, windows, 8))).toEqual([1, 1]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getActivation, type ActivationName } from '../../src/math/activations.js';
import { kernelFloats, kernelInt32s } from '../../src/math/kernels/wasm-gemm.js';
import { stepChunkStats } from '../../src/math/kernels/step-kernels.js';
import { setKernelSplitting, setKernelThreads, waitForKernelThreads } from '../../src/math/gemm.js';
import { Rng } from '../../src/math/random.js';
import { createTable } from '../../src/model/embedding.js';
import { xavierInit } from '../../src/model/params.js';
import { WindowScorer } from '../../src/model/window-scorer.js';
import { pass, type Pass } from './scorer-pass.js';

/**
 * The fused training step (wat-step.ts: forward rows, backward rows, ∂W columns as chunks)
 * against the same passes kernel by kernel, which the scorer takes when the window ids and
 * ∂S live on the JavaScript heap: bit for bit, on one thread and split across two, with
 * and without dropout, with trainable and frozen tables, at batch sizes that leave a
 * fringe of rows and columns.
 */

const VOCAB = 300;

function scorer(rng: Rng, activation: ActivationName, dropout: number, trainableWords: boolean): WindowScorer {
  const words = createTable('word', VOCAB, 50, 'float32', trainableWords);
  const caps = createTable('caps', 4, 5, 'float32', true);
  for (const t of [words, caps]) for (let i = 0; i < t.data.length; i++) t.data[i] = rng.range(-1, 1);
  // D = 5·55 = 275 (not a multiple of the ∂W column blocks), H = 300, K = 9.
  const model = new WindowScorer({ positions: 5, tables: [words, caps], hidden: 300, labels: 9, activation: getActivation(activation, 0.1), dropout, dtype: 'float32' });
  xavierInit(model.params, rng);
  for (let i = 0; i < model.params.b.length; i++) model.params.b[i] = rng.range(-0.1, 0.1);
  return model;
}

function expectBitwise(a: Float32Array, b: Float32Array): void {
  expect(a.length).toBe(b.length);
  const same = Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
  if (!same) {
    const i = a.findIndex((v, k) => !Object.is(v, b[k]));
    expect.fail(`first difference at ${i}: ${a[i]} vs ${b[i]}`);
  }
}

function expectSamePass(fused: Pass, plain: Pass): void {
  expectBitwise(fused.S, plain.S);
  expectBitwise(fused.grads, plain.grads);
  for (let t = 0; t < plain.tables.length; t++) {
    expect(Array.from(fused.rows[t])).toEqual(Array.from(plain.rows[t]));
    expectBitwise(fused.tables[t], plain.tables[t]);
  }
}

beforeAll(() => setKernelSplitting('always'));

afterAll(() => {
  setKernelThreads(1);
  setKernelSplitting('adaptive');
});

describe('fused training step', () => {
  for (const B of [1, 6, 33, 256]) {
    for (const dropout of [0, 0.3]) {
      for (const trainableWords of [true, false]) {
        it(`B = ${B}, dropout ${dropout}, ${trainableWords ? 'trainable' : 'frozen'} words: the same bits as the kernel-by-kernel pass, on one thread and on two`, () => {
          const rng = new Rng(7 * B + (dropout > 0 ? 1 : 0) + (trainableWords ? 2 : 0));
          const model = scorer(rng, 'tanh', dropout, trainableWords);
          const heapIds = new Int32Array(B * 5 * 2);
          for (let i = 0; i < heapIds.length; i += 2) {
            heapIds[i] = rng.int(VOCAB);
            heapIds[i + 1] = rng.int(4);
          }
          const ids = kernelInt32s(heapIds.length);
          ids.set(heapIds);
          const heapDS = Float32Array.from({ length: B * 9 }, () => rng.range(-1, 1));
          const dS = kernelFloats(heapDS.length);
          dS.set(heapDS);
          const mask = dropout > 0 ? Float32Array.from({ length: B * 300 }, () => (rng.uniform() < dropout ? 0 : 1 / (1 - dropout))) : null;

          setKernelThreads(1);
          const plain = pass(model, heapIds, B, mask, heapDS);
          const before = stepChunkStats();
          const one = pass(model, ids, B, mask, dS);
          // Forward, backward rows and ∂W: three fused passes.
          expect(stepChunkStats().passes - before.passes).toBe(3);
          expectSamePass(one, plain);

          setKernelThreads(2);
          expect(waitForKernelThreads(20_000)).toBe(true);
          const splits = stepChunkStats().splits;
          const two = pass(model, ids, B, mask, dS);
          if (B >= 33) expect(stepChunkStats().splits).toBeGreaterThan(splits);
          expectSamePass(two, plain);
        });
      }
    }
  }

  it('falls back to the kernel-by-kernel pass for activations other than tanh', () => {
    const rng = new Rng(5);
    const model = scorer(rng, 'relu', 0, true);
    const ids = kernelInt32s(32 * 10);
    for (let i = 0; i < ids.length; i += 2) {
      ids[i] = rng.int(VOCAB);
      ids[i + 1] = rng.int(4);
    }
    const before = stepChunkStats().passes;
    model.forward(ids, 32, true);
    expect(stepChunkStats().passes).toBe(before);
  });
});

import { describe, expect, it } from 'vitest';
import { FreeList } from '../../src/math/kernels/kernel-memory.js';
import { kernelFloats } from '../../src/math/kernels/wasm-gemm.js';
import { activeKernels } from '../../src/math/kernels/wasm-gemm.js';
import { gemm } from '../../src/math/gemm.js';

describe('FreeList: first-fit blocks that merge when released', () => {
  it('places blocks one after another, reuses a released one, merges neighbours, and gives the top back', () => {
    const grown: number[] = [];
    const list = new FreeList(64, (end) => (grown.push(end), true));
    const a = list.take(64);
    const b = list.take(128);
    const c = list.take(64);
    expect([a, b, c]).toEqual([64, 128, 256]);
    expect(grown).toEqual([128, 256, 320]);
    list.release(b, b + 128);
    expect(list.ranges).toEqual([{ start: 128, end: 256 }]);
    // First fit: a smaller block goes into the hole.
    expect(list.take(64)).toBe(128);
    list.release(128, 192);
    list.release(a, a + 64);
    // a and the hole merged into one range.
    expect(list.ranges).toEqual([{ start: 64, end: 256 }]);
    // Releasing the top block gives everything back to never-used space.
    list.release(c, c + 64);
    expect(list.ranges).toEqual([]);
    expect(list.used).toBe(64);
    expect(list.inUse).toBe(0);
  });

  it('returns −1 when growing is refused, and takes nothing', () => {
    const list = new FreeList(0, (end) => end <= 256);
    expect(list.take(256)).toBe(0);
    expect(list.take(64)).toBe(-1);
    expect(list.inUse).toBe(256);
  });
});

describe('kernelFloats: arrays in the kernels memory', () => {
  it('are zero-filled, disjoint, found by pointer, and used in place by gemm', () => {
    const kernels = activeKernels();
    expect(kernels).not.toBeNull();
    if (!kernels) return;
    const arrays = [3, 100, 17, 1].map((n) => kernelFloats(n));
    const spans = arrays.map((a) => [kernels.memory.pointer(a), kernels.memory.pointer(a) + a.byteLength]);
    for (const [start] of spans) expect(start % 64).toBe(0);
    for (let i = 0; i < spans.length; i++) for (let j = i + 1; j < spans.length; j++) expect(spans[i][1] <= spans[j][0] || spans[j][1] <= spans[i][0]).toBe(true);
    for (const a of arrays) expect(Array.from(a).every((v) => v === 0)).toBe(true);
    expect(kernels.memory.pointer(new Float32Array(4))).toBe(-1);
    // C = A·B with every operand in place, then with a heap C (copied back).
    const A = kernelFloats(6).fill(1);
    const B = kernelFloats(6);
    B.set([1, 2, 3, 4, 5, 6]);
    const C = kernelFloats(4);
    gemm(false, false, 2, 2, 3, 1, A, B, 0, C);
    expect(Array.from(C)).toEqual([9, 12, 9, 12]);
    const heapC = new Float32Array(4).fill(1);
    gemm(false, false, 2, 2, 3, 1, A, B, 1, heapC);
    expect(Array.from(heapC)).toEqual([10, 13, 10, 13]);
  });

  it('free gives a block back at once (the next allocation of that size reuses it) and only once', () => {
    const kernels = activeKernels();
    if (!kernels) return;
    const { memory } = kernels;
    const a = kernelFloats(1000);
    const at = memory.pointer(a);
    const inUse = memory.bytesInUse;
    a.fill(3);
    expect(memory.free(a)).toBe(true);
    expect(memory.bytesInUse).toBe(inUse - 4032);
    expect(memory.free(a)).toBe(false);
    expect(memory.free(new Float32Array(4))).toBe(false);
    const b = kernelFloats(1000);
    expect(memory.pointer(b)).toBe(at);
    // Handed out zeroed, whatever the block held.
    expect(b.every((v) => v === 0)).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { SparseRowGrad, createTable } from '../../src/model/embedding.js';

function rows(g: SparseRowGrad): Record<number, number[]> {
  const out: Record<number, number[]> = {};
  for (let s = 0; s < g.count; s++) out[g.rowIds[s]] = Array.from(g.grad.subarray(s * g.table.dim, (s + 1) * g.table.dim));
  return out;
}

describe('createTable', () => {
  it('allocates a zeroed rows×dim table of the requested dtype', () => {
    const t = createTable('word', 4, 3, 'float32', false);
    expect(t).toMatchObject({ name: 'word', rows: 4, dim: 3, trainable: false });
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(t.data.length).toBe(12);
    expect(createTable('caps', 2, 2, 'float64', true).data).toBeInstanceOf(Float64Array);
  });
});

describe('SparseRowGrad', () => {
  it('accumulates per row, packing touched rows in first-use order', () => {
    const g = new SparseRowGrad(createTable('t', 10, 2, 'float64', true), 4);
    const src = Float64Array.of(1, 2, 3, 4, 5, 6);
    g.add(7, src, 0); // row 7 += [1, 2]
    g.add(2, src, 2); // row 2 += [3, 4]
    g.add(7, src, 4); // row 7 += [5, 6]
    expect(g.count).toBe(2);
    expect(Array.from(g.rowIds.subarray(0, 2))).toEqual([7, 2]);
    expect(rows(g)).toEqual({ 7: [6, 8], 2: [3, 4] });
    expect(g.slotOf[7]).toBe(0);
    expect(g.slotOf[2]).toBe(1);
    expect(g.slotOf[0]).toBe(-1);
  });

  it('grows past its capacity and keeps the earlier gradients', () => {
    const g = new SparseRowGrad(createTable('t', 20, 3, 'float32', true), 2);
    const src = Float32Array.from({ length: 3 }, (_, i) => i + 1);
    for (let r = 0; r < 9; r++) g.add(r * 2, src, 0);
    g.add(0, src, 0);
    expect(g.count).toBe(9);
    expect(g.grad).toBeInstanceOf(Float32Array);
    const all = rows(g);
    expect(all[0]).toEqual([2, 4, 6]);
    for (let r = 1; r < 9; r++) expect(all[r * 2]).toEqual([1, 2, 3]);
  });

  it('clear forgets the touched rows, and a reused slot starts from zero', () => {
    const g = new SparseRowGrad(createTable('t', 5, 2, 'float64', true), 4);
    g.add(3, Float64Array.of(9, 9), 0);
    g.add(1, Float64Array.of(9, 9), 0);
    g.clear();
    expect(g.count).toBe(0);
    expect(Array.from(g.slotOf)).toEqual([-1, -1, -1, -1, -1]);
    g.add(4, Float64Array.of(1, -1), 0);
    expect(rows(g)).toEqual({ 4: [1, -1] });
  });
});

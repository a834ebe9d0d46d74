import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/math/random.js';
import { TupleMap } from '../../src/model/tuple-map.js';

describe('TupleMap: int tuples to ints in typed arrays', () => {
  it('finds what was added, and only that, through collisions', () => {
    const T = 3;
    const map = new TupleMap(T, 2000);
    const rng = new Rng(1);
    const reference = new Map<string, number>();
    const ids = new Int32Array(T);
    // Small id ranges: many tuples share ids in some columns, and probes run into each other.
    while (reference.size < 2000) {
      for (let t = 0; t < T; t++) ids[t] = rng.int(t === 0 ? 100 : 6); // 3,600 possible tuples
      const key = ids.join(',');
      if (reference.has(key)) {
        expect(map.get(ids, 0)).toBe(reference.get(key));
        continue;
      }
      expect(map.get(ids, 0)).toBe(-1);
      map.add(ids, 0, reference.size * 7);
      reference.set(key, reference.size * 7);
    }
    expect(map.size).toBe(2000);
    for (const [key, value] of reference) expect(map.get(Int32Array.from(key.split(',').map(Number)), 0)).toBe(value);
    // A tuple read at an offset of a longer array.
    const longer = Int32Array.of(99, ...[...reference.keys()][5].split(',').map(Number));
    expect(map.get(longer, 1)).toBe(5 * 7);
    expect(map.get(Int32Array.of(100, 0, 0), 0)).toBe(-1);
  });

  it('refuses to grow past its capacity, and clear() empties it for reuse', () => {
    const map = new TupleMap(1, 2);
    map.add(Int32Array.of(5), 0, 0);
    map.add(Int32Array.of(9), 0, 1);
    expect(() => map.add(Int32Array.of(11), 0, 2)).toThrow(/full/);
    map.clear();
    expect(map.size).toBe(0);
    expect(map.get(Int32Array.of(5), 0)).toBe(-1);
    map.add(Int32Array.of(11), 0, 4);
    expect(map.get(Int32Array.of(11), 0)).toBe(4);
    // A map for no keys answers every look-up with −1.
    expect(new TupleMap(2, 0).get(Int32Array.of(1, 2), 0)).toBe(-1);
  });
});

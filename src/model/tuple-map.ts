/**
 * A map from fixed-length tuples of non-negative int32 (a token's row in each feature table)
 * to int32 values, in typed arrays: open addressing with linear probing, no deletion of
 * single keys, `clear()` in time proportional to the keys held. Lookups allocate nothing.
 */
export class TupleMap {
  /** keys[slot·T + t]; a slot is empty when values[slot] is −1. */
  private readonly keys: Int32Array;
  private readonly values: Int32Array;
  private readonly used: Int32Array;
  private readonly mask: number;
  private count = 0;

  /** Room for `capacity` keys of `T` ints each; the table is kept at most half full. */
  constructor(readonly T: number, readonly capacity: number) {
    let size = 16;
    while (size < 2 * capacity) size *= 2;
    this.mask = size - 1;
    this.keys = new Int32Array(size * T);
    this.values = new Int32Array(size).fill(-1);
    this.used = new Int32Array(Math.max(capacity, 1));
  }

  get size(): number {
    return this.count;
  }

  get bytes(): number {
    return this.keys.byteLength + this.values.byteLength + this.used.byteLength;
  }

  /** The value of the tuple ids[at .. at+T), or −1. */
  get(ids: Int32Array, at: number): number {
    const { T, keys, values, mask } = this;
    let slot = hash(ids, at, T) & mask;
    for (;;) {
      const value = values[slot];
      if (value < 0) return -1;
      if (sameKey(keys, slot * T, ids, at, T)) return value;
      slot = (slot + 1) & mask;
    }
  }

  /** Adds a tuple that is not in the map (value ≥ 0). Throws when full. */
  add(ids: Int32Array, at: number, value: number): void {
    if (this.count >= this.capacity) throw new RangeError(`TupleMap: full (${this.capacity} keys)`);
    const { T, keys, values, mask } = this;
    let slot = hash(ids, at, T) & mask;
    while (values[slot] >= 0) slot = (slot + 1) & mask;
    for (let t = 0; t < T; t++) keys[slot * T + t] = ids[at + t];
    values[slot] = value;
    this.used[this.count++] = slot;
  }

  clear(): void {
    for (let i = 0; i < this.count; i++) this.values[this.used[i]] = -1;
    this.count = 0;
  }
}

function sameKey(keys: Int32Array, ko: number, ids: Int32Array, at: number, T: number): boolean {
  for (let t = 0; t < T; t++) if (keys[ko + t] !== ids[at + t]) return false;
  return true;
}

/** Multiplicative mixing of each id (Fibonacci hashing), folded so the low bits the mask keeps depend on every id. */
function hash(ids: Int32Array, at: number, T: number): number {
  let h = 0x2545f491;
  for (let t = 0; t < T; t++) h = Math.imul(h ^ ids[at + t], 0x9e3779b1);
  return h ^ (h >>> 15);
}

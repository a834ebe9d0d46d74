/**
 * What PrecomputedScorer keeps its rows in: a map from a token (its tuple of table rows,
 * ids[at .. at+T)) to an int32 ≥ 0. Lookups allocate nothing.
 */
export interface TokenMap {
  readonly size: number;
  /** Bytes of its arrays. */
  readonly bytes: number;
  /** The value of the tuple ids[at .. at+T), or −1. */
  get(ids: Int32Array, at: number): number;
  /** Adds a tuple that is not in the map (value ≥ 0). Throws when full. */
  add(ids: Int32Array, at: number, value: number): void;
  /** Forgets every tuple, in time proportional to the tuples held. */
  clear(): void;
}

/** Tuples a DirectMap is used for at most: 2^21 possible tuples take 8 MiB. */
export const DIRECT_LIMIT = 1 << 21;

/**
 * The map for tuples of rows of tables of these sizes: a DirectMap when there are few
 * enough possible tuples (a model with words only: one per vocabulary row), else a TupleMap.
 */
export function tokenMap(rows: readonly number[], capacity: number): TokenMap {
  const tuples = rows.reduce((n, r) => n * r, 1);
  return tuples <= DIRECT_LIMIT ? new DirectMap(rows, capacity) : new TupleMap(rows.length, capacity);
}

/**
 * A TokenMap over every possible tuple: the value of tuple (r_0, …, r_{T−1}) sits at its
 * mixed-radix index, so a lookup is a few multiplications and one load, no hashing or
 * probing (the tagging path looks up a token per window).
 */
export class DirectMap implements TokenMap {
  private readonly values: Int32Array;
  private readonly used: Int32Array;
  private readonly radices: Int32Array;
  private count = 0;

  constructor(rows: readonly number[], readonly capacity: number) {
    const tuples = rows.reduce((n, r) => n * r, 1);
    if (!(tuples <= DIRECT_LIMIT)) throw new RangeError(`DirectMap: ${tuples} possible tuples is more than ${DIRECT_LIMIT}`);
    this.radices = Int32Array.from(rows);
    this.values = new Int32Array(tuples).fill(-1);
    this.used = new Int32Array(Math.max(Math.min(capacity, tuples), 1));
  }

  get size(): number {
    return this.count;
  }

  get bytes(): number {
    return this.values.byteLength + this.used.byteLength + this.radices.byteLength;
  }

  get(ids: Int32Array, at: number): number {
    return this.values[this.index(ids, at)];
  }

  add(ids: Int32Array, at: number, value: number): void {
    if (this.count >= this.capacity || this.count >= this.used.length) throw new RangeError(`DirectMap: full (${this.capacity} keys)`);
    const i = this.index(ids, at);
    this.values[i] = value;
    this.used[this.count++] = i;
  }

  clear(): void {
    for (let i = 0; i < this.count; i++) this.values[this.used[i]] = -1;
    this.count = 0;
  }

  /** The callers check that every id is a row of its table (PrecomputedScorer.checkRows). */
  private index(ids: Int32Array, at: number): number {
    const radices = this.radices;
    const T = radices.length;
    let i = ids[at];
    for (let t = 1; t < T; t++) i = i * radices[t] + ids[at + t];
    return i;
  }
}

/**
 * A map from fixed-length tuples of non-negative int32 (a token's row in each feature table)
 * to int32 values, in typed arrays: open addressing with linear probing, no deletion of
 * single keys, `clear()` in time proportional to the keys held. Lookups allocate nothing.
 */
export class TupleMap implements TokenMap {
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

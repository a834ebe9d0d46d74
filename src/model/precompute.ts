import { gemm } from '../math/gemm.js';
import { TupleMap } from './tuple-map.js';
import type { WindowScorer } from './window-scorer.js';

/**
 * The pre-computation trick for tagging (Devlin et al. 2014; Chen & Manning 2014).
 *
 * The first layer is z = W·x' + b with x' = A(x − μ) and x the concatenation, over window
 * positions j, of each position's token vector u_j (its rows of the word, caps, suffix and
 * prefix tables, P floats). Folding the fixed map into W (W_eff = W·A, b_eff = b − W·A·μ)
 * makes z linear in the tokens:
 *
 *     z = b_eff + Σ_j W_eff[:, block j] · u_j
 *
 * A table of the products W_eff[:, block j]·u (H floats for each position j) for every token
 * u turns the first layer into w vector additions per window instead of a D×H matrix
 * product. Activation and U·a + c follow as in WindowScorer.forward (no dropout).
 *
 * A token is keyed by its tuple of table rows, not by its word alone: every feature of a
 * token is a function of the token, so one row per tuple needs w additions per window
 * whatever the number of feature tables (w·T with a row per table row), and a text has
 * few more distinct tuples than distinct words (CoNLL-2003 dev with caps: 8,454 and 7,493).
 *
 * Rows are filled lazily, all w positions of a token at once, by one gemm per chunk of
 * tokens a batch meets for the first time: a token's cost is paid once, and only for
 * tokens the input has. Filled rows stay until the scorer is dropped, in a pool whose size
 * the memory budget bounds, given out first come, first served: a text's frequent tokens
 * are among its first, so the pool fills with the rows that pay (an input that starts with
 * a long list of rare words is scored correctly, just with less gain). Once it is full, a new
 * token is computed per pass of SUB_BATCH windows into a slot region and forgotten after
 * it (the w windows that use a token are consecutive, so they mostly share that pass); if
 * those slots run out too (windows that are not consecutive tokens), one position's
 * product is computed per window.
 *
 * The products are computed from the model's float32 rows and W_eff rounded once to
 * float32, in one dot product per entry; the sum over positions runs in float64 and is
 * rounded once. Scores therefore agree with the plain forward to float32 rounding, not bit
 * for bit (test/model/precompute.test.ts measures both against a float64 forward).
 *
 * The tables are a snapshot of W, b, the embeddings and the preprocessing when they are
 * built: call `invalidate()` after changing any of them (U and c are read live). Float32
 * models only (checkpoints always load as float32).
 */
export interface PrecomputeOptions {
  /** Bytes the pool of filled rows may take (default DEFAULT_TABLE_BUDGET, 64 MiB). */
  budgetBytes?: number;
  /**
   * Until this many windows have been scored, score the plain way and build nothing: for a
   * few tokens the tables (fold, allocation, first fills) cost more than they save.
   */
  minWindows?: number;
}

/** 64 MiB: 11,184 tokens at w = 5, H = 300 (6 KB each); CoNLL-2003 dev (51,362 tokens) fills 8,454 of them. */
export const DEFAULT_TABLE_BUDGET = 64 * 1024 * 1024;
/**
 * Below this many windows in total, the plain forward is used (see PrecomputeOptions.minWindows).
 * Fresh tables cost about 1 ms to set up; on the CoNLL-2003 model (D = 525, H = 300) they
 * are slower than the plain pass for 128 windows and about twice as fast from 512 on.
 */
export const DEFAULT_MIN_WINDOWS = 512;

/**
 * Pool rows allocated at first, at least: an input of N windows has at most N + 2 distinct
 * tokens (each is the centre of its window, plus the two pads), so the first input sizes the
 * pool (pages the pool never reaches are never touched), and later ones double it as needed.
 */
const INITIAL_POOL_ROWS = 512;
/** Windows per internal pass: bounds the slot region and keeps Z and A in cache. */
const SUB_BATCH = 128;
/** Tokens per gemm when filling. */
const FILL_ROWS = 64;

interface Tables {
  /**
   * Pool rows, then slot rows, then the fallback: w·H floats per row (position-major). The
   * pool part starts small and doubles (up to the budget) as it fills, so that a small
   * input allocates little; pool offsets stay valid across growth, slot offsets are only
   * ever held within one pass, and the pool only grows before any slot is given out.
   */
  arena: Float32Array;
  /** Rows the pool part of the arena has room for now (≤ poolCapacity). */
  poolRoom: number;
  /** (w·H)×P, float32: row j·H + h is W_eff[h, block j]. One gemm against it gives a token's w products. */
  readonly weights: Float32Array;
  /** b_eff in float64: the start of every window's sum. */
  readonly bias: Float64Array;
  /** Token tuple → arena offset of its row: the pool (kept) and this pass's slots (cleared after it). */
  readonly pool: TupleMap;
  readonly slots: TupleMap;
  readonly poolCapacity: number;
  slotBase: number;
  readonly slotCapacity: number;
  fallbackBase: number;
  /** Bytes of the stacked weights and the maps (the arena is counted apart: it grows). */
  readonly fixedBytes: number;
}

export class PrecomputedScorer {
  readonly K: number;
  private readonly H: number;
  private readonly w: number;
  private readonly T: number;
  /** Width of a token vector: Σ table dims. */
  private readonly P: number;
  private readonly tableOffsets: Int32Array;
  private readonly budgetBytes: number;
  private readonly minWindows: number;
  private windowsSeen = 0;
  private tables: Tables | null = null;
  /**
   * Work done since the tables were built: tokens whose w products were computed (into the
   * pool or a slot), and single-position products computed per window. A token computed
   * again and again means the pool is too small for the input.
   */
  readonly stats = { rowFills: 0, windowProducts: 0 };
  // Buffers of one pass; sized once.
  private readonly Z: Float32Array;
  private readonly A: Float32Array;
  private readonly Spass: Float32Array;
  private readonly zacc: Float64Array;
  /** Arena offset of each position's product for the current window. */
  private readonly offsets: Int32Array;
  /** Arena offset of each (window, position) row of the pass, −1 when it has none. */
  private readonly rowAt: Int32Array;
  /** Tokens to fill in this pass: where their ids start, and where their row goes. */
  private readonly pendingAt: Int32Array;
  private readonly pendingDst: Int32Array;
  private pending = 0;
  private readonly fillX: Float32Array;
  private readonly fillY: Float32Array;
  private S: Float32Array = new Float32Array(0);

  constructor(readonly model: WindowScorer, options: PrecomputeOptions = {}) {
    if (model.dtype !== 'float32') throw new RangeError('PrecomputedScorer: float32 models only');
    this.budgetBytes = options.budgetBytes ?? DEFAULT_TABLE_BUDGET;
    this.minWindows = options.minWindows ?? DEFAULT_MIN_WINDOWS;
    if (!(this.budgetBytes >= 0)) throw new RangeError(`PrecomputedScorer: budgetBytes must be ≥ 0, got ${this.budgetBytes}`);
    const { H, K, positions: w, P } = model;
    this.K = K;
    this.H = H;
    this.w = w;
    this.T = model.tables.length;
    this.P = P;
    this.tableOffsets = new Int32Array(this.T);
    for (let t = 1; t < this.T; t++) this.tableOffsets[t] = this.tableOffsets[t - 1] + model.tables[t - 1].dim;
    this.Z = new Float32Array(SUB_BATCH * H);
    this.A = new Float32Array(SUB_BATCH * H);
    this.Spass = new Float32Array(SUB_BATCH * K);
    this.zacc = new Float64Array(H);
    this.offsets = new Int32Array(w);
    this.rowAt = new Int32Array(SUB_BATCH * w);
    this.pendingAt = new Int32Array(SUB_BATCH * w);
    this.pendingDst = new Int32Array(SUB_BATCH * w);
    this.fillX = new Float32Array(FILL_ROWS * P);
    this.fillY = new Float32Array(FILL_ROWS * w * H);
  }

  /** Whether the tables are built (false until a call reached `minWindows`). */
  get built(): boolean {
    return this.tables !== null;
  }

  /** Bytes allocated for the tables (the pool as grown so far, slots, stacked weights, maps); 0 before they are built. */
  get bytes(): number {
    const tb = this.tables;
    return tb ? tb.arena.byteLength + tb.fixedBytes : 0;
  }

  /** Bytes of that in use: the filled part of the pool instead of all of it. */
  get usedBytes(): number {
    const tb = this.tables;
    if (!tb) return 0;
    return this.bytes - (tb.poolRoom - tb.pool.size) * this.w * this.H * 4;
  }

  /** Tokens the pool can hold (0 before the tables are built). */
  get poolRows(): number {
    return this.tables?.poolCapacity ?? 0;
  }

  /** Tokens in the pool. */
  get pooledRows(): number {
    return this.tables?.pool.size ?? 0;
  }

  /** Forget the tables: the next call rebuilds them from the model's current parameters. */
  invalidate(): void {
    this.tables = null;
    this.stats.rowFills = 0;
    this.stats.windowProducts = 0;
  }

  /**
   * Called once per input of `count` windows: true when it should go through the tables
   * (building them now if needed), false when the plain forward is cheaper.
   */
  useTablesFor(count: number): boolean {
    if (this.tables) return true;
    this.windowsSeen += count;
    if (this.windowsSeen < this.minWindows) return false;
    this.tables = this.build(count);
    return true;
  }

  /**
   * Scores of B windows (ids as in EncodedWindows: B·w·T rows), building the tables if
   * needed. Returns a B×K view that stays valid until the next call.
   */
  forward(ids: Int32Array, B: number): Float32Array {
    const stride = this.w * this.T;
    if (ids.length < B * stride) throw new RangeError(`PrecomputedScorer.forward: ${B} windows need ${B * stride} ids, got ${ids.length}`);
    this.checkRows(ids, B * stride);
    this.tables ??= this.build(B);
    const K = this.K;
    if (this.S.length < B * K) this.S = new Float32Array(B * K);
    const { S, Spass } = this;
    for (let start = 0; start < B; start += SUB_BATCH) {
      const n = Math.min(SUB_BATCH, B - start);
      this.pass(this.tables, ids, start * stride, n);
      const o = start * K;
      for (let i = 0; i < n * K; i++) S[o + i] = Spass[i];
    }
    return S.subarray(0, B * K);
  }

  /** Scores of n windows whose ids start at ids[first] into Spass. */
  private pass(tb: Tables, ids: Int32Array, first: number, n: number): void {
    this.locate(tb, ids, first, n);
    this.fill(tb, ids);
    this.firstLayer(tb, ids, first, n);
    // The slots held this pass's tokens that found no room in the pool.
    tb.slots.clear();
    const { H, K, Z, A, Spass } = this;
    const { U, c } = this.model.params;
    this.model.activation.forward(A, Z, n * H);
    gemm(false, true, n, K, H, 1, A, U, 0, Spass);
    for (let i = 0; i < n; i++) {
      const o = i * K;
      for (let k = 0; k < K; k++) Spass[o + k] += c[k];
    }
  }

  /**
   * rowAt for every (window, position) of the pass, placing tokens seen for the first time
   * (the pool while it lasts, then a slot while slots last) and queueing their fill.
   */
  private locate(tb: Tables, ids: Int32Array, first: number, n: number): void {
    const { T, w, H, rowAt, pendingAt, pendingDst } = this;
    const rowFloats = w * H;
    let pending = 0;
    for (let win = 0; win < n; win++) {
      for (let j = 0; j < w; j++) {
        const at = first + (win * w + j) * T;
        // Consecutive windows of a sentence share w − 1 tokens, one position apart: reuse
        // the previous window's look-up when the tuple is the same (whatever the reason).
        if (win > 0 && j + 1 < w && sameTuple(ids, at, at - (w - 1) * T, T)) {
          rowAt[win * w + j] = rowAt[(win - 1) * w + j + 1];
          continue;
        }
        let row = tb.pool.get(ids, at);
        if (row < 0) row = tb.slots.get(ids, at);
        if (row < 0) {
          if (tb.pool.size === tb.poolRoom && tb.poolRoom < tb.poolCapacity) this.growPool(tb);
          if (tb.pool.size < tb.poolRoom) {
            row = tb.pool.size * rowFloats;
            tb.pool.add(ids, at, row);
          } else if (tb.slots.size < tb.slotCapacity) {
            row = tb.slotBase + tb.slots.size * rowFloats;
            tb.slots.add(ids, at, row);
          }
          if (row >= 0) {
            pendingAt[pending] = at;
            pendingDst[pending++] = row;
          }
        }
        rowAt[win * w + j] = row;
      }
    }
    this.pending = pending;
  }

  /** Doubles the pool part of the arena (up to the budget), keeping the rows it holds at their offsets. */
  private growPool(tb: Tables): void {
    const rowFloats = this.w * this.H;
    const room = Math.min(tb.poolCapacity, tb.poolRoom * 2);
    const slotFloats = tb.fallbackBase - tb.slotBase;
    const arena = new Float32Array(room * rowFloats + slotFloats + rowFloats);
    arena.set(tb.arena.subarray(0, tb.pool.size * rowFloats));
    tb.arena = arena;
    tb.poolRoom = room;
    tb.slotBase = room * rowFloats;
    tb.fallbackBase = tb.slotBase + slotFloats;
  }

  /** The pending tokens' products, FILL_ROWS at a time: gather their vectors, one gemm against the stacked weights, copy into place. */
  private fill(tb: Tables, ids: Int32Array): void {
    const { P, w, H, fillX: X, fillY: Y, pendingAt, pendingDst } = this;
    const rowFloats = w * H;
    const arena = tb.arena;
    this.stats.rowFills += this.pending;
    for (let p0 = 0; p0 < this.pending; p0 += FILL_ROWS) {
      const m = Math.min(FILL_ROWS, this.pending - p0);
      for (let r = 0; r < m; r++) this.gatherToken(ids, pendingAt[p0 + r], X, r * P);
      gemm(false, true, m, rowFloats, P, 1, X, tb.weights, 0, Y);
      for (let r = 0; r < m; r++) {
        const src = r * rowFloats;
        const dst = pendingDst[p0 + r];
        for (let i = 0; i < rowFloats; i++) arena[dst + i] = Y[src + i];
      }
    }
    this.pending = 0;
  }

  /**
   * Z (n×H) = b_eff + Σ_j (token j's product at position j): w vector additions per window.
   * Windows are 2k+1 wide; for the usual 1, 3, 5 and 7 positions all rows are summed in one
   * sweep (float64, one rounding, one store per unit), which is about twice as fast as
   * sweeping an accumulator once per group of rows.
   */
  private firstLayer(tb: Tables, ids: Int32Array, first: number, n: number): void {
    const { w, H, Z, zacc, offsets } = this;
    const { arena, bias } = tb;
    for (let win = 0; win < n; win++) {
      for (let j = 0; j < w; j++) offsets[j] = this.rowOffset(tb, ids, first, win, j);
      const zo = win * H;
      const o0 = offsets[0];
      if (w === 1) {
        for (let h = 0; h < H; h++) Z[zo + h] = bias[h] + arena[o0 + h];
      } else if (w === 3) {
        const o1 = offsets[1];
        const o2 = offsets[2];
        for (let h = 0; h < H; h++) Z[zo + h] = bias[h] + (arena[o0 + h] + arena[o1 + h] + arena[o2 + h]);
      } else if (w === 5) {
        const o1 = offsets[1];
        const o2 = offsets[2];
        const o3 = offsets[3];
        const o4 = offsets[4];
        for (let h = 0; h < H; h++) Z[zo + h] = bias[h] + (arena[o0 + h] + arena[o1 + h] + (arena[o2 + h] + arena[o3 + h]) + arena[o4 + h]);
      } else if (w === 7) {
        const o1 = offsets[1];
        const o2 = offsets[2];
        const o3 = offsets[3];
        const o4 = offsets[4];
        const o5 = offsets[5];
        const o6 = offsets[6];
        for (let h = 0; h < H; h++) {
          Z[zo + h] = bias[h] + (arena[o0 + h] + arena[o1 + h] + (arena[o2 + h] + arena[o3 + h]) + (arena[o4 + h] + arena[o5 + h] + arena[o6 + h]));
        }
      } else {
        for (let h = 0; h < H; h++) zacc[h] = bias[h];
        let j = 0;
        for (; j + 3 < w; j += 4) {
          const a = offsets[j];
          const b = offsets[j + 1];
          const c = offsets[j + 2];
          const d = offsets[j + 3];
          for (let h = 0; h < H; h++) zacc[h] += arena[a + h] + arena[b + h] + (arena[c + h] + arena[d + h]);
        }
        for (; j < w; j++) {
          const a = offsets[j];
          for (let h = 0; h < H; h++) zacc[h] += arena[a + h];
        }
        for (let h = 0; h < H; h++) Z[zo + h] = zacc[h];
      }
    }
  }

  /** Where the product of window win's token at position j starts: its row, or (no row) a fallback slot computed now. */
  private rowOffset(tb: Tables, ids: Int32Array, first: number, win: number, j: number): number {
    const { w, H, P, T } = this;
    const row = this.rowAt[win * w + j];
    if (row >= 0) return row + j * H;
    // Neither pool nor slot: this one position's product, now (a GEMV over the token's vector).
    const x = this.fillX;
    this.gatherToken(ids, first + (win * w + j) * T, x, 0);
    const dst = tb.fallbackBase + j * H;
    productAt(tb.weights, j * H * P, x, P, H, tb.arena, dst);
    this.stats.windowProducts++;
    return dst;
  }

  /** A token's vector (its rows of every table, concatenated) from its ids at ids[at..at+T) into X[xo..xo+P). */
  private gatherToken(ids: Int32Array, at: number, X: Float32Array, xo: number): void {
    const { T, tableOffsets } = this;
    const tables = this.model.tables;
    for (let t = 0; t < T; t++) {
      const { dim, data } = tables[t];
      const src = ids[at + t] * dim;
      const dst = xo + tableOffsets[t];
      for (let e = 0; e < dim; e++) X[dst + e] = data[src + e];
    }
  }

  /** Every id must be a row of its table: a wrong one would read past a table or, worse, another token's row. */
  private checkRows(ids: Int32Array, length: number): void {
    const tables = this.model.tables;
    const T = this.T;
    for (let t = 0; t < T; t++) {
      const rows = tables[t].rows;
      for (let i = t; i < length; i += T) {
        const row = ids[i];
        if (!(row >= 0 && row < rows)) throw new RangeError(`PrecomputedScorer: row ${row} of table ${t} is out of range (${rows} rows)`);
      }
    }
  }

  /** The tables for the model's current parameters, the pool sized for an input of `windows` windows. */
  private build(windows: number): Tables {
    const { model, w, H, T, P } = this;
    const { D } = model;
    const { W, bias } = foldPreprocessing(model);
    for (const table of model.tables) if (!(table.data instanceof Float32Array)) throw new RangeError('PrecomputedScorer: float32 models only');
    const rowFloats = w * H;
    // Distinct tuples are bounded by the product of the table sizes (tiny for a model with few rows).
    const tuples = model.tables.reduce((n, table) => n * table.rows, 1);
    const poolCapacity = Math.min(tuples, Math.floor(this.budgetBytes / (rowFloats * 4)));
    // Tokens of one pass: at most SUB_BATCH + w − 1 distinct for windows of consecutive tokens (+ the two pads).
    const slotCapacity = poolCapacity < tuples ? SUB_BATCH + w + 1 : 0;
    const poolRoom = Math.min(poolCapacity, Math.max(INITIAL_POOL_ROWS, windows + 2));
    const slotBase = poolRoom * rowFloats;
    const fallbackBase = slotBase + slotCapacity * rowFloats;
    // Offsets are int32.
    if ((poolCapacity + slotCapacity + 1) * rowFloats >= 2 ** 31) throw new RangeError(`PrecomputedScorer: a budget of ${this.budgetBytes} bytes is too large`);
    const arena = new Float32Array(fallbackBase + rowFloats);
    // Row j·H + h of the stacked weights is row h of W_eff's block j: a token's w products in one gemm.
    const weights = new Float32Array(rowFloats * P);
    for (let j = 0; j < w; j++) {
      for (let h = 0; h < H; h++) {
        const src = h * D + j * P;
        const dst = (j * H + h) * P;
        for (let e = 0; e < P; e++) weights[dst + e] = W[src + e];
      }
    }
    const pool = new TupleMap(T, poolCapacity);
    const slots = new TupleMap(T, slotCapacity);
    return {
      arena,
      poolRoom,
      weights,
      bias,
      pool,
      slots,
      poolCapacity,
      slotBase,
      slotCapacity,
      fallbackBase,
      fixedBytes: weights.byteLength + pool.bytes + slots.bytes,
    };
  }
}

/**
 * W_eff = W·A and b_eff = b − W_eff·μ in float64, for x' = A(x − μ) (A = I for none and
 * center, diagonal for standardize, full for whiten), so that W_eff·x + b_eff = W·x' + b.
 */
export function foldPreprocessing(model: WindowScorer): { W: Float64Array; bias: Float64Array } {
  const { D, H } = model;
  const W32 = model.params.W;
  const W = new Float64Array(H * D);
  const p = model.inputPreprocessor;
  const mode = p?.mode ?? 'none';
  if (mode === 'none' || mode === 'center') {
    W.set(W32);
  } else if (mode === 'standardize') {
    const scale = requireTransform(p?.transform ?? null, D);
    for (let h = 0; h < H; h++) for (let i = 0; i < D; i++) W[h * D + i] = W32[h * D + i] * scale[i];
  } else {
    const A = requireTransform(p?.transform ?? null, D * D);
    // Row h of W·A accumulates rows k of A scaled by W[h, k]: contiguous in A and W_eff.
    for (let h = 0; h < H; h++) {
      const out = h * D;
      for (let k = 0; k < D; k++) {
        const a = W32[out + k];
        if (a === 0) continue;
        const row = k * D;
        for (let i = 0; i < D; i++) W[out + i] += a * A[row + i];
      }
    }
  }
  const bias = new Float64Array(H);
  const mean = p && mode !== 'none' ? p.mean : null;
  for (let h = 0; h < H; h++) {
    let s = model.params.b[h];
    if (mean) for (let i = 0; i < D; i++) s -= W[h * D + i] * mean[i];
    bias[h] = s;
  }
  return { W, bias };
}

function requireTransform(transform: Float64Array | null, length: number): Float64Array {
  if (transform === null || transform.length !== length) throw new RangeError(`foldPreprocessing: expected a transform of length ${length}`);
  return transform;
}

function sameTuple(ids: Int32Array, a: number, b: number, T: number): boolean {
  for (let t = 0; t < T; t++) if (ids[a + t] !== ids[b + t]) return false;
  return true;
}

/** out[oo + h] = Σ_e weights[wo + h·P + e] · x[e] for h < H: one position's product, summed in float64. */
function productAt(weights: Float32Array, wo: number, x: Float32Array, P: number, H: number, out: Float32Array, oo: number): void {
  for (let h = 0; h < H; h++) {
    const r = wo + h * P;
    let s0 = 0;
    let s1 = 0;
    let e = 0;
    for (; e + 1 < P; e += 2) {
      s0 += weights[r + e] * x[e];
      s1 += weights[r + e + 1] * x[e + 1];
    }
    if (e < P) s0 += weights[r + e] * x[e];
    out[oo + h] = s0 + s1;
  }
}

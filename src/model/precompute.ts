import { beginStep, endStep, SpinPolicy } from '../math/kernels/spin-policy.js';
import { gemm } from '../math/gemm.js';
import { kernelFloats, kernelInt32s, releaseKernelArray } from '../math/kernels/wasm-gemm.js';
import { MAX_CHUNKS } from '../math/kernels/threads.js';
import { ACTIVATION_CODES, TAG_PARAMS, TagWindowsRunner, taggingKernels, type TaggingKernels } from '../math/kernels/tagging.js';
import { DIRECT_LIMIT, TupleMap, tokenMap, type TokenMap } from './tuple-map.js';
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
 * Rows are filled lazily, all w positions of a token at once, by one gemm per run of
 * tokens a pass meets for the first time, written straight into their rows: a token's cost
 * is paid once, and only for tokens the input has. Filled rows stay until the scorer is
 * dropped, in a pool whose size the memory budget bounds, given out first come, first
 * served: a text's frequent tokens are among its first, so the pool fills with the rows
 * that pay (an input that starts with a long list of rare words is scored correctly, just
 * with less gain). The pool is allocated in chunks as it fills (rows never move), so it
 * takes the memory of the tokens seen, not of the budget. Once it is full, a new token is
 * computed per pass of SUB_BATCH windows into a slot region and forgotten after it (the w
 * windows that use a token are consecutive, so they mostly share that pass); if those
 * slots run out too (windows that are not consecutive tokens), one position's product is
 * computed per window.
 *
 * Two ways to score a pass, with the same tables:
 * - the WebAssembly kernels (when loaded and enabled): tag_windows (wat-tagging.ts) sums each
 *   window's rows and the bias in float32, applies the activation and gives U·a + c (by
 *   gemm_nt); the windows of a pass are split over the kernels' threads (tagging.ts), with
 *   bitwise the same result for any thread count. When the possible tuples are few enough
 *   for a direct index (words only, or words and caps: Tables.index), each chunk also looks
 *   up its own windows' rows in that index in kernel memory (tag_locate), so a pass whose
 *   tokens all have rows runs no per-window JavaScript; a chunk that meets a token without
 *   a row scores nothing, and the pass goes through locate() and redoes those chunks. Rows, bias, the row addresses, A and the
 *   scores live in the kernels' memory. Products rounded to float32, w float32 additions
 *   and an activation within a few ulps of the exact one (tanh 1.2): scores agree with the
 *   plain forward to float32 rounding.
 * - TypeScript (setKernelBackend('plain'), or no WebAssembly): the sum over positions in
 *   float64, rounded once, the model's activation, gemm.
 * test/model/precompute*.test.ts measures both against a float64 forward.
 *
 * A row holds a token's w products of H floats rounded up to a multiple of 4 (Hp),
 * interleaved by vector: floats 4v .. 4v+3 of position j at 4·(v·w + j) (wat-tagging.ts says
 * why). The stacked weights' rows are in that order, so a fill writes rows as they are read;
 * the pad entries are products with zero rows of the stacked weights, so 0.
 *
 * The tables are a snapshot of W, b, the embeddings and the preprocessing when they are
 * built: call `invalidate()` after changing any of them (U and c are read live). Float32
 * models only (checkpoints always load as float32).
 */
export interface PrecomputeOptions {
  /** Bytes the pool of filled rows may take (default DEFAULT_TABLE_BUDGET, 256 MiB). */
  budgetBytes?: number;
  /**
   * Until this many windows have been scored, score the plain way and build nothing: for a
   * few tokens the tables (fold, allocation, first fills) cost more than they save.
   */
  minWindows?: number;
}

/**
 * 256 MiB: 44,739 tokens at w = 5, H = 300 (6 KB each). The pool is allocated as it
 * fills, so an input takes only what its tokens need: CoNLL-2003 dev (51,362 tokens)
 * 8,454 rows; the bench's 204,567 Zipf tokens over a vocabulary of 20,000, 18,147 rows
 * (109 MB). A smaller budget recomputes the tokens past it in every pass they occur in.
 */
export const DEFAULT_TABLE_BUDGET = 256 * 1024 * 1024;
/**
 * Below this many windows in total, the plain forward is used (see PrecomputeOptions.minWindows).
 * Fresh tables cost about 1 ms to set up; on the CoNLL-2003 model (D = 525, H = 300) they
 * are slower than the plain pass for 128 windows and about twice as fast from 512 on.
 */
export const DEFAULT_MIN_WINDOWS = 512;

/**
 * Rows of the first chunk of the pool, at least (and of the input's bound on distinct tokens,
 * N + 2 for N windows: each is the centre of its window, plus the two pads), up to a chunk's
 * size (Tables.chunkRows); later chunks double the pool up to that size. Every block is
 * zeroed when allocated (kernel-memory.ts), so the pool is allocated as it fills.
 */
const INITIAL_POOL_ROWS = 512;
/**
 * Floats of a chunk of the pool, at least: 1 MiB. Small chunks are filled while their
 * zeroing (kernel-memory.ts zeroes every block) is still in cache; on the bench, chunks of
 * 16 MiB made the fills of new tokens 20% slower. A large budget gets larger chunks, so
 * that the pool stays within MAX_REGIONS blocks.
 */
const MIN_CHUNK_FLOATS = 1 << 18;
/**
 * Windows per internal pass: bounds the slot region and A (which stays in L2), and is the
 * unit the kernels split over threads (a pass of the bench's B = 256 is one).
 */
const SUB_BATCH = 256;
/**
 * Windows ahead whose entering row tag_hidden touches while it computes one: the next
 * (further ahead was no faster on the bench: 0 none, 1, 2, 4 and 8 measured in one process).
 */
const PREFETCH_AHEAD = 1;
/** Tokens per gemm when filling. */
const FILL_ROWS = 64;
/**
 * Floats per block of rows, at most (16 MiB): locations of rows in TypeScript mode are
 * (block << REGION_BITS) | offset.
 */
const REGION_BITS = 22;
const REGION_FLOATS = 1 << REGION_BITS;
const OFFSET_MASK = REGION_FLOATS - 1;
/** Blocks a TypeScript-mode location can name (int32, non-negative). */
const MAX_REGIONS = 1 << (31 - REGION_BITS);

interface Tables {
  /** The kernels that score passes, or null: the TypeScript path. */
  readonly kernels: TaggingKernels | null;
  /** What kernelsToUse() said when they were built: when that changes, they are rebuilt. */
  readonly requested: TaggingKernels | null;
  /**
   * Every block of rows (w·Hp floats each, positions interleaved): the pool's chunks, the
   * slots and the per-window products. Held here so that kernel memory stays allocated.
   */
  readonly regions: Float32Array[];
  /** Byte address of each block in the kernels' memory (kernel mode). */
  readonly regionAddress: number[];
  /** Rows the pool's chunks have room for now (≤ poolCapacity). */
  poolRoom: number;
  /** Rows the budget allows (lowered if the kernels' memory runs out). */
  poolCapacity: number;
  /** The chunk being filled: its block, and the offset of its next free row. */
  chunk: number;
  chunkNext: number;
  /** Rows of a chunk, at most. */
  readonly chunkRows: number;
  /** (w·Hp)×Pp, float32: row 4j + slot(w, h) is W_eff[h, block j] (zero rows and columns for the pads). */
  readonly weights: Float32Array;
  /** b_eff in float64 (TypeScript path) and rounded to float32, Hp entries (kernels). */
  readonly bias: Float64Array;
  readonly bias32: Float32Array;
  /** Token tuple → location of its row: the pool (kept) and this pass's slots (cleared after it). */
  readonly pool: TokenMap;
  readonly slots: TokenMap;
  slotRegion: number;
  readonly slotCapacity: number;
  /** Block of SUB_BATCH rows for products computed per window (allocated when first needed), or −1. */
  fallbackRegion: number;
  /**
   * Kernel mode with few enough possible tuples (as for tokenMap's DirectMap): the pool's
   * rows again, in the kernels' memory, for tag_locate: the byte address of the row of every
   * possible tuple (at its mixed-radix index), 0 for none. Null otherwise.
   */
  readonly index: Int32Array | null;
  /** The radices of that index: each table's rows (kernel memory), or null. */
  readonly radices: Int32Array | null;
  /** Bytes of the weights, bias and maps (the blocks are counted apart: they grow). */
  readonly fixedBytes: number;
}

export class PrecomputedScorer {
  readonly K: number;
  private readonly H: number;
  /** H rounded up to a multiple of 4: floats per position in a row. */
  private readonly Hp: number;
  private readonly w: number;
  private readonly T: number;
  /** Width of a token vector: Σ table dims, and that rounded up to a multiple of 4. */
  private readonly P: number;
  private readonly Pp: number;
  /** Floats of one row: w·Hp. */
  private readonly rowFloats: number;
  private readonly tableOffsets: Int32Array;
  private readonly budgetBytes: number;
  private readonly minWindows: number;
  /** tag_hidden's activation code and leaky slope. */
  private readonly actCode: number;
  private readonly slope: number;
  private windowsSeen = 0;
  private tables: Tables | null = null;
  /**
   * Work done since the tables were built: tokens whose w products were computed (into the
   * pool or a slot), and single-position products computed per window. A token computed
   * again and again means the pool is too small for the input.
   */
  readonly stats = { rowFills: 0, windowProducts: 0 };
  // Buffers of one pass, sized once; in the kernels' memory when they are loaded.
  /** Location of the row of each (window, position) of the pass, −1 when it has none (position j's product is interleaved in it). */
  private readonly rowAtBlock: Float32Array;
  private readonly rowAt: Int32Array;
  /** SUB_BATCH×Hp activations (kernels), or SUB_BATCH×H (TypeScript, with Z, allocated when first needed). */
  private readonly A: Float32Array;
  private Z: Float32Array | null = null;
  private readonly zacc: Float64Array;
  /** Tokens to fill in this pass: where their ids start, and the block and offset of their row. */
  private readonly pendingAt: Int32Array;
  private readonly pendingRegion: Int32Array;
  private readonly pendingOffset: Int32Array;
  private pending = 0;
  /** Positions of the pass that locate() found no row for (fallbacks() computes them). */
  private missing = 0;
  private readonly fillX: Float32Array;
  private S: Float32Array;
  /** U and c copied into the kernels' memory, when the model's are not there. */
  private outputCopy: Float32Array | null = null;
  /** tag_windows' parameter block (TAG_PARAMS ints; the slope as float32 bits). */
  private readonly params: Float32Array;
  private readonly paramInts: Int32Array;
  private readonly runner = new TagWindowsRunner();
  /** Whether the kernels' helper threads poll between passes (timing only; passes come back to back when tagging a file). */
  private readonly spin = new SpinPolicy();
  /** The ids of a pass, copied into the kernels' memory for the chunks' look-ups (tag_locate). */
  private readonly passIds: Int32Array;
  /** What each chunk's look-up found (TagWindowsRunner.run). */
  private readonly chunkStatus: Int32Array;

  constructor(readonly model: WindowScorer, options: PrecomputeOptions = {}) {
    if (model.dtype !== 'float32') throw new RangeError('PrecomputedScorer: float32 models only');
    this.budgetBytes = options.budgetBytes ?? DEFAULT_TABLE_BUDGET;
    this.minWindows = options.minWindows ?? DEFAULT_MIN_WINDOWS;
    if (!(this.budgetBytes >= 0)) throw new RangeError(`PrecomputedScorer: budgetBytes must be ≥ 0, got ${this.budgetBytes}`);
    const { H, K, positions: w, P } = model;
    this.K = K;
    this.H = H;
    this.Hp = roundUp4(H);
    this.w = w;
    this.T = model.tables.length;
    this.P = P;
    this.Pp = roundUp4(P);
    this.rowFloats = w * this.Hp;
    if (this.rowFloats > REGION_FLOATS) throw new RangeError(`PrecomputedScorer: rows of ${w}×${H} floats are too large`);
    this.tableOffsets = new Int32Array(this.T);
    for (let t = 1; t < this.T; t++) this.tableOffsets[t] = this.tableOffsets[t - 1] + model.tables[t - 1].dim;
    const act = model.activation;
    this.actCode = ACTIVATION_CODES[act.name];
    this.slope = act.name === 'leaky-relu' ? leakySlopeOf(model) : 0;
    this.rowAtBlock = kernelFloats(SUB_BATCH * w);
    this.rowAt = new Int32Array(this.rowAtBlock.buffer, this.rowAtBlock.byteOffset, SUB_BATCH * w);
    this.A = kernelFloats(SUB_BATCH * this.Hp);
    this.zacc = new Float64Array(H);
    this.pendingAt = new Int32Array(SUB_BATCH * w);
    this.pendingRegion = new Int32Array(SUB_BATCH * w);
    this.pendingOffset = new Int32Array(SUB_BATCH * w);
    this.fillX = kernelFloats(FILL_ROWS * this.Pp);
    this.S = kernelFloats(SUB_BATCH * K);
    this.params = kernelFloats(TAG_PARAMS);
    this.paramInts = new Int32Array(this.params.buffer, this.params.byteOffset, TAG_PARAMS);
    this.passIds = kernelInt32s(SUB_BATCH * w * this.T);
    this.chunkStatus = kernelInt32s(MAX_CHUNKS);
  }

  /** Whether the tables are built (false until a call reached `minWindows`). */
  get built(): boolean {
    return this.tables !== null;
  }

  /** Bytes of one token's row (w positions of H floats, padded to a multiple of 4). */
  get rowBytes(): number {
    return this.rowFloats * 4;
  }

  /** Bytes allocated for the tables (the pool as grown so far, slots, stacked weights, maps); 0 before they are built. */
  get bytes(): number {
    const tb = this.tables;
    if (!tb) return 0;
    let blocks = 0;
    for (const r of tb.regions) blocks += r.byteLength;
    return blocks + tb.fixedBytes;
  }

  /** Bytes of that in use: the filled part of the pool instead of all of it. */
  get usedBytes(): number {
    const tb = this.tables;
    if (!tb) return 0;
    return this.bytes - (tb.poolRoom - tb.pool.size) * this.rowBytes;
  }

  /** Tokens the pool can hold (0 before the tables are built). */
  get poolRows(): number {
    return this.tables?.poolCapacity ?? 0;
  }

  /** Tokens in the pool. */
  get pooledRows(): number {
    return this.tables?.pool.size ?? 0;
  }

  /** Passes whose windows were split over the kernels' threads (setKernelThreads). */
  get threadedPasses(): number {
    return this.runner.splits;
  }

  /** Whether passes run on the WebAssembly kernels (false before the tables are built). */
  get onKernels(): boolean {
    return this.tables !== null && this.tables.kernels !== null;
  }

  /** Whether the kernels' chunks look up their own rows (Tables.index: kernels, and few enough possible tuples). */
  get locatesOnKernels(): boolean {
    return this.tables !== null && this.tables.index !== null;
  }

  /**
   * Forget the tables: the next call rebuilds them from the model's current parameters.
   * Their blocks in the kernels' memory are given back now (the garbage collector does not
   * see that memory, and dev scoring builds new tables every epoch).
   */
  invalidate(): void {
    const tb = this.tables;
    if (tb) {
      for (const region of tb.regions) releaseKernelArray(region);
      releaseKernelArray(tb.weights);
      releaseKernelArray(tb.bias32);
      if (tb.index) releaseKernelArray(tb.index);
      if (tb.radices) releaseKernelArray(tb.radices);
    }
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
    this.tables = this.build(count, this.kernelsToUse());
    return true;
  }

  /**
   * Scores of B windows (ids as in EncodedWindows: B·w·T rows), building the tables if
   * needed. Returns a B×K view that stays valid until the next call.
   */
  forward(ids: Int32Array, B: number): Float32Array {
    beginStep(this.spin);
    try {
      return this.forwardPass(ids, B);
    } finally {
      endStep();
    }
  }

  private forwardPass(ids: Int32Array, B: number): Float32Array {
    const stride = this.w * this.T;
    if (ids.length < B * stride) throw new RangeError(`PrecomputedScorer.forward: ${B} windows need ${B * stride} ids, got ${ids.length}`);
    const K = this.K;
    if (this.S.length < B * K) this.S = kernelFloats(Math.max(B * K, 2 * this.S.length));
    const kernels = this.kernelsToUse();
    // Tables built for kernels that were disabled since (or the other way round) are rebuilt.
    if (this.tables && this.tables.requested !== kernels) this.invalidate();
    this.tables ??= this.build(B, kernels);
    const tb = this.tables;
    const output = tb.kernels ? this.outputInKernels(tb.kernels) : null;
    // With the index, tag_locate checks each pass's ids (−1 for a bad one: checkRows says which).
    const direct = tb.kernels !== null && output !== null && tb.index !== null && tb.radices !== null;
    if (!direct) this.checkRows(ids, B * stride);
    for (let start = 0; start < B; start += SUB_BATCH) {
      const n = Math.min(SUB_BATCH, B - start);
      const first = start * stride;
      let from = 0;
      let to = n;
      if (direct && tb.kernels && output) {
        // Each chunk of windows looks up its own rows (tag_windows with ids): no lookup on
        // this thread unless a token has no row yet.
        const { passIds } = this;
        const end = first + n * stride;
        passIds.set(first === 0 && end === ids.length ? ids : ids.subarray(first, end));
        const failed = this.passOnKernels(tb, tb.kernels, output, start, 0, n, true);
        if (failed === 0) continue;
        if (failed < 0) {
          this.checkRows(ids, B * stride);
          throw new RangeError('PrecomputedScorer: tag_locate found an id out of range that checkRows did not');
        }
        // Tokens seen for the first time: placed and filled below, and the chunks that
        // met them scored again (the others' rows were all in the pool: locate gives them
        // the same rows).
        from = this.runner.redoFrom;
        to = this.runner.redoTo;
      }
      this.locate(tb, ids, first, n);
      this.fill(tb, ids);
      if (this.missing > 0) this.fallbacks(tb, ids, first, n);
      // The slots held this pass's tokens that found no room in the pool.
      tb.slots.clear();
      if (tb.kernels && output) this.passOnKernels(tb, tb.kernels, output, start, from, to - from, false);
      else this.passInTypeScript(tb, start, n);
    }
    return this.S.subarray(0, B * K);
  }

  /**
   * The kernels when they are enabled and every buffer of a pass lives in their memory
   * (it may not, if that memory ran out), else null.
   */
  private kernelsToUse(): TaggingKernels | null {
    const kernels = taggingKernels();
    if (!kernels) return null;
    const m = kernels.memory;
    const { U, c } = this.model.params;
    if (m.pointer(U) < 0 || m.pointer(c) < 0) this.outputCopy ??= kernelFloats(this.K * this.H + this.K);
    const output = this.outputCopy === null || m.pointer(this.outputCopy) >= 0;
    const inMemory = m.pointer(this.rowAtBlock) >= 0 && m.pointer(this.A) >= 0 && m.pointer(this.fillX) >= 0 && m.pointer(this.S) >= 0 && m.pointer(this.params) >= 0;
    return output && inMemory ? kernels : null;
  }

  /** Byte addresses of U, c and S in the kernels' memory (U and c copied there now if the model's are elsewhere: they are read live). */
  private outputInKernels(kernels: TaggingKernels): { pU: number; pc: number; pS: number } {
    const { U, c } = this.model.params;
    const m = kernels.memory;
    let pU = m.pointer(U);
    let pc = m.pointer(c);
    const copy = this.outputCopy;
    if ((pU < 0 || pc < 0) && copy) {
      const { H, K } = this;
      copy.set(U.subarray(0, K * H));
      copy.set(c.subarray(0, K), K * H);
      pU = m.pointer(copy);
      pc = pU + 4 * K * H;
    }
    return { pU, pc, pS: m.pointer(this.S) };
  }

  /**
   * A (n×Hp) = f(Σ rows + b_eff), then S = A·Uᵀ + c, for windows from..from+n of the pass
   * starting at window `start`: tag_windows, split over the threads. With `locating`, the
   * chunks look up their rows from passIds in Tables.index first: returns what
   * TagWindowsRunner.run does (0 when every window was scored).
   */
  private passOnKernels(tb: Tables, kernels: TaggingKernels, output: { pU: number; pc: number; pS: number }, start: number, from: number, n: number, locating: boolean): number {
    const { w, T, H, Hp, K, params, paramInts: ints } = this;
    const m = kernels.memory;
    ints[0] = w;
    ints[1] = Hp;
    ints[2] = H;
    ints[3] = K;
    ints[4] = m.pointer(tb.bias32);
    ints[5] = output.pU;
    ints[6] = output.pc;
    ints[7] = this.actCode;
    params[8] = this.slope;
    ints[9] = PREFETCH_AHEAD;
    const pRows = m.pointer(this.rowAtBlock) + 4 * from * w;
    const pA = m.pointer(this.A) + 4 * from * Hp;
    const pS = output.pS + 4 * (start + from) * K;
    if (!locating || !tb.index || !tb.radices) return this.runner.run(kernels, n, pRows, pA, pS, m.pointer(params), w, Hp, K);
    ints[10] = T;
    ints[11] = m.pointer(tb.radices);
    ints[12] = m.pointer(tb.index);
    return this.runner.run(kernels, n, pRows, pA, pS, m.pointer(params), w, Hp, K, m.pointer(this.passIds) + 4 * from * w * T, T, this.chunkStatus);
  }

  /** The TypeScript path: Z = b_eff + Σ rows in float64, A = f(Z), S = A·Uᵀ + c. */
  private passInTypeScript(tb: Tables, start: number, n: number): void {
    const { H, K, A, S } = this;
    const { U, c } = this.model.params;
    this.Z ??= new Float32Array(SUB_BATCH * H);
    const Z = this.Z;
    this.firstLayer(tb, Z, n);
    this.model.activation.forward(A, Z, n * H);
    const out = S.subarray(start * K, (start + n) * K);
    gemm(false, true, n, K, H, 1, A, U, 0, out);
    for (let i = 0; i < n; i++) {
      const o = i * K;
      for (let k = 0; k < K; k++) out[o + k] += c[k];
    }
  }

  /** Where row `offset` of block `region` is, as the pass reads it: a byte address (kernels) or block and offset. */
  private location(tb: Tables, region: number, offset: number): number {
    return tb.kernels ? tb.regionAddress[region] + 4 * offset : (region << REGION_BITS) | offset;
  }

  /**
   * rowAt for every (window, position) of the pass, placing tokens seen for the first time
   * (the pool while it lasts, then a slot while slots last) and queueing their fill.
   */
  private locate(tb: Tables, ids: Int32Array, first: number, n: number): void {
    const { T, w, rowFloats, rowAt, pendingAt, pendingRegion, pendingOffset } = this;
    const { pool, slots } = tb;
    let pending = 0;
    let missing = 0;
    for (let win = 0; win < n; win++) {
      for (let j = 0; j < w; j++) {
        const at = first + (win * w + j) * T;
        // Consecutive windows of a sentence share w − 1 tokens, one position apart: reuse
        // the previous window's look-up when the tuple is the same (whatever the reason).
        if (win > 0 && j + 1 < w && sameTuple(ids, at, at - (w - 1) * T, T)) {
          const previous = rowAt[(win - 1) * w + j + 1];
          rowAt[win * w + j] = previous;
          if (previous < 0) missing++;
          continue;
        }
        let row = pool.get(ids, at);
        if (row < 0 && tb.slotCapacity > 0) row = slots.get(ids, at);
        if (row < 0) {
          let region = -1;
          let offset = 0;
          if (pool.size === tb.poolRoom && tb.poolRoom < tb.poolCapacity) this.growPool(tb);
          if (pool.size < tb.poolRoom) {
            region = tb.chunk;
            offset = tb.chunkNext;
            tb.chunkNext += rowFloats;
            row = this.location(tb, region, offset);
            pool.add(ids, at, row);
            if (tb.index) tb.index[this.tupleIndex(ids, at)] = row;
          } else if (slots.size < tb.slotCapacity) {
            region = tb.slotRegion;
            offset = slots.size * rowFloats;
            row = this.location(tb, region, offset);
            slots.add(ids, at, row);
          }
          if (region >= 0) {
            pendingAt[pending] = at;
            pendingRegion[pending] = region;
            pendingOffset[pending++] = offset;
          }
        }
        rowAt[win * w + j] = row;
        if (row < 0) missing++;
      }
    }
    this.pending = pending;
    this.missing = missing;
  }

  /** One more chunk of pool rows: as many as the pool has (at least INITIAL_POOL_ROWS), at most chunkRows. Rows already placed never move. */
  private growPool(tb: Tables): void {
    const rows = Math.min(tb.poolCapacity - tb.poolRoom, Math.max(tb.poolRoom, INITIAL_POOL_ROWS), tb.chunkRows);
    const block = this.addRegion(tb, rows * this.rowFloats);
    if (block < 0) {
      // The kernels' memory is full: the pool stays as it is, and the slots take the rest.
      tb.poolCapacity = tb.poolRoom;
      return;
    }
    tb.chunk = block;
    tb.chunkNext = 0;
    tb.poolRoom += rows;
  }

  /** A new block of `floats`, zeroed; its index, or −1 when it cannot be placed where the pass reads. */
  private addRegion(tb: Tables, floats: number): number {
    if (tb.regions.length >= MAX_REGIONS) return -1;
    const block = kernelFloats(floats);
    let address = 0;
    if (tb.kernels) {
      address = tb.kernels.memory.pointer(block);
      if (address < 0) return -1;
    }
    tb.regions.push(block);
    tb.regionAddress.push(address);
    return tb.regions.length - 1;
  }

  /**
   * The pending tokens' products: their vectors gathered, then one gemm against the stacked
   * weights per run of rows that follow each other in one block, written in place.
   */
  private fill(tb: Tables, ids: Int32Array): void {
    const { Pp, rowFloats, fillX: X, pendingAt, pendingRegion, pendingOffset } = this;
    const pending = this.pending;
    this.stats.rowFills += pending;
    let p0 = 0;
    while (p0 < pending) {
      const region = pendingRegion[p0];
      let m = 1;
      while (m < FILL_ROWS && p0 + m < pending && pendingRegion[p0 + m] === region && pendingOffset[p0 + m] === pendingOffset[p0] + m * rowFloats) m++;
      for (let r = 0; r < m; r++) this.gatherToken(ids, pendingAt[p0 + r], X, r * Pp);
      const dst = pendingOffset[p0];
      gemm(false, true, m, rowFloats, Pp, 1, X, tb.weights, 0, tb.regions[region].subarray(dst, dst + m * rowFloats));
      p0 += m;
    }
    this.pending = 0;
  }

  /** Positions with no row (neither pool nor slot): that one position's product, for this window. */
  private fallbacks(tb: Tables, ids: Int32Array, first: number, n: number): void {
    const { w, T, H, Pp, rowFloats, rowAt } = this;
    for (let win = 0; win < n; win++) {
      for (let j = 0; j < w; j++) {
        if (rowAt[win * w + j] >= 0) continue;
        if (tb.fallbackRegion < 0) {
          tb.fallbackRegion = this.addRegion(tb, SUB_BATCH * rowFloats);
          if (tb.fallbackRegion < 0) throw new RangeError('PrecomputedScorer: no memory left for the tables');
        }
        // Window win's products sit where a row would, position j interleaved as in rows.
        const offset = win * rowFloats;
        const x = this.fillX;
        this.gatherToken(ids, first + (win * w + j) * T, x, 0);
        productAt(tb.weights, x, Pp, H, w, j, tb.regions[tb.fallbackRegion], offset);
        this.stats.windowProducts++;
        rowAt[win * w + j] = this.location(tb, tb.fallbackRegion, offset);
      }
    }
  }

  /** Z (n×H) = b_eff + Σ_j (token j's product at position j), summed in float64 and rounded once. */
  private firstLayer(tb: Tables, Z: Float32Array, n: number): void {
    const { w, H, zacc, rowAt } = this;
    const { regions, bias } = tb;
    for (let win = 0; win < n; win++) {
      for (let h = 0; h < H; h++) zacc[h] = bias[h];
      for (let j = 0; j < w; j++) {
        const location = rowAt[win * w + j];
        const rows = regions[location >>> REGION_BITS];
        const o = (location & OFFSET_MASK) + 4 * j;
        for (let h = 0; h < H; h++) zacc[h] += rows[o + slot(w, h)];
      }
      const zo = win * H;
      for (let h = 0; h < H; h++) Z[zo + h] = zacc[h];
    }
  }

  /** The mixed-radix index of the tuple ids[at .. at+T) (DirectMap's), for Tables.index. */
  private tupleIndex(ids: Int32Array, at: number): number {
    const tables = this.model.tables;
    let i = ids[at];
    for (let t = 1; t < this.T; t++) i = i * tables[t].rows + ids[at + t];
    return i;
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

  /** The tables for the model's current parameters, the first chunk of the pool sized for an input of `windows` windows. */
  private build(windows: number, kernels: TaggingKernels | null): Tables {
    const { model, w, H, Hp, P, Pp, rowFloats } = this;
    const { D } = model;
    const { W, bias } = foldPreprocessing(model);
    for (const table of model.tables) if (!(table.data instanceof Float32Array)) throw new RangeError('PrecomputedScorer: float32 models only');
    // Distinct tuples are bounded by the product of the table sizes (tiny for a model with few rows).
    const rows = model.tables.map((table) => table.rows);
    const tuples = rows.reduce((n, r) => n * r, 1);
    const chunkFloats = Math.min(REGION_FLOATS, Math.max(MIN_CHUNK_FLOATS, this.budgetBytes / 4 / (MAX_REGIONS / 2)));
    const chunkRows = Math.max(1, Math.floor(chunkFloats / rowFloats));
    // Block locations must fit an int32: the pool's chunks, the slots and the per-window products.
    const poolCapacity = Math.min(tuples, Math.floor(this.budgetBytes / (rowFloats * 4)), (MAX_REGIONS - 2) * chunkRows);
    // Tokens of one pass: at most SUB_BATCH + w − 1 distinct for windows of consecutive tokens (+ the two pads).
    const slotCapacity = poolCapacity < tuples ? SUB_BATCH + w + 1 : 0;
    // Row 4j + slot(w, h) of the stacked weights is row h of W_eff's block j: a token's w products in one gemm, in a row's order.
    const weights = kernelFloats(rowFloats * Pp);
    for (let j = 0; j < w; j++) {
      for (let h = 0; h < H; h++) {
        const src = h * D + j * P;
        const dst = (4 * j + slot(w, h)) * Pp;
        for (let e = 0; e < P; e++) weights[dst + e] = W[src + e];
      }
    }
    const bias32 = kernelFloats(Hp);
    for (let h = 0; h < H; h++) bias32[h] = bias[h];
    const onKernels = kernels && kernels.memory.pointer(weights) >= 0 && kernels.memory.pointer(bias32) >= 0 ? kernels : null;
    const { index, radices } = this.directIndex(onKernels, rows, tuples, poolCapacity);
    const pool = tokenMap(rows, poolCapacity);
    // A few hundred keys, looked up only once the pool is full: hashing is enough, and takes
    // no memory per possible tuple.
    const slots = new TupleMap(this.T, slotCapacity);
    const tb: Tables = {
      kernels: onKernels,
      requested: kernels,
      regions: [],
      regionAddress: [],
      poolRoom: 0,
      poolCapacity,
      chunk: -1,
      chunkNext: 0,
      chunkRows,
      weights,
      bias,
      bias32,
      pool,
      slots,
      slotRegion: -1,
      slotCapacity,
      fallbackRegion: -1,
      index,
      radices,
      fixedBytes: weights.byteLength + bias32.byteLength + pool.bytes + slots.bytes + (index?.byteLength ?? 0) + (radices?.byteLength ?? 0),
    };
    if (slotCapacity > 0) {
      const slotRegion = this.addRegion(tb, slotCapacity * rowFloats);
      if (slotRegion < 0) throw new RangeError('PrecomputedScorer: no memory left for the tables');
      tb.slotRegion = slotRegion;
    }
    const first = Math.min(poolCapacity, Math.max(INITIAL_POOL_ROWS, windows + 2), chunkRows);
    if (first > 0) {
      const block = this.addRegion(tb, first * rowFloats);
      if (block >= 0) {
        tb.chunk = block;
        tb.poolRoom = first;
      } else {
        tb.poolCapacity = 0;
      }
    }
    return tb;
  }

  /**
   * Tables.index and its radices, when the passes run on the kernels, the tuples are few
   * enough for an index and it fits in the kernels' memory; else nulls (TypeScript locate).
   */
  private directIndex(kernels: TaggingKernels | null, rows: readonly number[], tuples: number, poolCapacity: number): { index: Int32Array | null; radices: Int32Array | null } {
    const none = { index: null, radices: null };
    if (!kernels || !(tuples <= DIRECT_LIMIT) || poolCapacity === 0 || kernels.memory.pointer(this.passIds) < 0 || kernels.memory.pointer(this.chunkStatus) < 0) return none;
    const index = kernelInt32s(tuples);
    const radices = kernelInt32s(rows.length);
    radices.set(rows);
    if (kernels.memory.pointer(index) < 0 || kernels.memory.pointer(radices) < 0) {
      releaseKernelArray(index);
      releaseKernelArray(radices);
      return none;
    }
    return { index, radices };
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

function roundUp4(n: number): number {
  return (n + 3) & ~3;
}

/** Where entry h of position 0's product sits in a row of w positions (position j's is 4j further). */
function slot(w: number, h: number): number {
  return (h >> 2) * 4 * w + (h & 3);
}

/**
 * The leaky-ReLU slope of the model's activation, which the Activation interface does not
 * expose: f(−1) = −slope, computed into float64 storage, where it is exact.
 */
function leakySlopeOf(model: WindowScorer): number {
  const a = new Float64Array(1);
  model.activation.forward(a, Float64Array.of(-1), 1);
  return -a[0];
}

function sameTuple(ids: Int32Array, a: number, b: number, T: number): boolean {
  for (let t = 0; t < T; t++) if (ids[a + t] !== ids[b + t]) return false;
  return true;
}

/** Position j's product (H entries, summed in float64) of the token vector x, into the row at out[oo..], interleaved as rows are. */
function productAt(weights: Float32Array, x: Float32Array, Pp: number, H: number, w: number, j: number, out: Float32Array, oo: number): void {
  for (let h = 0; h < H; h++) {
    const at = 4 * j + slot(w, h);
    const r = at * Pp;
    let s0 = 0;
    let s1 = 0;
    for (let e = 0; e < Pp; e += 2) {
      s0 += weights[r + e] * x[e];
      s1 += weights[r + e + 1] * x[e + 1];
    }
    out[oo + at] = s0 + s1;
  }
}

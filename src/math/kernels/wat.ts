import { elementwiseWat } from './wat-elementwise.js';
import { stepWat } from './wat-step.js';
import { taggingWat } from './wat-tagging.js';
import { BC_ROWS, BC_VECS, MAX_PAGES, NT_COL_BLOCK, NT_COLS, NT_ROWS } from './tiles.js';


/**
 * The WebAssembly text of the SIMD GEMM kernels (f32x4), generated from a few tile
 * templates. This is the kernels' source: `scripts/build.mjs` assembles it with wabt into
 * ner-kernels.generated.ts (see assemble.ts); nothing here runs at run time.
 *
 * Why generated text and not hand-written: the kernels are register tiles unrolled over
 * rows × column vectors, and each needs narrower variants for the fringe of odd shapes.
 * One template per tile shape keeps every variant doing the same arithmetic in the same
 * order, which the thread split relies on (see "Bitwise contract" below), and makes the
 * tile sizes one constant each instead of hundreds of hand-copied lines.
 *
 * Three exported kernels cover the products of the model, all with one signature
 * (M, N, K, pA, lda, pB, ldb, pC, ldc, alpha, beta, pBias), row-major, C is M×N:
 *
 *   gemm_nt  C = alpha·A·Bᵀ: A is M×K, B is N×K, so every C[i,j] is a dot product of two
 *            contiguous rows (X·Wᵀ, A·Uᵀ).
 *   gemm_nn  C = alpha·A·B: A is M×K, B is K×N (dZ·W).
 *   gemm_tn  C = alpha·Aᵀ·B: A is K×M, B is K×N (dZᵀ·X).
 *
 * then C = C + beta·C_old (unless beta = 0, which never reads C, so NaN or garbage there
 * is overwritten), then C = C + bias[j] per column (pBias = 0: none). NN and TN are one
 * template ("broadcast"): each step multiplies one element of A, broadcast, by a row
 * segment of B. Pointers are byte addresses in the shared memory; strides are in elements.
 *
 * Register budget: V8 on x64 gives wasm SIMD 16 xmm registers, one of them a scratch.
 * An NT tile of 2×4 holds 8 accumulators + 2 A vectors + 1 B vector + 1 product; a
 * broadcast tile of 4 rows × 2 vectors holds 8 accumulators + 2 B vectors + 1 splat +
 * 1 product. Larger tiles spill to the stack and run slower (measured).
 *
 * Bitwise contract: every C element is computed by the same sequence of f32 operations
 * whichever tile or fringe variant computes it (SIMD lanes round exactly like scalar f32):
 *   NT: four lane sums over k ≡ 0,1,2,3 (mod 4) for k < K − K mod 4, combined as
 *       (l0 + l2) + (l1 + l3), then the K mod 4 remaining products added in k order;
 *   broadcast: one running sum over k in order.
 * Then r = alpha·sum, r = r + beta·C (unless beta = 0), r = r + bias[j] (if given).
 * So splitting C between threads at any row or column gives exactly the one-thread result.
 */

/** Tile sizes of one build; tiles.ts holds the ones in use (the others are for tuning experiments). */
export interface TileSizes {
  ntRows: number;
  ntColBlock: number;
  bcRows: number;
  bcVecs: number;
}

export const TILES: TileSizes = { ntRows: NT_ROWS, ntColBlock: NT_COL_BLOCK, bcRows: BC_ROWS, bcVecs: BC_VECS };

let tiles = TILES;

class Code {
  private readonly lines: string[] = [];
  private depth = 0;

  line(text: string): this {
    this.lines.push('  '.repeat(this.depth) + text);
    return this;
  }

  open(text: string): this {
    this.line(text);
    this.depth++;
    return this;
  }

  close(text = ')'): this {
    this.depth--;
    return this.line(text);
  }

  toString(): string {
    return this.lines.join('\n');
  }
}

const get = (name: string): string => `(local.get $${name})`;
const set = (name: string, value: string): string => `(local.set $${name} ${value})`;
const add = (a: string, b: string): string => `(i32.add ${a} ${b})`;
const mul = (a: string, b: string): string => `(i32.mul ${a} ${b})`;
const bytes = (elements: string): string => `(i32.shl ${elements} (i32.const 2))`;
const ZERO = '(v128.const f32x4 0 0 0 0)';

/** i8x16.shuffle of two f32x4 by lane indices (0–3 the first operand, 4–7 the second). */
function shuffle(lanes: number[], a: string, b: string): string {
  const byteLanes = lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]);
  return `(i8x16.shuffle ${byteLanes.join(' ')} ${a} ${b})`;
}

let labels = 0;

/** `while (cond) body` as a guarded do-while (the loop form V8 compiles tightest). */
function whileLoop(c: Code, name: string, cond: string, body: (c: Code) => void): void {
  const label = `${name}_${labels++}`;
  c.open(`(if ${cond}`).open('(then').open(`(loop $${label}`);
  body(c);
  c.line(`(br_if $${label} ${cond})`);
  c.close().close().close();
}

// ---------------------------------------------------------------------------------------
// NT: C[i,j] = Σ_k A[i,k]·B[j,k]
// ---------------------------------------------------------------------------------------

/**
 * One R×C tile of NT at (i, j); C is NT_COLS (one vector of results per row) or 1.
 * Leaves locals i, j unchanged.
 */
/**
 * What every product function starts with: its locals, the row strides in bytes, and alpha
 * and beta (splatted; hasBeta says whether C is read at all).
 */
function prologue(c: Code, i32s: string[], v128s: string[], f32s: string[]): void {
  c.line(i32s.map((n) => `(local $${n} i32)`).join(' '));
  c.line(v128s.map((n) => `(local $${n} v128)`).join(' '));
  c.line(f32s.map((n) => `(local $${n} f32)`).join(' '));
  c.line(set('lda4', bytes(get('lda'))));
  c.line(set('ldb4', bytes(get('ldb'))));
  c.line(set('ldc4', bytes(get('ldc'))));
  c.line(set('hasBeta', '(f32.ne (local.get $beta) (f32.const 0))'));
  c.line(set('valpha', '(f32x4.splat (local.get $alpha))'));
  c.line(set('vbeta', '(f32x4.splat (local.get $beta))'));
}

function ntTile(c: Code, R: number, C: number): void {
  const acc = (r: number, q: number): string => `acc${r}_${q}`;
  for (let r = 0; r < R; r++) c.line(set(`pa${r}`, add(get('pA'), mul(add(get('i'), `(i32.const ${r})`), get('lda4')))));
  for (let q = 0; q < C; q++) c.line(set(`pb${q}`, add(get('pB'), mul(add(get('j'), `(i32.const ${q})`), get('ldb4')))));
  for (let r = 0; r < R; r++) for (let q = 0; q < C; q++) c.line(set(acc(r, q), ZERO));
  c.line(set('n', get('k4')));
  whileLoop(c, 'ntk', `(i32.gt_s ${get('n')} (i32.const 0))`, (c) => {
    for (let r = 0; r < R; r++) c.line(set(`av${r}`, `(v128.load ${get(`pa${r}`)})`));
    for (let q = 0; q < C; q++) {
      c.line(set('bv', `(v128.load ${get(`pb${q}`)})`));
      for (let r = 0; r < R; r++) c.line(set(acc(r, q), `(f32x4.add ${get(acc(r, q))} (f32x4.mul ${get(`av${r}`)} ${get('bv')}))`));
    }
    for (let r = 0; r < R; r++) c.line(set(`pa${r}`, add(get(`pa${r}`), '(i32.const 16)')));
    for (let q = 0; q < C; q++) c.line(set(`pb${q}`, add(get(`pb${q}`), '(i32.const 16)')));
    c.line(set('n', '(i32.sub (local.get $n) (i32.const 1))'));
  });
  if (C === NT_COLS) {
    // Lane sums of four accumulators at once: a 4×4 transpose-and-add gives the vector
    // [(a0+a2)+(a1+a3), (b0+b2)+(b1+b3), …] for the four columns.
    for (let r = 0; r < R; r++) {
      const s01 = `(f32x4.add ${shuffle([0, 4, 1, 5], get(acc(r, 0)), get(acc(r, 1)))} ${shuffle([2, 6, 3, 7], get(acc(r, 0)), get(acc(r, 1)))})`;
      const s23 = `(f32x4.add ${shuffle([0, 4, 1, 5], get(acc(r, 2)), get(acc(r, 3)))} ${shuffle([2, 6, 3, 7], get(acc(r, 2)), get(acc(r, 3)))})`;
      c.line(set('t0', s01));
      c.line(set('t1', s23));
      c.line(set(`res${r}`, `(f32x4.add ${shuffle([0, 1, 4, 5], get('t0'), get('t1'))} ${shuffle([2, 3, 6, 7], get('t0'), get('t1'))})`));
    }
    // The K mod 4 remaining products, one k at a time: B[j..j+3, k] gathered into a vector.
    whileLoop(c, 'ntt', `(i32.gt_s ${get('tail')} (i32.const 0))`, (c) => {
      let bvec = `(f32x4.splat (f32.load ${get('pb0')}))`;
      for (let q = 1; q < C; q++) bvec = `(f32x4.replace_lane ${q} ${bvec} (f32.load ${get(`pb${q}`)}))`;
      c.line(set('bv', bvec));
      for (let r = 0; r < R; r++) {
        c.line(set(`res${r}`, `(f32x4.add ${get(`res${r}`)} (f32x4.mul (v128.load32_splat ${get(`pa${r}`)}) ${get('bv')}))`));
      }
      for (let r = 0; r < R; r++) c.line(set(`pa${r}`, add(get(`pa${r}`), '(i32.const 4)')));
      for (let q = 0; q < C; q++) c.line(set(`pb${q}`, add(get(`pb${q}`), '(i32.const 4)')));
      c.line(set('tail', '(i32.sub (local.get $tail) (i32.const 1))'));
    });
    c.line(set('tail', get('kt')));
    for (let r = 0; r < R; r++) {
      c.line(set('pc', add(add(get('pC'), mul(add(get('i'), `(i32.const ${r})`), get('ldc4'))), bytes(get('j')))));
      c.line(set('t0', `(f32x4.mul ${get(`res${r}`)} ${get('valpha')})`));
      c.line(`(if ${get('hasBeta')} (then ${set('t0', `(f32x4.add ${get('t0')} (f32x4.mul ${get('vbeta')} (v128.load ${get('pc')})))`)}))`);
      c.line(`(if ${get('pBias')} (then ${set('t0', `(f32x4.add ${get('t0')} (v128.load ${add(get('pBias'), bytes(get('j')))}))`)}))`);
      c.line(`(v128.store ${get('pc')} ${get('t0')})`);
    }
  } else {
    // One column: the same lane sums as the vector path, (l0+l2) + (l1+l3), in scalars.
    for (let r = 0; r < R; r++) {
      c.line(set('t0', `(f32x4.add ${get(acc(r, 0))} ${shuffle([2, 3, 0, 1], get(acc(r, 0)), get(acc(r, 0)))})`));
      c.line(set(`s${r}`, `(f32.add (f32x4.extract_lane 0 ${get('t0')}) (f32x4.extract_lane 1 ${get('t0')}))`));
    }
    whileLoop(c, 'ntt1', `(i32.gt_s ${get('tail')} (i32.const 0))`, (c) => {
      c.line(set('x', `(f32.load ${get('pb0')})`));
      for (let r = 0; r < R; r++) c.line(set(`s${r}`, `(f32.add ${get(`s${r}`)} (f32.mul (f32.load ${get(`pa${r}`)}) ${get('x')}))`));
      for (let r = 0; r < R; r++) c.line(set(`pa${r}`, add(get(`pa${r}`), '(i32.const 4)')));
      c.line(set('pb0', add(get('pb0'), '(i32.const 4)')));
      c.line(set('tail', '(i32.sub (local.get $tail) (i32.const 1))'));
    });
    c.line(set('tail', get('kt')));
    for (let r = 0; r < R; r++) {
      c.line(set('pc', add(add(get('pC'), mul(add(get('i'), `(i32.const ${r})`), get('ldc4'))), bytes(get('j')))));
      c.line(set('x', `(f32.mul ${get(`s${r}`)} ${get('alpha')})`));
      c.line(`(if ${get('hasBeta')} (then ${set('x', `(f32.add ${get('x')} (f32.mul ${get('beta')} (f32.load ${get('pc')})))`)}))`);
      c.line(`(if ${get('pBias')} (then ${set('x', `(f32.add ${get('x')} (f32.load ${add(get('pBias'), bytes(get('j')))}))`)}))`);
      c.line(`(f32.store ${get('pc')} ${get('x')})`);
    }
  }
}

/** All column tiles of rows i .. i+R−1 within the column block [jb, jEnd). */
function ntRowBlock(c: Code, R: number): void {
  c.line(set('j', get('jb')));
  whileLoop(c, `ntj${R}`, `(i32.le_s ${add(get('j'), `(i32.const ${NT_COLS})`)} ${get('jEnd')})`, (c) => {
    ntTile(c, R, NT_COLS);
    c.line(set('j', add(get('j'), `(i32.const ${NT_COLS})`)));
  });
  whileLoop(c, `ntj${R}_1`, `(i32.lt_s ${get('j')} ${get('jEnd')})`, (c) => {
    ntTile(c, R, 1);
    c.line(set('j', add(get('j'), '(i32.const 1)')));
  });
}

function ntFunction(c: Code): void {
  c.open('(func $gemm_nt (export "gemm_nt")');
  c.line('(param $M i32) (param $N i32) (param $K i32) (param $pA i32) (param $lda i32) (param $pB i32) (param $ldb i32)');
  c.line('(param $pC i32) (param $ldc i32) (param $alpha f32) (param $beta f32) (param $pBias i32)');
  const i32s = ['i', 'j', 'jb', 'jEnd', 'n', 'k4', 'kt', 'tail', 'lda4', 'ldb4', 'ldc4', 'pc', 'hasBeta'];
  for (let r = 0; r < tiles.ntRows; r++) i32s.push(`pa${r}`);
  for (let q = 0; q < NT_COLS; q++) i32s.push(`pb${q}`);
  const v128s = ['bv', 't0', 't1', 'valpha', 'vbeta'];
  for (let r = 0; r < tiles.ntRows; r++) {
    v128s.push(`av${r}`, `res${r}`);
    for (let q = 0; q < NT_COLS; q++) v128s.push(`acc${r}_${q}`);
  }
  const f32s = ['x'];
  for (let r = 0; r < tiles.ntRows; r++) f32s.push(`s${r}`);
  prologue(c, i32s, v128s, f32s);
  c.line(set('k4', '(i32.shr_u (local.get $K) (i32.const 2))'));
  c.line(set('kt', '(i32.and (local.get $K) (i32.const 3))'));
  c.line(set('tail', get('kt')));
  c.line(set('jb', '(i32.const 0)'));
  whileLoop(c, 'ntjb', `(i32.lt_s ${get('jb')} ${get('N')})`, (c) => {
    c.line(set('jEnd', add(get('jb'), `(i32.const ${tiles.ntColBlock})`)));
    c.line(`(if (i32.gt_s ${get('jEnd')} ${get('N')}) (then ${set('jEnd', get('N'))}))`);
    c.line(set('i', '(i32.const 0)'));
    whileLoop(c, 'nti', `(i32.le_s ${add(get('i'), `(i32.const ${tiles.ntRows})`)} ${get('M')})`, (c) => {
      ntRowBlock(c, tiles.ntRows);
      c.line(set('i', add(get('i'), `(i32.const ${tiles.ntRows})`)));
    });
    whileLoop(c, 'nti1', `(i32.lt_s ${get('i')} ${get('M')})`, (c) => {
      ntRowBlock(c, 1);
      c.line(set('i', add(get('i'), '(i32.const 1)')));
    });
    c.line(set('jb', get('jEnd')));
  });
  c.close();
}

// ---------------------------------------------------------------------------------------
// Broadcast (NN, TN): C[i, j..] = Σ_k A(i,k)·B[k, j..]
// ---------------------------------------------------------------------------------------

/**
 * How op(A) is laid out. 'nn': A is M×K; each row of the tile has its own pointer, and k
 * advances by one float. 'tn': A is K×M; the tile's rows are adjacent, so one pointer
 * with row offsets in the load instructions serves them all, and k advances by a row.
 * (Unrolling the k loop was slower: V8 hoists the unrolled loads and spills.)
 */
type Layout = 'nn' | 'tn';

/** One tile of R rows × V vectors (V = 0: one scalar column) at (i, j). K ≥ 1. */
function bcTile(c: Code, layout: Layout, R: number, V: number): void {
  const scalar = V === 0;
  const aAt = (r: number): string => (layout === 'nn' ? get(`pa${r}`) : `offset=${4 * r} ${get('pa0')}`);
  if (layout === 'nn') for (let r = 0; r < R; r++) c.line(set(`pa${r}`, add(get('pA'), mul(add(get('i'), `(i32.const ${r})`), get('lda4')))));
  else c.line(set('pa0', add(get('pA'), bytes(get('i')))));
  c.line(set('pb', add(get('pB'), bytes(get('j')))));
  if (scalar) for (let r = 0; r < R; r++) c.line(set(`s${r}`, '(f32.const 0)'));
  else for (let r = 0; r < R; r++) for (let v = 0; v < V; v++) c.line(set(`acc${r}_${v}`, ZERO));
  c.line(set('n', get('K')));
  const loop = `bck_${labels++}`;
  c.open(`(loop $${loop}`);
  if (scalar) {
    c.line(set('x', `(f32.load ${get('pb')})`));
    for (let r = 0; r < R; r++) c.line(set(`s${r}`, `(f32.add ${get(`s${r}`)} (f32.mul (f32.load ${aAt(r)}) ${get('x')}))`));
  } else {
    for (let v = 0; v < V; v++) c.line(set(`bv${v}`, `(v128.load offset=${16 * v} ${get('pb')})`));
    for (let r = 0; r < R; r++) {
      c.line(set('av', `(v128.load32_splat ${aAt(r)})`));
      for (let v = 0; v < V; v++) c.line(set(`acc${r}_${v}`, `(f32x4.add ${get(`acc${r}_${v}`)} (f32x4.mul ${get('av')} ${get(`bv${v}`)}))`));
    }
  }
  if (layout === 'nn') for (let r = 0; r < R; r++) c.line(set(`pa${r}`, add(get(`pa${r}`), '(i32.const 4)')));
  else c.line(set('pa0', add(get('pa0'), get('lda4'))));
  c.line(set('pb', add(get('pb'), get('ldb4'))));
  c.line(`(br_if $${loop} (local.tee $n (i32.sub (local.get $n) (i32.const 1))))`);
  c.close();
  for (let r = 0; r < R; r++) {
    c.line(set('pc', add(add(get('pC'), mul(add(get('i'), `(i32.const ${r})`), get('ldc4'))), bytes(get('j')))));
    if (scalar) {
      c.line(set('x', `(f32.mul ${get(`s${r}`)} ${get('alpha')})`));
      c.line(`(if ${get('hasBeta')} (then ${set('x', `(f32.add ${get('x')} (f32.mul ${get('beta')} (f32.load ${get('pc')})))`)}))`);
      c.line(`(if ${get('pBias')} (then ${set('x', `(f32.add ${get('x')} (f32.load ${add(get('pBias'), bytes(get('j')))}))`)}))`);
      c.line(`(f32.store ${get('pc')} ${get('x')})`);
    } else {
      for (let v = 0; v < V; v++) {
        const at = `offset=${16 * v}`;
        c.line(set('t0', `(f32x4.mul ${get(`acc${r}_${v}`)} ${get('valpha')})`));
        c.line(`(if ${get('hasBeta')} (then ${set('t0', `(f32x4.add ${get('t0')} (f32x4.mul ${get('vbeta')} (v128.load ${at} ${get('pc')})))`)}))`);
        c.line(`(if ${get('pBias')} (then ${set('t0', `(f32x4.add ${get('t0')} (v128.load ${at} ${add(get('pBias'), bytes(get('j')))}))`)}))`);
        c.line(`(v128.store ${at} ${get('pc')} ${get('t0')})`);
      }
    }
  }
}

/** Rows of one column panel [j, j + width): R-row tiles, then single rows. */
function bcPanel(c: Code, layout: Layout, V: number, label: string): void {
  c.line(set('i', '(i32.const 0)'));
  whileLoop(c, `${label}i`, `(i32.le_s ${add(get('i'), `(i32.const ${tiles.bcRows})`)} ${get('M')})`, (c) => {
    bcTile(c, layout, tiles.bcRows, V);
    c.line(set('i', add(get('i'), `(i32.const ${tiles.bcRows})`)));
  });
  whileLoop(c, `${label}i1`, `(i32.lt_s ${get('i')} ${get('M')})`, (c) => {
    bcTile(c, layout, 1, V);
    c.line(set('i', add(get('i'), '(i32.const 1)')));
  });
}

function bcFunction(c: Code, layout: Layout): void {
  c.open(`(func $gemm_${layout} (export "gemm_${layout}")`);
  c.line('(param $M i32) (param $N i32) (param $K i32) (param $pA i32) (param $lda i32) (param $pB i32) (param $ldb i32)');
  c.line('(param $pC i32) (param $ldc i32) (param $alpha f32) (param $beta f32) (param $pBias i32)');
  const i32s = ['i', 'j', 'n', 'lda4', 'ldb4', 'ldc4', 'pb', 'pc', 'hasBeta'];
  for (let r = 0; r < tiles.bcRows; r++) i32s.push(`pa${r}`);
  const v128s = ['av', 't0', 'valpha', 'vbeta'];
  for (let v = 0; v < tiles.bcVecs; v++) v128s.push(`bv${v}`);
  for (let r = 0; r < tiles.bcRows; r++) for (let v = 0; v < tiles.bcVecs; v++) v128s.push(`acc${r}_${v}`);
  const f32s = ['x'];
  for (let r = 0; r < tiles.bcRows; r++) f32s.push(`s${r}`);
  prologue(c, i32s, v128s, f32s);
  // Column panels outermost: a panel of B (K × 4·V floats) stays in L1 while every row
  // tile of A streams past it.
  c.line(set('j', '(i32.const 0)'));
  const width = 4 * tiles.bcVecs;
  whileLoop(c, 'bcj', `(i32.le_s ${add(get('j'), `(i32.const ${width})`)} ${get('N')})`, (c) => {
    bcPanel(c, layout, tiles.bcVecs, 'bcw');
    c.line(set('j', add(get('j'), `(i32.const ${width})`)));
  });
  whileLoop(c, 'bcj4', `(i32.le_s ${add(get('j'), '(i32.const 4)')} ${get('N')})`, (c) => {
    bcPanel(c, layout, 1, 'bcv');
    c.line(set('j', add(get('j'), '(i32.const 4)')));
  });
  whileLoop(c, 'bcj1', `(i32.lt_s ${get('j')} ${get('N')})`, (c) => {
    bcPanel(c, layout, 0, 'bcs');
    c.line(set('j', add(get('j'), '(i32.const 1)')));
  });
  c.close();
}

/**
 * The whole module: imports the shared memory (env.memory), exports gemm_nt, gemm_nn and
 * gemm_tn, the element-wise kernels of a training step (wat-elementwise.ts) and the
 * tagging kernels (wat-tagging.ts) and the fused step chunks (wat-step.ts).
 */
export function kernelsWat(sizes: TileSizes = TILES): string {
  tiles = sizes;
  labels = 0;
  const c = new Code();
  c.open('(module');
  c.line(`(import "env" "memory" (memory 1 ${MAX_PAGES} shared))`);
  ntFunction(c);
  bcFunction(c, 'nn');
  bcFunction(c, 'tn');
  c.line(elementwiseWat());
  c.line(taggingWat());
  c.line(stepWat());
  c.close();
  return c.toString() + '\n';
}

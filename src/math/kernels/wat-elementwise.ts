import { tanhInit, tanhLocals, tanhOf } from './wat-tanh.js';

/**
 * WebAssembly text of the element-wise kernels of a training step: the Adam and AdaGrad
 * updates, the L2 penalty with its gradient, the Bernoulli draws of a dropout mask, and
 * the float32 tanh (wat-tanh.ts).
 * Part of the module kernelsWat() builds (see wat.ts).
 *
 * Bitwise contract: each kernel computes exactly what its TypeScript counterpart computes
 * for float32 arrays (src/optim/adam.ts, adagrad.ts, objective/regularization.ts,
 * Rng.fillBernoulli), so training gives the same numbers with or without the kernels.
 * The optimisers run in float32 arithmetic (f32x4 here, Math.fround after every operation
 * there: a float64 operation on float32 operands rounded to float32 is the float32
 * operation). The penalty's gradient is computed in float64 and rounded once, on f64x2
 * lanes (float32 loads promoted, results demoted) as the TypeScript loop does it; its sum
 * runs in the four lanes the TypeScript side also uses. IEEE arithmetic rounds a SIMD lane
 * exactly as it rounds a scalar.
 *
 * Pointers are byte addresses in the shared memory; counts are in elements.
 */

/** f32x4 → its two f64x2 halves, and back. */
const low = (v: string): string => `(f64x2.promote_low_f32x4 ${v})`;
const high = (v: string): string => `(f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${v} ${v}))`;
const join = (lo: string, hi: string): string =>
  `(i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (f32x4.demote_f64x2_zero ${lo}) (f32x4.demote_f64x2_zero ${hi}))`;
const loadF64 = (p: string): string => `(f64.promote_f32 (f32.load ${p}))`;
const storeF32 = (p: string, value: string): string => `(f32.store ${p} (f32.demote_f64 ${value}))`;

/**
 * A loop over n elements: `quad` handles four at byte offset $o of every array (while
 * 4 remain), then `between` once, then `single` one at a time. Both see $o; the arrays'
 * pointers stay fixed.
 */
function elementLoop(name: string, quad: string, single: string, between = ''): string {
  return `
    (local.set $o (i32.const 0))
    (local.set $end4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $${name}_q_done
      (loop $${name}_q
        (br_if $${name}_q_done (i32.ge_u (local.get $o) (local.get $end4)))
        ${quad}
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $${name}_q)))
    ${between}
    (block $${name}_s_done
      (loop $${name}_s
        (br_if $${name}_s_done (i32.ge_u (local.get $o) (local.get $end)))
        ${single}
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $${name}_s)))`;
}

const at = (p: string): string => `(i32.add (local.get $${p}) (local.get $o))`;

/**
 * The same float32 arithmetic spelt for f32x4 lanes or for one f32: a float32 kernel is one
 * template, instantiated for the loop over whole vectors and for the n mod 4 last elements,
 * so the two cannot drift apart. `get` names a temporary or a constant (splatted for lanes).
 */
interface Lanes {
  op(name: string): string;
  load(p: string): string;
  store(p: string, value: string): string;
  get(name: string): string;
  set(name: string, value: string): string;
}

const VECTOR: Lanes = {
  op: (name) => `f32x4.${name}`,
  load: (p) => `(v128.load ${p})`,
  store: (p, value) => `(v128.store ${p} ${value})`,
  get: (name) => `(local.get $v_${name})`,
  set: (name, value) => `(local.set $v_${name} ${value})`,
};

const SCALAR: Lanes = {
  op: (name) => `f32.${name}`,
  load: (p) => `(f32.load ${p})`,
  store: (p, value) => `(f32.store ${p} ${value})`,
  get: (name) => `(local.get $s_${name})`,
  set: (name, value) => `(local.set $s_${name} ${value})`,
};

/**
 * func $name (export name) (pointers…, n, constants… as f32): the element loop of `body`
 * over both spellings. Constants arrive as f32 parameters $s_<c> and are splatted into $v_<c>.
 */
function float32Kernel(name: string, pointers: string[], constants: string[], temps: string[], body: (L: Lanes) => string): string {
  const params = [...pointers.map((p) => `(param $${p} i32)`), '(param $n i32)', ...constants.map((c) => `(param $s_${c} f32)`)].join(' ');
  const locals = [...temps.map((t) => `(local $v_${t} v128) (local $s_${t} f32)`), ...constants.map((c) => `(local $v_${c} v128)`)].join(' ');
  const init = constants.map((c) => `(local.set $v_${c} (f32x4.splat (local.get $s_${c})))`).join('\n    ');
  return `
  (func $${name} (export "${name}") ${params}
    (local $o i32) (local $end4 i32) (local $end i32) ${locals}
    ${init}
    ${elementLoop(name, body(VECTOR), body(SCALAR))})`;
}

/**
 * adam(pθ, pg, pm, pv, n, β1, 1−β1, β2, 1−β2, stepSize, ε̂) in float32 arithmetic, as
 * PyTorch's Adam computes it (every operation rounded to float32):
 *   m ← β1·m + (1−β1)·g;  v ← β2·v + ((1−β2)·g)·g;  θ ← θ − (stepSize·m)/(√v + ε̂)
 * adam.ts's float32 loop rounds every operation with Math.fround, which gives the same bits.
 */
function adam(): string {
  return float32Kernel('adam', ['pt', 'pg', 'pm', 'pv'], ['b1', 'c1', 'b2', 'c2', 'step', 'eps'], ['g', 'm', 'v'], (L) => {
    const f = L.op;
    return `
        ${L.set('g', L.load(at('pg')))}
        ${L.set('m', `(${f('add')} (${f('mul')} ${L.get('b1')} ${L.load(at('pm'))}) (${f('mul')} ${L.get('c1')} ${L.get('g')}))`)}
        ${L.set('v', `(${f('add')} (${f('mul')} ${L.get('b2')} ${L.load(at('pv'))}) (${f('mul')} (${f('mul')} ${L.get('c2')} ${L.get('g')}) ${L.get('g')}))`)}
        ${L.store(at('pm'), L.get('m'))}
        ${L.store(at('pv'), L.get('v'))}
        ${L.store(at('pt'), `(${f('sub')} ${L.load(at('pt'))} (${f('div')} (${f('mul')} ${L.get('step')} ${L.get('m')}) (${f('add')} (${f('sqrt')} ${L.get('v')}) ${L.get('eps')})))`)}`;
  });
}

/**
 * adagrad(pθ, pg, pG, n, α, ε) in float32 arithmetic: G ← G + g·g;  θ ← θ − (α·g)/(√G + ε),
 * as adagrad.ts's float32 loop computes it.
 */
function adagrad(): string {
  return float32Kernel('adagrad', ['pt', 'pg', 'ps'], ['alpha', 'eps'], ['g', 's'], (L) => {
    const f = L.op;
    return `
        ${L.set('g', L.load(at('pg')))}
        ${L.set('s', `(${f('add')} ${L.load(at('ps'))} (${f('mul')} ${L.get('g')} ${L.get('g')}))`)}
        ${L.store(at('ps'), L.get('s'))}
        ${L.store(at('pt'), `(${f('sub')} ${L.load(at('pt'))} (${f('div')} (${f('mul')} ${L.get('alpha')} ${L.get('g')}) (${f('add')} (${f('sqrt')} ${L.get('s')}) ${L.get('eps')})))`)}`;
  });
}

/**
 * l2_grad(pθ, pg, n, twoL2) → Σθ²: g ← g + twoL2·θ for each i, and the sum of squares in
 * four lanes (element i in lane i mod 4), returned as (s0 + s2) + (s1 + s3) plus the
 * n mod 4 last squares in order; squaresWithGrad sums in the same order.
 */
function l2Grad(): string {
  const half = (part: (v: string) => string): string => `
        (local.set $x ${part('(local.get $t4)')})
        (local.set $y ${part('(local.get $g4)')})
        (local.set $acc${part === low ? 'L' : 'H'} (f64x2.add (local.get $acc${part === low ? 'L' : 'H'}) (f64x2.mul (local.get $x) (local.get $x))))
        (local.set $${part === low ? 'gL' : 'gH'} (f64x2.add (local.get $y) (f64x2.mul (local.get $vk) (local.get $x))))`;
  const quad = `
        (local.set $t4 (v128.load ${at('pt')}))
        (local.set $g4 (v128.load ${at('pg')}))
        ${half(low)}
        ${half(high)}
        (v128.store ${at('pg')} ${join('(local.get $gL)', '(local.get $gH)')})`;
  const single = `
        (local.set $v ${loadF64(at('pt'))})
        (local.set $tail (f64.add (local.get $tail) (f64.mul (local.get $v) (local.get $v))))
        ${storeF32(at('pg'), `(f64.add ${loadF64(at('pg'))} (f64.mul (local.get $twoL2) (local.get $v)))`)}`;
  return `
  (func (export "l2_grad") (param $pt i32) (param $pg i32) (param $n i32) (param $twoL2 f64) (result f64)
    (local $o i32) (local $end4 i32) (local $end i32) (local $v f64) (local $tail f64)
    (local $vk v128) (local $t4 v128) (local $g4 v128) (local $x v128) (local $y v128)
    (local $accL v128) (local $accH v128) (local $gL v128) (local $gH v128)
    (local.set $vk (f64x2.splat (local.get $twoL2)))
    (local.set $accL (v128.const f64x2 0 0))
    (local.set $accH (v128.const f64x2 0 0))
    ${elementLoop('l2', quad, single, `
    (local.set $accL (f64x2.add (local.get $accL) (local.get $accH)))
    (local.set $tail (f64.add (f64x2.extract_lane 0 (local.get $accL)) (f64x2.extract_lane 1 (local.get $accL))))`)}
    (local.get $tail))`;
}

/**
 * bernoulli(pOut, n, last, any, hit, miss, pStreams): out[i] = (u_i ≤ last (unsigned) and
 * any ? hit : miss), u_i the next word of xoshiro128** stream i mod 4; the four streams'
 * states are at pStreams, word w of stream s at 4w + s, so each word is one vector with a
 * lane per stream. Rng.fillBernoulli seeds them and runs the same steps when it cannot use
 * the kernel. The decision is a vector compare and select: no branch to mispredict on a
 * draw that is random by design.
 */
function bernoulli(): string {
  const i32 = (v: string, op: string, k: number): string => `(${op} ${v} (i32.const ${k}))`;
  const step = `
        (local.set $r (i32x4.mul (local.get $s1) (local.get $five)))
        (local.set $u (i32x4.mul (v128.or ${i32('(local.get $r)', 'i32x4.shl', 7)} ${i32('(local.get $r)', 'i32x4.shr_u', 25)}) (local.get $nine)))
        (local.set $t ${i32('(local.get $s1)', 'i32x4.shl', 9)})
        (local.set $s2 (v128.xor (local.get $s2) (local.get $s0)))
        (local.set $s3 (v128.xor (local.get $s3) (local.get $s1)))
        (local.set $s1 (v128.xor (local.get $s1) (local.get $s2)))
        (local.set $s0 (v128.xor (local.get $s0) (local.get $s3)))
        (local.set $s2 (v128.xor (local.get $s2) (local.get $t)))
        (local.set $s3 (v128.or ${i32('(local.get $s3)', 'i32x4.shl', 11)} ${i32('(local.get $s3)', 'i32x4.shr_u', 21)}))
        (local.set $y (v128.bitselect (local.get $hitv) (local.get $missv) (v128.and (i32x4.le_u (local.get $u) (local.get $lim)) (local.get $en))))`;
  return `
  (func (export "bernoulli") (param $po i32) (param $n i32) (param $last i32) (param $any i32) (param $hit f32) (param $miss f32) (param $ps i32)
    (local $o i32) (local $end4 i32) (local $end i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $r v128) (local $u v128) (local $t v128) (local $y v128)
    (local $five v128) (local $nine v128) (local $lim v128) (local $en v128) (local $hitv v128) (local $missv v128)
    (local.set $s0 (v128.load (local.get $ps)))
    (local.set $s1 (v128.load offset=16 (local.get $ps)))
    (local.set $s2 (v128.load offset=32 (local.get $ps)))
    (local.set $s3 (v128.load offset=48 (local.get $ps)))
    (local.set $five (i32x4.splat (i32.const 5)))
    (local.set $nine (i32x4.splat (i32.const 9)))
    (local.set $lim (i32x4.splat (local.get $last)))
    (local.set $en (i32x4.splat (i32.sub (i32.const 0) (local.get $any))))
    (local.set $hitv (f32x4.splat (local.get $hit)))
    (local.set $missv (f32x4.splat (local.get $miss)))
    (local.set $end4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $quads_done
      (loop $quads
        (br_if $quads_done (i32.ge_u (local.get $o) (local.get $end4)))
        ${step}
        (v128.store (i32.add (local.get $po) (local.get $o)) (local.get $y))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $quads)))
    ;; The n mod 4 last entries: one more step of every stream, the first lanes stored.
    (if (i32.lt_u (local.get $o) (local.get $end))
      (then
        ${step}
        (v128.store32_lane 0 (i32.add (local.get $po) (local.get $o)) (local.get $y))
        (if (i32.lt_u (i32.add (local.get $o) (i32.const 4)) (local.get $end))
          (then (v128.store32_lane 1 (i32.add (local.get $po) (i32.add (local.get $o) (i32.const 4))) (local.get $y))))
        (if (i32.lt_u (i32.add (local.get $o) (i32.const 8)) (local.get $end))
          (then (v128.store32_lane 2 (i32.add (local.get $po) (i32.add (local.get $o) (i32.const 8))) (local.get $y)))))))`;
}

/**
 * tanh_f32(pOut, pIn, n): out[i] = tanhFloat32(in[i]) (tanh-float32.ts, the same bits),
 * four at a time; the n mod 4 last ones each computed in a vector of its own.
 */
function tanhF32(): string {
  return `
  (func $tanh_f32 (export "tanh_f32") (param $po i32) (param $pi i32) (param $n i32)
    (local $o i32) (local $end4 i32) (local $end i32) (local $x v128) ${tanhLocals()}
    ${tanhInit()}
    ${elementLoop('tanh', `
        (local.set $x (v128.load ${at('pi')}))
        ${tanhOf('(local.get $x)')}
        (v128.store ${at('po')} (local.get $th_y))`, `
        (local.set $x (f32x4.splat (f32.load ${at('pi')})))
        ${tanhOf('(local.get $x)')}
        (f32.store ${at('po')} (f32x4.extract_lane 0 (local.get $th_y)))`)})`;
}

/** mul(pOut, pA, pB, n): out = a·b, element by element (out may be a or b). */
function multiply(): string {
  return float32Kernel('mul', ['po', 'pa', 'pb'], [], [], (L) => `
        ${L.store(at('po'), `(${L.op('mul')} ${L.load(at('pa'))} ${L.load(at('pb'))})`)}`);
}

/**
 * tanh_backward(pG, pA, n): g ← g·(1 − a·a) with 1 − a·a and the product in float64, as
 * the TypeScript loop computes it (a·a is exact in float64 for a float32 a).
 */
function tanhBackward(): string {
  const half = (part: (v: string) => string, suffix: string): string => `
        (local.set $x ${part('(local.get $a4)')})
        (local.set $g${suffix} (f64x2.mul ${part('(local.get $g4)')} (f64x2.sub (local.get $one) (f64x2.mul (local.get $x) (local.get $x)))))`;
  return `
  (func $tanh_backward (export "tanh_backward") (param $pg i32) (param $pa i32) (param $n i32)
    (local $o i32) (local $end4 i32) (local $end i32) (local $a f64)
    (local $one v128) (local $a4 v128) (local $g4 v128) (local $x v128) (local $gL v128) (local $gH v128)
    (local.set $one (f64x2.splat (f64.const 1)))
    ${elementLoop('tanhb', `
        (local.set $a4 (v128.load ${at('pa')}))
        (local.set $g4 (v128.load ${at('pg')}))
        ${half(low, 'L')}
        ${half(high, 'H')}
        (v128.store ${at('pg')} ${join('(local.get $gL)', '(local.get $gH)')})`, `
        (local.set $a ${loadF64(at('pa'))})
        ${storeF32(at('pg'), `(f64.mul ${loadF64(at('pg'))} (f64.sub (f64.const 1) (f64.mul (local.get $a) (local.get $a))))`)}`)})`;
}

/** column_sums(pOut, pM, rows, cols): out[j] += M[r, j] for r = 0, 1, … in turn (float32 adds, as addColumnSums). */
function columnSums(): string {
  return `
  (func $column_sums (export "column_sums") (param $pOut i32) (param $pM i32) (param $rows i32) (param $cols i32)
    (local $o i32) (local $end4 i32) (local $end i32) (local $n i32) (local $r i32) (local $row i32) (local $stride i32)
    (local.set $n (local.get $cols))
    (local.set $stride (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $row (local.get $pM))
    (block $rows_done
      (loop $each_row
        (br_if $rows_done (i32.ge_u (local.get $r) (local.get $rows)))
        ${elementLoop('colsum', `
        (v128.store ${at('pOut')} (f32x4.add (v128.load ${at('pOut')}) (v128.load ${at('row')})))`, `
        (f32.store ${at('pOut')} (f32.add (f32.load ${at('pOut')}) (f32.load ${at('row')})))`)}
        (local.set $row (i32.add (local.get $row) (local.get $stride)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $each_row))))`;
}

/**
 * zero(p, n): n floats from p set to +0. Float32Array.prototype.fill on a view of shared
 * memory stores element by element (measured 8× slower than on the heap: 21 µs for the
 * 78,009 gradients of the bench model); this is a plain vector store loop.
 */
function zero(): string {
  return `
  (func (export "zero") (param $p i32) (param $n i32)
    (local $o i32) (local $end4 i32) (local $end i32) (local $z v128)
    ${elementLoop('zero', `
        (v128.store ${at('p')} (local.get $z))`, `
        (f32.store ${at('p')} (f32.const 0))`)})`;
}

/**
 * `body` for every window n < $B and position j < $w in turn (locals $n, $j; $n starts at 0),
 * the loop that walks a batch's window ids in gather and scatter_rows.
 */
function eachWindowPosition(body: string): string {
  return `
    (block $windows_done
      (loop $windows
        (br_if $windows_done (i32.ge_u (local.get $n) (local.get $B)))
        (local.set $j (i32.const 0))
        (block $positions_done
          (loop $positions
            (br_if $positions_done (i32.ge_u (local.get $j) (local.get $w)))
            ${body}
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $positions)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $windows)))`;
}

/**
 * gather(pX, pIds, B, w, T, D, P, pTables): the window scorer's input rows. For window n,
 * position j and table t, the row ids[(n·w + j)·T + t] of table t (int32 triples at
 * pTables + 12t: its data's byte address, its dim, its offset within a position) is copied
 * to X[n·D + j·P + offset].
 */
function gather(): string {
  return `
  (func $gather (export "gather") (param $pX i32) (param $pIds i32) (param $B i32) (param $w i32) (param $T i32) (param $D i32) (param $P i32) (param $pTables i32)
    (local $n i32) (local $j i32) (local $t i32) (local $id i32) (local $desc i32) (local $bytes i32) (local $src i32) (local $dst i32)
    (local $k i32) (local $end4 i32)
    ${eachWindowPosition(`
            (local.set $t (i32.const 0))
            (block $tables_done
              (loop $tables
                (br_if $tables_done (i32.ge_u (local.get $t) (local.get $T)))
                (local.set $desc (i32.add (local.get $pTables) (i32.mul (local.get $t) (i32.const 12))))
                (local.set $id (i32.load (local.get $pIds)))
                (local.set $bytes (i32.shl (i32.load offset=4 (local.get $desc)) (i32.const 2)))
                (local.set $src (i32.add (i32.load (local.get $desc)) (i32.mul (local.get $id) (local.get $bytes))))
                (local.set $dst (i32.add (local.get $pX) (i32.shl (i32.add (i32.add (i32.mul (local.get $n) (local.get $D)) (i32.mul (local.get $j) (local.get $P))) (i32.load offset=8 (local.get $desc))) (i32.const 2))))
                (local.set $k (i32.const 0))
                (local.set $end4 (i32.and (local.get $bytes) (i32.const -16)))
                (block $v_done
                  (loop $v
                    (br_if $v_done (i32.ge_u (local.get $k) (local.get $end4)))
                    (v128.store (i32.add (local.get $dst) (local.get $k)) (v128.load (i32.add (local.get $src) (local.get $k))))
                    (local.set $k (i32.add (local.get $k) (i32.const 16)))
                    (br $v)))
                (block $s_done
                  (loop $s
                    (br_if $s_done (i32.ge_u (local.get $k) (local.get $bytes)))
                    (f32.store (i32.add (local.get $dst) (local.get $k)) (f32.load (i32.add (local.get $src) (local.get $k))))
                    (local.set $k (i32.add (local.get $k) (i32.const 4)))
                    (br $s)))
                (local.set $pIds (i32.add (local.get $pIds) (i32.const 4)))
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (br $tables)))
`)})`;
}

/**
 * scatter_rows(pdX, pIds, B, w, T, t, D, P, offset, dim, pSlotOf, pRowIds, pGrad, count) → count:
 * table t's part of ∂x back into its sparse row gradient (SparseRowGrad.add for every window
 * n and position j in turn): row = ids[(n·w + j)·T + t]; a row seen for the first time gets
 * slot `count` (slotOf[row], rowIds[slot]) and its gradient stored (+ 0, so −0 becomes +0,
 * as adding into a zeroed row would), a row seen before gets it added. Returns the new
 * count; the caller has made room for B·w more slots.
 */
function scatterRows(): string {
  return `
  (func (export "scatter_rows") (param $pdX i32) (param $pIds i32) (param $B i32) (param $w i32) (param $T i32) (param $t i32)
      (param $D i32) (param $P i32) (param $offset i32) (param $dim i32) (param $pSlotOf i32) (param $pRowIds i32) (param $pGrad i32) (param $count i32)
      (result i32)
    (local $n i32) (local $j i32) (local $row i32) (local $slot i32) (local $src i32) (local $dst i32) (local $bytes i32) (local $k i32) (local $end4 i32)
    (local $first i32) (local $zero v128)
    (local.set $bytes (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $end4 (i32.and (local.get $bytes) (i32.const -16)))
    (local.set $pIds (i32.add (local.get $pIds) (i32.shl (local.get $t) (i32.const 2))))
    ${eachWindowPosition(`
            (local.set $row (i32.load (local.get $pIds)))
            (local.set $slot (i32.load (i32.add (local.get $pSlotOf) (i32.shl (local.get $row) (i32.const 2)))))
            (local.set $first (i32.lt_s (local.get $slot) (i32.const 0)))
            (if (local.get $first)
              (then
                (local.set $slot (local.get $count))
                (local.set $count (i32.add (local.get $count) (i32.const 1)))
                (i32.store (i32.add (local.get $pSlotOf) (i32.shl (local.get $row) (i32.const 2))) (local.get $slot))
                (i32.store (i32.add (local.get $pRowIds) (i32.shl (local.get $slot) (i32.const 2))) (local.get $row))))
            (local.set $src (i32.add (local.get $pdX) (i32.shl (i32.add (i32.add (i32.mul (local.get $n) (local.get $D)) (i32.mul (local.get $j) (local.get $P))) (local.get $offset)) (i32.const 2))))
            (local.set $dst (i32.add (local.get $pGrad) (i32.mul (local.get $slot) (local.get $bytes))))
            ;; A first gradient is x + 0 (−0 becomes +0), a later one g + x: both one add.
            (local.set $k (i32.const 0))
            (block $v_done
              (loop $v
                (br_if $v_done (i32.ge_u (local.get $k) (local.get $end4)))
                (v128.store (i32.add (local.get $dst) (local.get $k))
                  (f32x4.add (v128.load (i32.add (local.get $src) (local.get $k)))
                    (select (local.get $zero) (v128.load (i32.add (local.get $dst) (local.get $k))) (local.get $first))))
                (local.set $k (i32.add (local.get $k) (i32.const 16)))
                (br $v)))
            (block $s_done
              (loop $s
                (br_if $s_done (i32.ge_u (local.get $k) (local.get $bytes)))
                (f32.store (i32.add (local.get $dst) (local.get $k))
                  (f32.add (f32.load (i32.add (local.get $src) (local.get $k)))
                    (select (f32.const 0) (f32.load (i32.add (local.get $dst) (local.get $k))) (local.get $first))))
                (local.set $k (i32.add (local.get $k) (i32.const 4)))
                (br $s)))
            (local.set $pIds (i32.add (local.get $pIds) (i32.shl (local.get $T) (i32.const 2))))
`)}
    (local.get $count))`;
}

/**
 * ew_chunk(kind, start, count, pParams, …): elements [start, start + count) of one
 * element-wise kernel, in the 12-argument shape every op a helper thread runs has (the
 * other arguments are unused). pParams holds the kernel's arguments, 4 bytes each
 * (ELEMENTWISE_KINDS in elementwise.ts):
 *   0 adam:          pθ pg pm pv β1 1−β1 β2 1−β2 stepSize ε̂   (the last six float32)
 *   1 tanh_f32:      pOut pIn
 *   2 mul:           pOut pA pB
 *   3 tanh_backward: pG pA
 *   4 adagrad:       pθ pg pG α ε                             (the last two float32)
 * Each element is computed by the same instructions whatever the chunk, so a split gives
 * the one-call result bit for bit.
 */
function elementwiseChunk(): string {
  const ptr = (i: number): string => `(i32.add (i32.load offset=${4 * i} (local.get $pp)) (local.get $o))`;
  const flt = (i: number): string => `(f32.load offset=${4 * i} (local.get $pp))`;
  return `
  (func (export "ew_chunk") (param $kind i32) (param $start i32) (param $count i32) (param $pp i32)
      (param i32) (param i32) (param i32) (param i32) (param i32) (param f32) (param f32) (param i32)
    (local $o i32)
    (local.set $o (i32.shl (local.get $start) (i32.const 2)))
    (block $done
      (block $k4 (block $k3 (block $k2 (block $k1 (block $k0
        (br_table $k0 $k1 $k2 $k3 $k4 $done (local.get $kind)))
        (call $adam ${ptr(0)} ${ptr(1)} ${ptr(2)} ${ptr(3)} (local.get $count) ${flt(4)} ${flt(5)} ${flt(6)} ${flt(7)} ${flt(8)} ${flt(9)})
        (br $done))
        (call $tanh_f32 ${ptr(0)} ${ptr(1)} (local.get $count))
        (br $done))
        (call $mul ${ptr(0)} ${ptr(1)} ${ptr(2)} (local.get $count))
        (br $done))
        (call $tanh_backward ${ptr(0)} ${ptr(1)} (local.get $count))
        (br $done))
        (call $adagrad ${ptr(0)} ${ptr(1)} ${ptr(2)} (local.get $count) ${flt(3)} ${flt(4)})))`;
}

export function elementwiseWat(): string {
  return [adam(), adagrad(), l2Grad(), bernoulli(), tanhF32(), multiply(), tanhBackward(), columnSums(), zero(), gather(), scatterRows(), elementwiseChunk()].join('\n');
}

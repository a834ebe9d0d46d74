import { expOf, f32, tanhInit, tanhLocals, tanhOf } from './wat-tanh.js';

/**
 * WebAssembly text of the tagging kernels: PrecomputedScorer's hidden layer (the sum of a
 * window's pre-computed rows and the bias, then the activation), f32x4 SIMD, and
 * tag_windows, which adds the output layer (U·a + c, by gemm_nt of wat.ts) and is the op
 * threads run. Part of the module kernelsWat() builds.
 *
 * tag_hidden(n, pRows, w, Hp, pBias, pA, lda, act, _, slope, _, _), in the 12-argument
 * shape of the other kernels (9 i32, 2 f32, 1 i32; unused ones are 0):
 *
 *   for each window i < n, with q_j = int32 at pRows + 4·(i·w + j) (byte address of the
 *   row of the window's token at position j):
 *     z = ((p_0 + p_1) + … + p_{w−1}) + bias      (float32, in this order)
 *     A[i·lda .. i·lda + Hp) = f(z)
 *   where p_j is the product for position j in row q_j.
 *
 * A row holds a token's products for all w positions, interleaved by vector: floats
 * 4v .. 4v+3 of position j at 4·(v·w + j). A window then reads each of its rows whole (every
 * 16·w bytes), so the row of a token that enters the window comes in as one sequential
 * stream the prefetcher follows, and stays in cache for the w − 1 windows after that use
 * it; rows split by position would each start a stream of their own in w different windows
 * (over rows the size of the bench's, 110 MB, with Zipf-distributed tokens, the sums took
 * twice as long).
 *
 * Hp is H rounded up to a multiple of 4 (rows, bias and A rows are padded; the pad lanes
 * compute f(0) and nobody reads them). Every window is computed the same way whoever runs
 * it, so splitting windows between threads gives the same bits.
 *
 * act: 0 tanh, 1 sigmoid, 2 hardtanh, 3 softsign, 4 relu, 5 leaky-relu (slope).
 *
 * Accuracy (float32 against the exact value; test/model/precompute-kernels.test.ts sweeps
 * float32 inputs through the kernel): tanh within 1.2 ulp, sigmoid 2.5 ulp (where it is
 * above 1e−37), softsign 1.5 ulp; hardtanh and relu exact; leaky-relu rounds
 * fround(slope)·z once.
 * The model's own forward stores Math.tanh rounded once: the scores then agree to float32
 * rounding, as test/model/precompute.test.ts checks against a float64 forward.
 */

// The sigmoid's e^{−z} is the exponential of the float32 tanh (wat-tanh.ts, expOf), whose
// locals and constants it borrows.
// sigmoid: e^{−z} with −z held in [−87, 88], where 2^k stays a normal float32 (beyond,
// sigmoid is 1, or below 1e−38).
const SIG_LO = -87;
const SIG_HI = 88;

const get = (name: string): string => `(local.get $${name})`;

/** Locals holding splatted constants, and their initialisation. */
function constants(entries: [string, number][]): { locals: string; init: string } {
  return {
    locals: entries.map(([name]) => `(local $${name} v128)`).join(' '),
    init: entries.map(([name, value]) => `(local.set $${name} (f32x4.splat ${f32(value)}))`).join('\n    '),
  };
}

/**
 * An in-place activation over the floats of [$p, $end) (a whole number of vectors, at
 * least one): `body` maps local $x to local $y.
 */
function activation(name: string, consts: [string, number][], extraLocals: string, body: string, init = ''): string {
  const c = constants(consts);
  return `
  (func $act_${name} (param $p i32) (param $end i32) (param $slope f32) (param $pf i32) (param $pfStep i32) (param $pfSecond i32)
    (local $x v128) (local $y v128) ${extraLocals} ${c.locals}
    ${c.init}
    ${init}
    (loop $v_${name}
      ;; Touches of the next window's entering row (see tagHidden); the values are not used.
      (drop (i32.load ${get('pf')}))
      (drop (i32.load (i32.add ${get('pf')} ${get('pfSecond')})))
      (local.set $pf (i32.add ${get('pf')} ${get('pfStep')}))
      (local.set $x (v128.load ${get('p')}))
      ${body}
      (v128.store ${get('p')} ${get('y')})
      (local.set $p (i32.add ${get('p')} (i32.const 16)))
      (br_if $v_${name} (i32.lt_u ${get('p')} ${get('end')}))))`;
}

/** tanh: the training forward's float32 tanh (wat-tanh.ts), so both store the same bits. */
function tanh(): string {
  return activation('tanh', [], tanhLocals(), `${tanhOf(get('x'))}
      (local.set $y (local.get $th_y))`, tanhInit());
}

function sigmoid(): string {
  const body = `
      ${expOf(`(f32x4.pmax (f32x4.pmin (f32x4.neg ${get('x')}) ${get('hi')}) ${get('lo')})`)}
      (local.set $y (f32x4.div (local.get $th_one) (f32x4.add (local.get $th_one) (local.get $th_e))))`;
  return activation('sigmoid', [['lo', SIG_LO], ['hi', SIG_HI]], tanhLocals(), body, tanhInit());
}

function simpleActivations(): string {
  return [
    // v < −1 ? −1 : v > 1 ? 1 : v, which pmin and pmax (b < a ? b : a, a < b ? b : a) are
    // exactly, NaN and −0 included (min and max are not, and cost V8 several instructions).
    activation('hardtanh', [['one', 1], ['mone', -1]], '',
      `(local.set $y (f32x4.pmax (f32x4.pmin ${get('x')} ${get('one')}) ${get('mone')}))`),
    activation('softsign', [['one', 1]], '',
      `(local.set $y (f32x4.div ${get('x')} (f32x4.add ${get('one')} (f32x4.abs ${get('x')}))))`),
    // z > 0 ? z : 0 (NaN and −0 give +0).
    activation('relu', [['zero', 0]], '',
      `(local.set $y (v128.and ${get('x')} (f32x4.gt ${get('x')} ${get('zero')})))`),
    activation('leaky', [['zero', 0]], '',
      `(local.set $y (v128.bitselect ${get('x')} (f32x4.mul ${get('x')} (f32x4.splat ${get('slope')})) (f32x4.gt ${get('x')} ${get('zero')})))`),
  ].join('\n');
}

const ACTIVATIONS = ['tanh', 'sigmoid', 'hardtanh', 'softsign', 'relu', 'leaky'];

/**
 * `(br_table)` over `value`: cases[i] when value is i, else `fallback`. Every case ends by
 * leaving the whole construct.
 */
function switchOn(label: string, value: string, cases: string[], fallback: string): string {
  let inner = `(br_table ${cases.map((_, i) => `$${label}_${i}`).join(' ')} $${label}_d ${value})`;
  cases.forEach((body, i) => {
    inner = `(block $${label}_${i} ${inner})\n${body}\n(br $${label}_end)`;
  });
  return `(block $${label}_end (block $${label}_d ${inner})\n${fallback})`;
}

/** Largest window with its own unrolled sum (one address local per position). */
const MAX_UNROLLED = 8;

/**
 * The sum of one window for w positions, row addresses kept in locals $q0…: one sweep over
 * the Hp floats ($o steps through A and the bias, $or through the interleaved rows).
 */
function unrolledSum(w: number): string {
  const lines: string[] = [];
  for (let j = 0; j < w; j++) lines.push(`(local.set $q${j} (i32.add (i32.load offset=${4 * j} ${get('rp')}) (i32.const ${16 * j})))`);
  let z = `(v128.load (i32.add ${get('q0')} ${get('or')}))`;
  for (let j = 1; j < w; j++) z = `(f32x4.add ${z} (v128.load (i32.add ${get(`q${j}`)} ${get('or')})))`;
  z = `(f32x4.add ${z} (v128.load (i32.add ${get('pBias')} ${get('o')})))`;
  lines.push(
    '(local.set $o (i32.const 0))',
    '(local.set $or (i32.const 0))',
    `(loop $sum${w}
      (v128.store (i32.add ${get('pa')} ${get('o')}) ${z})
      (local.set $o (i32.add ${get('o')} (i32.const 16)))
      (local.set $or (i32.add ${get('or')} ${get('rs')}))
      (br_if $sum${w} (i32.lt_u ${get('o')} ${get('hb')})))`,
  );
  return lines.join('\n');
}

/** Any w: the same additions in the same order, one sweep over A's row per position. */
function sweepSum(): string {
  const sweep = (label: string, src: string, step: string, first: boolean): string => `
      (local.set $o (i32.const 0))
      (local.set $or (i32.const 0))
      (loop $${label}
        (v128.store (i32.add ${get('pa')} ${get('o')})
          ${first ? `(v128.load (i32.add ${src} ${get('or')}))` : `(f32x4.add (v128.load (i32.add ${get('pa')} ${get('o')})) (v128.load (i32.add ${src} ${get('or')})))`})
        (local.set $o (i32.add ${get('o')} (i32.const 16)))
        (local.set $or (i32.add ${get('or')} ${step}))
        (br_if $${label} (i32.lt_u ${get('o')} ${get('hb')})))`;
  return `
      ${sweep('first', `(i32.load ${get('rp')})`, get('rs'), true)}
      (local.set $j (i32.const 1))
      (block $rows_done
        (loop $rows
          (br_if $rows_done (i32.ge_u ${get('j')} ${get('w')}))
          (local.set $q0 (i32.add (i32.load (i32.add ${get('rp')} (i32.shl ${get('j')} (i32.const 2)))) (i32.shl ${get('j')} (i32.const 4))))
          ${sweep('row', get('q0'), get('rs'), false)}
          (local.set $j (i32.add ${get('j')} (i32.const 1)))
          (br $rows)))
      ${sweep('bias', get('pBias'), '(i32.const 16)', false)}`;
}

function tagHidden(): string {
  const qs = Array.from({ length: MAX_UNROLLED }, (_, j) => `(local $q${j} i32)`).join(' ');
  const sums = Array.from({ length: MAX_UNROLLED + 1 }, (_, w) => (w === 0 ? '' : unrolledSum(w)));
  const acts = ACTIVATIONS.map((name) => `(call $act_${name} ${get('pa')} (i32.add ${get('pa')} ${get('hb')}) ${get('slope')} ${get('pf')} ${get('rs')} ${get('pfSecond')})`);
  return `
  (func $tag_hidden (export "tag_hidden") (param $n i32) (param $pRows i32) (param $w i32) (param $Hp i32) (param $pBias i32)
      (param $pA i32) (param $lda i32) (param $act i32) (param $ahead i32) (param $slope f32) (param $u10 f32) (param $u11 i32)
    (local $win i32) (local $rp i32) (local $pa i32) (local $hb i32) (local $rs i32) (local $o i32) (local $or i32) (local $j i32) (local $pf i32) (local $pfSecond i32) ${qs}
    (local.set $hb (i32.shl ${get('Hp')} (i32.const 2)))
    (local.set $rs (i32.shl ${get('w')} (i32.const 4)))
    ;; A touch every 16·w bytes reaches every cache line of a row for w < 4; from 4 on, a
    ;; second one 48 bytes further is needed (and still inside the row).
    (local.set $pfSecond (select (i32.const 48) (i32.const 0) (i32.ge_u ${get('w')} (i32.const 4))))
    (block $windows_done
      (loop $windows
        (br_if $windows_done (i32.ge_u ${get('win')} ${get('n')}))
        (local.set $rp (i32.add ${get('pRows')} (i32.shl (i32.mul ${get('win')} ${get('w')}) (i32.const 2))))
        (local.set $pa (i32.add ${get('pA')} (i32.shl (i32.mul ${get('win')} ${get('lda')}) (i32.const 2))))
        ;; The row that enters with the next window (its token at the last position), or, for
        ;; the last window, this one's: the activation's loop touches it, so that it streams
        ;; in while this window computes instead of while the next one waits for it (15-20%
        ;; faster in a micro-benchmark over rows of the bench's size, mostly out of cache;
        ;; within the noise on the whole bench).
        (local.set $pf (i32.load (i32.add ${get('pRows')} (i32.shl (i32.sub (i32.mul
          (select (i32.add (i32.add ${get('win')} ${get('ahead')}) (i32.const 1)) ${get('n')} (i32.lt_u (i32.add ${get('win')} ${get('ahead')}) ${get('n')}))
          ${get('w')}) (i32.const 1)) (i32.const 2)))))
        ${switchOn('sum', get('w'), sums, sweepSum())}
        ${switchOn('act', get('act'), acts, '')}
        (local.set $win (i32.add ${get('win')} (i32.const 1)))
        (br $windows)))
  )`;
}

/**
 * tag_windows(n, pRows, pA, pS, pParams, pIds, pStatus, 0…): tag_hidden, then S (n×K) = A·Uᵀ + c
 * by gemm_nt, for n windows; the rest of the arguments come from the int32 block at
 * pParams: w, Hp, H, K, pBias, pU, pc, act, the slope's float32 bits, how many windows ahead
 * tag_hidden touches rows, and for pIds ≠ 0: T, pRadices, pIndex. A chunk of windows of a
 * pass is one call (pRows, pA, pS and pIds moved to its first window), so that threads.ts
 * can spread a pass's chunks over the threads.
 *
 * pIds ≠ 0: the chunk first finds its own rows, tag_locate of its n·w tokens (ids at pIds)
 * into pRows, and stores tag_locate's result at pStatus; when that is not 0 (a token with
 * no row, or a bad id) it computes nothing. So each thread looks up the rows of the windows
 * it scores, and the caller redoes only the chunks that failed.
 */
function tagWindows(): string {
  const param = (i: number): string => `(i32.load offset=${4 * i} ${get('pParams')})`;
  return `
  (func (export "tag_windows") (param $n i32) (param $pRows i32) (param $pA i32) (param $pS i32) (param $pParams i32)
      (param $pIds i32) (param $pStatus i32) (param $u7 i32) (param $u8 i32) (param $u9 f32) (param $u10 f32) (param $u11 i32)
    (local $Hp i32) (local $missing i32)
    (local.set $Hp ${param(1)})
    (if ${get('pIds')}
      (then
        (local.set $missing (call $tag_locate (i32.mul ${get('n')} ${param(0)}) ${get('pIds')} ${param(10)} ${param(11)} ${param(12)} ${get('pRows')}))
        (i32.store ${get('pStatus')} ${get('missing')})
        (if ${get('missing')} (then (return)))))
    (call $tag_hidden ${get('n')} ${get('pRows')} ${param(0)} ${get('Hp')} ${param(4)} ${get('pA')} ${get('Hp')} ${param(7)} ${param(9)}
      (f32.reinterpret_i32 ${param(8)}) (f32.const 0) (i32.const 0))
    (call $gemm_nt ${get('n')} ${param(3)} ${param(2)} ${get('pA')} ${get('Hp')} ${param(5)} ${param(2)} ${get('pS')} ${param(3)}
      (f32.const 1) (f32.const 0) ${param(6)}))`;
}

/**
 * tag_locate(count, pIds, T, pRadices, pIndex, pRowAt) → missing: the row address of each
 * of `count` tokens, for PrecomputedScorer's pass on the kernels when its pool is a direct
 * index (few enough possible tuples; the bench's words-only model among them).
 *
 *   token p's ids are the T int32 at pIds + 4·T·p, and its index the mixed-radix number
 *   of those ids with the T int32 radices at pRadices (each table's rows);
 *   int32 at pRowAt + 4p = int32 at pIndex + 4·index (the row's byte address, 0 for a token
 *   with no row yet: address 0 is the threads' control block, never a row).
 *
 * Returns the number of tokens without a row, or −1 as soon as an id is not below its
 * radix (a bad id would index past the table: the caller then reports it). A pass whose
 * tokens all have rows — every pass once the pool holds the input's tokens — is then
 * scored without a lookup in JavaScript (a hash or index per window there took as long
 * as a quarter of the pass's kernel time on one thread, and is not split over threads).
 */
function tagLocate(): string {
  return `
  (func $tag_locate (export "tag_locate") (param $count i32) (param $pIds i32) (param $T i32) (param $pRadices i32) (param $pIndex i32) (param $pRowAt i32)
      (result i32)
    (local $end i32) (local $t i32) (local $index i32) (local $id i32) (local $radix i32) (local $row i32) (local $missing i32) (local $r0 i32)
    (local.set $end (i32.add ${get('pRowAt')} (i32.shl ${get('count')} (i32.const 2))))
    (if (i32.ge_u ${get('pRowAt')} ${get('end')}) (then (return (i32.const 0))))
    (if (i32.lt_s ${get('T')} (i32.const 1)) (then (return (i32.const -1))))
    (if (i32.eq ${get('T')} (i32.const 1))
      (then
        ;; One table (words only): the id is the index.
        (local.set $r0 (i32.load ${get('pRadices')}))
        (loop $one
          (local.set $id (i32.load ${get('pIds')}))
          (if (i32.ge_u ${get('id')} ${get('r0')}) (then (return (i32.const -1))))
          (local.set $row (i32.load (i32.add ${get('pIndex')} (i32.shl ${get('id')} (i32.const 2)))))
          (i32.store ${get('pRowAt')} ${get('row')})
          (local.set $missing (i32.add ${get('missing')} (i32.eqz ${get('row')})))
          (local.set $pIds (i32.add ${get('pIds')} (i32.const 4)))
          (local.set $pRowAt (i32.add ${get('pRowAt')} (i32.const 4)))
          (br_if $one (i32.lt_u ${get('pRowAt')} ${get('end')})))
        (return ${get('missing')})))
    (loop $token
      (local.set $index (i32.const 0))
      (local.set $t (i32.const 0))
      (loop $table
        (local.set $id (i32.load ${get('pIds')}))
        (local.set $radix (i32.load (i32.add ${get('pRadices')} (i32.shl ${get('t')} (i32.const 2)))))
        (if (i32.ge_u ${get('id')} ${get('radix')}) (then (return (i32.const -1))))
        (local.set $index (i32.add (i32.mul ${get('index')} ${get('radix')}) ${get('id')}))
        (local.set $pIds (i32.add ${get('pIds')} (i32.const 4)))
        (local.set $t (i32.add ${get('t')} (i32.const 1)))
        (br_if $table (i32.lt_u ${get('t')} ${get('T')})))
      (local.set $row (i32.load (i32.add ${get('pIndex')} (i32.shl ${get('index')} (i32.const 2)))))
      (i32.store ${get('pRowAt')} ${get('row')})
      (local.set $missing (i32.add ${get('missing')} (i32.eqz ${get('row')})))
      (local.set $pRowAt (i32.add ${get('pRowAt')} (i32.const 4)))
      (br_if $token (i32.lt_u ${get('pRowAt')} ${get('end')})))
    ${get('missing')})`;
}

export function taggingWat(): string {
  return [tanh(), sigmoid(), simpleActivations(), tagHidden(), tagWindows(), tagLocate()].join('\n');
}

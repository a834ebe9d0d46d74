/**
 * step_chunk: the parts of a float32 training step with a tanh hidden layer that are
 * independent per window (forward rows, the backward rows down to ∂x) or per column of a
 * weight gradient, composed from the kernels the unfused step calls one by one (gather,
 * gemm_nt/nn/tn, tanh_f32, mul, tanh_backward, column_sums). One call runs one chunk, so
 * the whole chain for a block of rows runs on one thread without a hand-off between
 * kernels, and the threads split a step into two jobs per pass instead of one per kernel.
 *
 * Every element goes through the same kernel, with the same arguments apart from where its
 * block starts, as in the unfused step: gemm rows and columns keep their arithmetic
 * whichever block holds them (the bitwise contract in wat.ts), and the element-wise
 * kernels are per element. So a chunked step gives the unfused step's bits.
 *
 * step_chunk(kind, lo, hi, pParams, …): in the 12-argument shape every op a helper thread
 * runs has (the other arguments are unused); pParams holds int32 STEP_PARAMS
 * (step-kernels.ts). kinds:
 *   0 forward, windows [lo, hi): X = gather(ids); Z = X·Wᵀ + b; A = tanh(Z);
 *     Ad = A ⊙ mask (when pMask ≠ 0); S = Ad·Uᵀ + c
 *   1 backward, windows [lo, hi): dA = dS·U; dA ⊙= mask (when pMask ≠ 0); dA ⊙= 1 − A²;
 *     dX = dA·W (when pdX ≠ 0)
 *   2 ∂W, columns [lo, hi): gW += dAᵀ·X
 *   3 ∂b: gb += Σ_rows dA (lo, hi unused)
 */

/** Int32 slots of the parameter block (the same names in step-kernels.ts). */
export const STEP_SLOTS = [
  'pX', 'pIds', 'w', 'T', 'D', 'P', 'pTables', 'pW', 'pb', 'pZ', 'pA', 'H', 'pMask', 'pAd', 'pU', 'pc', 'pS', 'K',
  'pdS', 'pdA', 'pdX', 'pgW', 'pgb', 'B',
] as const;

export function stepWat(): string {
  const slot = (name: (typeof STEP_SLOTS)[number]): string => `(i32.load offset=${4 * STEP_SLOTS.indexOf(name)} (local.get $pp))`;
  // Byte address of row `row` of a matrix at slot `base` with `cols` floats per row.
  const rowAt = (base: string, row: string, cols: string): string => `(i32.add ${base} (i32.shl (i32.mul ${row} ${cols}) (i32.const 2)))`;
  const lo = '(local.get $lo)';
  const rows = '(local.get $rows)';
  const one = '(f32.const 1)';
  const zero = '(f32.const 0)';
  return `
  (func (export "step_chunk") (param $kind i32) (param $lo i32) (param $hi i32) (param $pp i32)
      (param i32) (param i32) (param i32) (param i32) (param i32) (param f32) (param f32) (param i32)
    (local $rows i32) (local $D i32) (local $H i32) (local $K i32) (local $n i32) (local $pAd i32)
    (local.set $rows (i32.sub (local.get $hi) (local.get $lo)))
    (local.set $D ${slot('D')})
    (local.set $H ${slot('H')})
    (local.set $K ${slot('K')})
    (local.set $n (i32.mul ${rows} (local.get $H)))
    (local.set $pAd (select ${slot('pAd')} ${slot('pA')} ${slot('pMask')}))
    (block $done
      (block $k3 (block $k2 (block $k1 (block $k0
        (br_table $k0 $k1 $k2 $k3 $done (local.get $kind)))
        ;; 0: forward rows
        (call $gather ${rowAt(slot('pX'), lo, '(local.get $D)')}
          (i32.add ${slot('pIds')} (i32.shl (i32.mul ${lo} (i32.mul ${slot('w')} ${slot('T')})) (i32.const 2)))
          ${rows} ${slot('w')} ${slot('T')} (local.get $D) ${slot('P')} ${slot('pTables')})
        (call $gemm_nt ${rows} (local.get $H) (local.get $D) ${rowAt(slot('pX'), lo, '(local.get $D)')} (local.get $D)
          ${slot('pW')} (local.get $D) ${rowAt(slot('pZ'), lo, '(local.get $H)')} (local.get $H) ${one} ${zero} ${slot('pb')})
        (call $tanh_f32 ${rowAt(slot('pA'), lo, '(local.get $H)')} ${rowAt(slot('pZ'), lo, '(local.get $H)')} (local.get $n))
        (if ${slot('pMask')} (then
          (call $mul ${rowAt(slot('pAd'), lo, '(local.get $H)')} ${rowAt(slot('pA'), lo, '(local.get $H)')} ${rowAt(slot('pMask'), lo, '(local.get $H)')} (local.get $n))))
        (call $gemm_nt ${rows} (local.get $K) (local.get $H) ${rowAt('(local.get $pAd)', lo, '(local.get $H)')} (local.get $H)
          ${slot('pU')} (local.get $H) ${rowAt(slot('pS'), lo, '(local.get $K)')} (local.get $K) ${one} ${zero} ${slot('pc')})
        (br $done))
        ;; 1: backward rows
        (call $gemm_nn ${rows} (local.get $H) (local.get $K) ${rowAt(slot('pdS'), lo, '(local.get $K)')} (local.get $K)
          ${slot('pU')} (local.get $H) ${rowAt(slot('pdA'), lo, '(local.get $H)')} (local.get $H) ${one} ${zero} (i32.const 0))
        (if ${slot('pMask')} (then
          (call $mul ${rowAt(slot('pdA'), lo, '(local.get $H)')} ${rowAt(slot('pdA'), lo, '(local.get $H)')} ${rowAt(slot('pMask'), lo, '(local.get $H)')} (local.get $n))))
        (call $tanh_backward ${rowAt(slot('pdA'), lo, '(local.get $H)')} ${rowAt(slot('pA'), lo, '(local.get $H)')} (local.get $n))
        (if ${slot('pdX')} (then
          (call $gemm_nn ${rows} (local.get $D) (local.get $H) ${rowAt(slot('pdA'), lo, '(local.get $H)')} (local.get $H)
            ${slot('pW')} (local.get $D) ${rowAt(slot('pdX'), lo, '(local.get $D)')} (local.get $D) ${one} ${zero} (i32.const 0))))
        (br $done))
        ;; 2: ∂W columns
        (call $gemm_tn (local.get $H) ${rows} ${slot('B')} ${slot('pdA')} (local.get $H)
          (i32.add ${slot('pX')} (i32.shl ${lo} (i32.const 2))) (local.get $D)
          (i32.add ${slot('pgW')} (i32.shl ${lo} (i32.const 2))) (local.get $D) ${one} ${one} (i32.const 0))
        (br $done))
      ;; 3: ∂b
      (call $column_sums ${slot('pgb')} ${slot('pdA')} ${slot('B')} (local.get $H))))`;
}

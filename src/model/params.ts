import { allocateForKernels, type DTypeName, type FloatArray } from '../math/matrix.js';
import type { Rng } from '../math/random.js';

/** Sizes of the scorer: D inputs, H hidden units, K scores. */
export interface DenseShape {
  D: number;
  H: number;
  K: number;
}

/**
 * All dense parameters in one array with named views, so an optimiser is one loop and
 * gradients and optimiser state copy the layout: W (H×D), b (H), U (K×H), c (K).
 */
export class DenseParams {
  readonly data: FloatArray;
  readonly W: FloatArray;
  readonly b: FloatArray;
  readonly U: FloatArray;
  readonly c: FloatArray;

  constructor(readonly shape: DenseShape, dtype: DTypeName, data?: FloatArray) {
    const { D, H, K } = shape;
    const size = denseSize(shape);
    this.data = data ?? allocateForKernels(dtype, size);
    if (this.data.length !== size) throw new RangeError(`DenseParams: expected ${size} values, got ${this.data.length}`);
    let o = 0;
    const view = (n: number): FloatArray => {
      const v = this.data.subarray(o, o + n);
      o += n;
      return v;
    };
    this.W = view(H * D);
    this.b = view(H);
    this.U = view(K * H);
    this.c = view(K);
  }

  /** Names, views and shapes, in layout order: what gradcheck and checkpoints walk. */
  entries(): { name: 'W' | 'b' | 'U' | 'c'; view: FloatArray; shape: number[]; isWeight: boolean }[] {
    const { D, H, K } = this.shape;
    return [
      { name: 'W', view: this.W, shape: [H, D], isWeight: true },
      { name: 'b', view: this.b, shape: [H], isWeight: false },
      { name: 'U', view: this.U, shape: [K, H], isWeight: true },
      { name: 'c', view: this.c, shape: [K], isWeight: false },
    ];
  }
}

export function denseSize({ D, H, K }: DenseShape): number {
  return H * D + H + K * H + K;
}

export type InitScheme = 'xavier' | 'uniform' | 'normal';

/** Bound of Xavier/Glorot uniform initialisation for a fan_in → fan_out layer: √(6/(fan_in + fan_out)). */
export function xavierBound(fanIn: number, fanOut: number): number {
  return Math.sqrt(6 / (fanIn + fanOut));
}

/**
 * Initial W and U by `scheme`; biases start at zero.
 *   xavier:  U[−r, r], r = √(6/(fan_in + fan_out)) per matrix, so Var = 2/(fan_in + fan_out)
 *   uniform: U[−scale, scale];  normal: N(0, scale²)
 */
export function initWeights(params: DenseParams, scheme: InitScheme, scale: number, rng: Rng): void {
  const { D, H, K } = params.shape;
  const layers: [FloatArray, number, number][] = [
    [params.W, D, H],
    [params.U, H, K],
  ];
  for (const [view, fanIn, fanOut] of layers) {
    if (scheme === 'xavier') fillUniform(view, xavierBound(fanIn, fanOut), rng);
    else if (scheme === 'uniform') fillUniform(view, scale, rng);
    else for (let i = 0; i < view.length; i++) view[i] = scale * rng.normal();
  }
  params.b.fill(0);
  params.c.fill(0);
}

/** Xavier/Glorot uniform for W and U, zero biases. */
export function xavierInit(params: DenseParams, rng: Rng): void {
  initWeights(params, 'xavier', 1, rng);
}

export function fillUniform(out: FloatArray, r: number, rng: Rng): void {
  for (let i = 0; i < out.length; i++) out[i] = rng.range(-r, r);
}

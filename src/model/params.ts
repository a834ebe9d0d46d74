import { allocate, type DTypeName, type FloatArray } from '../math/matrix.js';
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
    this.data = data ?? allocate(dtype, size);
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

/** Xavier/Glorot uniform: U[−r, r] with r = √(6/(fan_in + fan_out)); biases start at zero. */
export function xavierInit(params: DenseParams, rng: Rng): void {
  const { D, H, K } = params.shape;
  fillUniform(params.W, Math.sqrt(6 / (D + H)), rng);
  fillUniform(params.U, Math.sqrt(6 / (H + K)), rng);
  params.b.fill(0);
  params.c.fill(0);
}

export function fillUniform(out: FloatArray, r: number, rng: Rng): void {
  for (let i = 0; i < out.length; i++) out[i] = rng.range(-r, r);
}

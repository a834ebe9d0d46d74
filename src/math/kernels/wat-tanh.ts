import { EXP_P, LN2_HI, LN2_LO, LOG2E, ROUND, TANH_CUT, TANH_Q, TANH_U_MAX } from '../tanh-float32.js';

/**
 * The float32 tanh of tanh-float32.ts on f32x4 lanes, as WebAssembly text, for the training
 * kernel (wat-elementwise.ts) and the tagging kernel (wat-tagging.ts): the same operations
 * in the same order per lane, so a lane gets the scalar version's bits. The branch a lane
 * needs is selected per lane; a vector whose lanes are all below the cut skips the
 * exponential (most are, in a trained layer), which changes no lane's value.
 */

/** A float32 constant as text that parses back to exactly fround(value). */
export const f32 = (value: number): string => `(f32.const ${Object.is(value, -0) ? '-0' : String(Math.fround(value))})`;

/** Constants of the exponential (shared with the sigmoid kernel): name → value. */
export const EXP_CONSTANTS: [string, number][] = [
  ['log2e', LOG2E], ['ln2hi', LN2_HI], ['ln2lo', LN2_LO], ['one', 1], ['round', ROUND],
  ...EXP_P.map((c, i): [string, number] => [`p${i}`, c]),
];

const CONSTANTS: [string, number][] = [
  ...EXP_CONSTANTS, ['cut', TANH_CUT], ['umax', TANH_U_MAX], ['two', 2], ['sign', -0],
  ...TANH_Q.map((c, i): [string, number] => [`q${i}`, c]),
];

const get = (name: string): string => `(local.get $th_${name})`;

/** Horner's scheme: ((c0·x + c1)·x + …) + c_{n−1}, the coefficients in locals $th_<prefix>0… */
function horner(x: string, prefix: string, n: number): string {
  let acc = get(`${prefix}0`);
  for (let i = 1; i < n; i++) acc = `(f32x4.add (f32x4.mul ${acc} ${x}) ${get(`${prefix}${i}`)})`;
  return acc;
}

/** Locals the computation uses (declare once per function). */
export function tanhLocals(): string {
  return [...CONSTANTS.map(([name]) => name), 'x', 'a', 'a2', 'm', 'u', 't', 'k', 'r', 'e', 'y'].map((name) => `(local $th_${name} v128)`).join(' ');
}

/** Splats the constants into their locals (once, before the loop). */
export function tanhInit(): string {
  return CONSTANTS.map(([name, value]) => `(local.set $th_${name} (f32x4.splat ${f32(value)}))`).join('\n    ');
}

/**
 * e^u into local $th_e for u (text of an f32x4, |u| ≤ 88), with locals $th_u $th_t $th_k $th_r
 * and the EXP_CONSTANTS in $th_<name>.
 */
export function expOf(u: string): string {
  return `
        (local.set $th_u ${u})
        (local.set $th_t (f32x4.add (f32x4.mul ${get('u')} ${get('log2e')}) ${get('round')}))
        (local.set $th_k (f32x4.sub ${get('t')} ${get('round')}))
        (local.set $th_r (f32x4.sub (f32x4.sub ${get('u')} (f32x4.mul ${get('k')} ${get('ln2hi')})) (f32x4.mul ${get('k')} ${get('ln2lo')})))
        (local.set $th_e (f32x4.add (f32x4.add (f32x4.mul (f32x4.mul ${get('r')} ${get('r')}) ${horner(get('r'), 'p', EXP_P.length)}) ${get('r')}) ${get('one')}))
        ;; 2^k: (k + 127) << 23, where the rounding sum's bits are 0x4b400000 + k and the
        ;; shift drops the 0x4b4.
        (local.set $th_e (f32x4.mul ${get('e')} (i32x4.shl (i32x4.add ${get('t')} (i32x4.splat (i32.const 127))) (i32.const 23))))`;
}

/** Instructions that leave tanh(x) in local $th_y, for x the text of an f32x4. */
export function tanhOf(x: string): string {
  const small = `(f32x4.add ${get('a')} (f32x4.mul (f32x4.mul ${get('a')} ${get('a2')}) ${horner(get('a2'), 'q', TANH_Q.length)}))`;
  return `
        (local.set $th_x ${x})
        (local.set $th_a (f32x4.abs ${get('x')}))
        (local.set $th_a2 (f32x4.mul ${get('a')} ${get('a')}))
        (local.set $th_m (f32x4.lt ${get('a')} ${get('cut')}))
        (if (i32x4.all_true ${get('m')})
          (then (local.set $th_y ${small}))
          (else
            ${expOf(`(f32x4.pmin (f32x4.add ${get('a')} ${get('a')}) ${get('umax')})`)}
            (local.set $th_y (f32x4.sub ${get('one')} (f32x4.div ${get('two')} (f32x4.add ${get('e')} ${get('one')}))))
            (if (v128.any_true ${get('m')})
              (then (local.set $th_y (v128.bitselect ${small} ${get('y')} ${get('m')}))))))
        ;; tanh is odd: |y| with x's sign (±0 stays ±0, NaN stays NaN).
        (local.set $th_y (v128.or ${get('y')} (v128.and ${get('x')} ${get('sign')})))`;
}

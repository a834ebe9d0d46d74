import { EXP_P, LN2_HI, LN2_LO, LOG2E, TANH_CUT, TANH_Q, TANH_U_MAX } from '../tanh-float32.js';

/**
 * The float32 tanh of tanh-float32.ts on f32x4 lanes, as WebAssembly text: the same
 * operations in the same order (both branches computed, the lane's selected), so a lane
 * gets the scalar version's bits.
 */

/** A float32 constant as text that parses back to exactly fround(value). */
const f32 = (value: number): string => `(f32.const ${Object.is(value, -0) ? '-0' : String(Math.fround(value))})`;

const CONSTANTS: [string, number][] = [
  ['cut', TANH_CUT], ['umax', TANH_U_MAX], ['log2e', LOG2E], ['ln2hi', LN2_HI], ['ln2lo', LN2_LO], ['one', 1], ['two', 2], ['sign', -0],
  ...TANH_Q.map((c, i): [string, number] => [`q${i}`, c]),
  ...EXP_P.map((c, i): [string, number] => [`p${i}`, c]),
];

const get = (name: string): string => `(local.get $th_${name})`;

/** Locals the computation uses (declare once per function). */
export function tanhLocals(): string {
  return [...CONSTANTS.map(([name]) => name), 'a', 'a2', 'q', 'u', 'k', 'r', 'p', 'e', 'y'].map((name) => `(local $th_${name} v128)`).join(' ');
}

/** Splats the constants into their locals (once, before the loop). */
export function tanhInit(): string {
  return CONSTANTS.map(([name, value]) => `(local.set $th_${name} (f32x4.splat ${f32(value)}))`).join('\n    ');
}

/** Instructions that leave tanh(x) in local $th_y, for x the text of an f32x4. */
export function tanhOf(x: string): string {
  const horner = (v: string, prefix: string, n: number): string => {
    let acc = get(`${prefix}0`);
    for (let i = 1; i < n; i++) acc = `(f32x4.add (f32x4.mul ${acc} ${v}) ${get(`${prefix}${i}`)})`;
    return acc;
  };
  return `
        (local.set $th_a (f32x4.abs ${x}))
        (local.set $th_a2 (f32x4.mul ${get('a')} ${get('a')}))
        (local.set $th_q (f32x4.add ${get('a')} (f32x4.mul (f32x4.mul ${get('a')} ${get('a2')}) ${horner(get('a2'), 'q', TANH_Q.length)})))
        (local.set $th_u (f32x4.min (f32x4.add ${get('a')} ${get('a')}) ${get('umax')}))
        (local.set $th_k (f32x4.nearest (f32x4.mul ${get('u')} ${get('log2e')})))
        (local.set $th_r (f32x4.sub (f32x4.sub ${get('u')} (f32x4.mul ${get('k')} ${get('ln2hi')})) (f32x4.mul ${get('k')} ${get('ln2lo')})))
        (local.set $th_p ${horner(get('r'), 'p', EXP_P.length)})
        (local.set $th_e (f32x4.mul (f32x4.add (f32x4.add (f32x4.mul (f32x4.mul ${get('r')} ${get('r')}) ${get('p')}) ${get('r')}) ${get('one')})
          (i32x4.add (i32x4.shl (i32x4.trunc_sat_f32x4_s ${get('k')}) (i32.const 23)) (i32x4.splat (i32.const 0x3f800000)))))
        (local.set $th_y (f32x4.sub ${get('one')} (f32x4.div ${get('two')} (f32x4.add ${get('e')} ${get('one')}))))
        (local.set $th_y (v128.bitselect ${get('q')} ${get('y')} (f32x4.lt ${get('a')} ${get('cut')})))
        (local.set $th_y (v128.or ${get('y')} (v128.and ${x} ${get('sign')})))`;
}

import { describe, expect, it } from 'vitest';
import { DecimalScanner } from '../../src/data/decimal.js';
import { Rng } from '../../src/math/random.js';

/** Scans `token` followed by a space, as it sits in a line. */
function scan(token: string): { value: number; end: number } {
  const scanner = new DecimalScanner();
  const bytes = Buffer.from(`${token} `, 'latin1');
  scanner.scan(bytes, 0, bytes.length);
  return { value: scanner.value, end: scanner.end };
}

/** Why `token` scans differently from Number(token) (the same double, -0 included, the whole token consumed), or null. */
function mismatch(token: string): string | null {
  const { value, end } = scan(token);
  if (!Object.is(value, Number(token))) return `${token}: ${value} but Number gives ${Number(token)}`;
  if (end !== token.length) return `${token}: stopped at ${end}`;
  return null;
}

function expectExact(token: string): void {
  expect(mismatch(token)).toBeNull();
  // …and so the same float32, the rounding the table applies.
  expect(Object.is(Math.fround(scan(token).value), Math.fround(Number(token)))).toBe(true);
}

function digits(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(rng.int(10));
  return s;
}

describe('DecimalScanner', () => {
  it.each([
    '0', '-0', '+0', '-0.0', '0.000', '-0e-999', '0e999', '.5', '-.5', '5.', '-5.', '+1.5',
    '-0.038194', '0.72812', '-3.0243', '2.2167', '1e5', '1E5', '1e+5', '1e-5', '-2.5E-3',
    '0.1', '0.2', '0.3', '1e22', '1e-22', '1e23', '1e-23', '9007199254740993', '123456789012345',
    '1234567890123456', '12345678901234567890', '0.000000000000000000000001', '00000000000000000000001.5',
    '1.00000000000000000000000000001', '4.9e-324', '5e-324', '2e-324', '2.2250738585072011e-308',
    '2.2250738585072014e-308', '1.7976931348623157e308', '1.7976931348623159e308', '1e309', '1e-400',
    '3.4028235e38', '3.4028236e38', '1.17549435e-38', '1.4e-45', '7e-46', '8.589973e9',
    '1e99999999999999999999', '1e-99999999999999999999', '0.1e-5', '123.456e2', '99999999999999999999e-20',
  ])('matches Number for %s', (token) => expectExact(token));

  it('matches Number on 200,000 random decimals of every shape', () => {
    const rng = new Rng(7);
    const failures: string[] = [];
    for (let n = 0; n < 200_000; n++) {
      const sign = ['', '-', '+'][rng.int(3)];
      const intDigits = rng.int(4) === 0 ? rng.int(25) : rng.int(4);
      const fracDigits = rng.int(4) === 0 ? rng.int(25) : rng.int(9);
      let token = sign + digits(rng, intDigits);
      if (fracDigits > 0 || rng.int(2) === 0) token += `.${digits(rng, fracDigits)}`;
      if (intDigits + fracDigits === 0) token += String(1 + rng.int(9));
      if (rng.int(3) === 0) token += `${rng.int(2) ? 'e' : 'E'}${['', '-', '+'][rng.int(3)]}${digits(rng, 1 + rng.int(3))}`;
      const problem = mismatch(token);
      if (problem !== null) failures.push(problem);
    }
    expect(failures).toEqual([]);
  });

  it('stops at the first byte that cannot continue the number', () => {
    expect(scan('1e')).toEqual({ value: 1, end: 1 }); // Number('1e') is NaN: the caller sees the 'e'
    expect(scan('1e+')).toEqual({ value: 1, end: 1 });
    expect(scan('1.5x')).toEqual({ value: 1.5, end: 3 });
    expect(scan('0x10')).toEqual({ value: 0, end: 1 });
    expect(scan('1.5.3')).toEqual({ value: 1.5, end: 3 });
    expect(scan('2,5').end).toBe(1);
  });

  it.each(['', '-', '+', '.', '-.', 'e5', 'nan', 'NaN', 'inf', 'Infinity', '--1', '+-1'])('finds no number in %j', (token) => {
    const { value, end } = scan(token);
    expect(value).toBeNaN();
    expect(end).toBe(0);
  });

  it('respects the limit it is given', () => {
    const scanner = new DecimalScanner();
    const bytes = Buffer.from('12345', 'latin1');
    scanner.scan(bytes, 0, 3);
    expect(scanner.value).toBe(123);
    expect(scanner.end).toBe(3);
    scanner.scan(bytes, 1, 5);
    expect(scanner.value).toBe(2345);
  });
});

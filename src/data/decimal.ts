/**
 * A byte-level parser for the decimal numbers of embeddings files, exact by construction:
 * every value it returns is the double that `Number(token)` gives for the same token, so
 * storing it in a Float32Array rounds it exactly as the string-based reader did.
 *
 * Why not `Number(text)`: decoding each line to a string, splitting it and converting
 * each field allocates a hundred strings per row and dominates the load time of a large
 * file. Here the common case (at most 15 significant digits and a power of ten within
 * 10^±22, which covers every value GloVe and word2vec write) is one multiplication or
 * division of two exactly representable doubles, which IEEE 754 rounds correctly: the
 * fast path of Clinger (1990). Anything else that is still a plain decimal (more digits,
 * a larger exponent) is handed to `Number` on the token's text, so it is exact too.
 */

/** 10^0 … 10^22: the powers of ten a double holds exactly. */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/** Digits a double holds exactly: every 15-digit integer is below 2^53. */
const MAX_EXACT_DIGITS = 15;

/** Stops exponent digits from growing without bound; anything this large is a zero or an overflow for Number. */
const EXPONENT_CAP = 100_000;

const PLUS = 43;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const LOWER_E = 101;
const UPPER_E = 69;

/**
 * Scans one decimal number, `[+-]? digits [. digits] [(e|E) [+-]? digits]` with at least
 * one mantissa digit, from `start` up to (not including) `limit`. `value` is its value
 * (NaN if no number starts there) and `end` the first byte it did not consume: the caller
 * decides whether that byte may follow a number (a separator) or makes the token
 * something else. An `e` without exponent digits is not consumed, as `Number('1e')` is
 * NaN. One instance is reused for every token, so a scan allocates nothing.
 */
export class DecimalScanner {
  value = Number.NaN;
  end = 0;

  scan(bytes: Buffer, start: number, limit: number): void {
    // The shape of nearly every value in GloVe and word2vec text, `-?d*.d*` with at most 15
    // digits in all (leading zeros included, so the mantissa is surely exact) and no
    // exponent: one division by an exact power of ten.
    let i = start;
    let c = i < limit ? bytes[i] : 0;
    const negative = c === MINUS;
    if (negative) i++;
    let mantissa = 0;
    let digits = 0;
    let d = 0;
    while (i < limit && (d = bytes[i] - ZERO) >= 0 && d <= 9) {
      mantissa = mantissa * 10 + d;
      digits++;
      i++;
    }
    let fraction = 0;
    if (i < limit && bytes[i] === DOT) {
      i++;
      while (i < limit && (d = bytes[i] - ZERO) >= 0 && d <= 9) {
        mantissa = mantissa * 10 + d;
        fraction++;
        i++;
      }
    }
    c = i < limit ? bytes[i] : 0;
    if (digits + fraction > 0 && digits + fraction <= MAX_EXACT_DIGITS && c !== LOWER_E && c !== UPPER_E) {
      const magnitude = mantissa / POW10[fraction];
      this.value = negative ? -magnitude : magnitude;
      this.end = i;
      return;
    }
    this.scanGeneral(bytes, start, limit);
  }

  /** Every other number: a sign, leading zeros, any number of digits, an exponent. */
  private scanGeneral(bytes: Buffer, start: number, limit: number): void {
    let i = start;
    let negative = false;
    let c = i < limit ? bytes[i] : 0;
    if (c === MINUS || c === PLUS) {
      negative = c === MINUS;
      i++;
    }
    let mantissa = 0;
    let digits = 0; // significant digits in mantissa (leading zeros excluded)
    let exponent = 0;
    let sawDigit = false;
    for (; i < limit; i++) {
      const d = bytes[i] - ZERO;
      if (d < 0 || d > 9) break;
      sawDigit = true;
      if (digits > 0 || d !== 0) {
        mantissa = mantissa * 10 + d;
        digits++;
      }
    }
    if (i < limit && bytes[i] === DOT) {
      for (i++; i < limit; i++) {
        const d = bytes[i] - ZERO;
        if (d < 0 || d > 9) break;
        sawDigit = true;
        exponent--;
        if (digits > 0 || d !== 0) {
          mantissa = mantissa * 10 + d;
          digits++;
        }
      }
    }
    if (!sawDigit) {
      this.value = Number.NaN;
      this.end = start;
      return;
    }
    c = i < limit ? bytes[i] : 0;
    if (c === LOWER_E || c === UPPER_E) {
      let j = i + 1;
      let negativeExponent = false;
      const s = j < limit ? bytes[j] : 0;
      if (s === MINUS || s === PLUS) {
        negativeExponent = s === MINUS;
        j++;
      }
      let e = 0;
      let expDigits = 0;
      for (; j < limit; j++) {
        const d = bytes[j] - ZERO;
        if (d < 0 || d > 9) break;
        if (e < EXPONENT_CAP) e = e * 10 + d;
        expDigits++;
      }
      // Without digits the `e` is not part of the number (and the token is not one).
      if (expDigits > 0) {
        exponent += negativeExponent ? -e : e;
        i = j;
      }
    }
    this.end = i;
    if (mantissa === 0) {
      this.value = negative ? -0 : 0;
    } else if (digits <= MAX_EXACT_DIGITS && exponent >= -22 && exponent <= 22) {
      const magnitude = exponent < 0 ? mantissa / POW10[-exponent] : mantissa * POW10[exponent];
      this.value = negative ? -magnitude : magnitude;
    } else {
      // Rare: too many digits or a large exponent for one exact operation. Number's own
      // correctly rounded conversion of the same ASCII text is the definition we match.
      this.value = Number(bytes.toString('latin1', start, i));
    }
  }
}

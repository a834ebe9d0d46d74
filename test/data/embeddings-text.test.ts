import { describe, expect, it } from 'vitest';
import { isUnicodeSpaceAt, readEmbeddingsText } from '../../src/data/embeddings-text.js';
import type { EmbeddingTable } from '../../src/data/embeddings.js';
import { UserError } from '../../src/errors.js';
import { Rng } from '../../src/math/random.js';
import { readEmbeddingsReference } from './embeddings-reference.js';
import { useTempFolder } from './helpers.js';

const tmp = useTempFolder('ner-train-embeddings-text');
let fileCounter = 0;

type Outcome = { table: EmbeddingTable } | { message: string; hint: string | undefined };

async function settle(read: Promise<EmbeddingTable>): Promise<Outcome> {
  try {
    return { table: await read };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return { message: error.message, hint: error.hint };
  }
}

/** The table as plain data, with every float32's bits (so -0 and 0 differ). */
function plain(outcome: Outcome): unknown {
  if (!('table' in outcome)) return outcome;
  const t = outcome.table;
  return {
    dim: t.dim,
    words: t.words,
    index: [...t.index],
    bits: Array.from(new Uint32Array(t.vectors.buffer, t.vectors.byteOffset, t.vectors.length)),
    duplicates: t.duplicates,
  };
}

/** The byte-level reader gives what the string-based reference gives, read in chunks of every given size. */
async function expectSameAsReference(content: Uint8Array, dim: number, chunks: number[]): Promise<Outcome> {
  const path = tmp.write(`vectors-${++fileCounter}.txt`, content);
  const expected = await settle(readEmbeddingsReference(path, dim));
  for (const chunk of chunks) {
    const actual = await settle(readEmbeddingsText(path, dim, chunk).then((r) => r.table));
    expect(plain(actual), `chunks of ${chunk} bytes, file ${JSON.stringify(Buffer.from(content).toString('latin1').slice(0, 400))}`).toEqual(plain(expected));
  }
  return expected;
}

const utf8 = (text: string): Uint8Array => Buffer.from(text, 'utf8');
const pick = <T>(rng: Rng, items: readonly T[]): T => items[rng.int(items.length)];

const WORDS = ['the', ',', 'Paris', 'été', '日本', 'Ωμέγα', '😀', '1996', 'a\u000bb', 'x\fy', 'naïve', '"', "'s", 'e', 'nan', 'Infinity', '0x10'];
const INVALID_UTF8 = [[0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf0, 0x9f], [0xc0, 0xaf], [0x80, 0x80]];
const LEADING = [' ', '\t', '\v', '\f', '\v\f ', '\u00a0', '\u3000', '\ufeff', '\u2028', ' \u2003'];
const TRAILING = [' ', '\t', ' \t', '\f', '\u00a0', ' \u3000', '\u205f'];
const BLANK = ['', ' ', '\t', ' \t ', '\v', '\u00a0', '\u3000 '];
const SEPARATORS = [' ', ' ', ' ', '\t', '  ', ' \t'];
const ENDINGS = ['\n', '\n', '\n', '\r\n', '\r'];

/** A value Number reads as finite, in one of the many shapes it accepts. */
function value(rng: Rng): string {
  const x = (rng.uniform() - 0.5) * 10 ** rng.int(6);
  switch (rng.int(16)) {
    case 0:
      return x.toExponential(rng.int(8));
    case 1:
      return String(x); // up to 17 significant digits
    case 2:
      return pick(rng, ['-0', '0', '+0.0', '-0.000', '.5', '-.25', '5.', '+3', '1e5', '1E-7', '0x1F', '0b101', '0o17', '00012', '1e-400', '3.5e38']);
    case 3:
      return `${x.toFixed(3)}${pick(rng, ['\u00a0', '\u3000', '\f', '\v'])}`; // Number trims these inside a field
    case 4:
      return `${x.toFixed(2)}${'0'.repeat(rng.int(20))}`;
    default:
      return x.toFixed(1 + rng.int(7));
  }
}

/**
 * A random file, as bytes: nearly always one the reference reads without error, but one in
 * eight has words that are not UTF-8 and one in twelve a word2vec header with a wrong count.
 */
function randomFile(rng: Rng, dim: number): Uint8Array {
  const parts: Uint8Array[] = [];
  const text = (s: string): void => void parts.push(utf8(s));
  const bom = rng.int(5) === 0;
  const header = rng.int(3) === 0;
  const badUtf8 = rng.int(8) === 0;
  let rows = 0;
  const seen: Uint8Array[] = [];
  const lines = 1 + rng.int(40);
  for (let l = 0; l < lines; l++) {
    const kind = rng.int(20);
    if (kind === 0) {
      text(pick(rng, BLANK));
    } else {
      if (rng.int(6) === 0) text(pick(rng, LEADING));
      let word: Uint8Array;
      if (kind === 1 && seen.length > 0) word = pick(rng, seen);
      else if (kind === 2 && badUtf8) word = Uint8Array.from([...utf8('w'), ...pick(rng, INVALID_UTF8), ...utf8(String(l))]);
      else word = utf8(`${pick(rng, WORDS)}${rng.int(3) === 0 ? '' : l}`);
      seen.push(word);
      parts.push(word);
      rows++;
      for (let j = 0; j < dim; j++) text(pick(rng, SEPARATORS) + value(rng));
      if (rng.int(6) === 0) text(pick(rng, TRAILING));
    }
    if (l < lines - 1 || rng.int(2) === 0) text(pick(rng, ENDINGS));
  }
  const head: Uint8Array[] = [];
  if (bom) head.push(utf8('\ufeff'));
  if (header) head.push(utf8(`${rng.int(4) === 0 ? rng.int(1000) : rows} ${dim}${pick(rng, ENDINGS)}`));
  return Buffer.concat([...head, ...parts]);
}

/** Replaces the `which`-th value-like field of line `line` (0-based, counting all lines) or removes/adds one. */
function corrupt(rng: Rng, content: Uint8Array): Uint8Array {
  const text = Buffer.from(content).toString('latin1');
  const lines = text.split(/(\r\n|\n|\r)/);
  const candidates = lines.map((l, i) => ({ l, i })).filter(({ l }) => /\d [^ ]/.test(l));
  if (candidates.length === 0) return content;
  const { l, i } = pick(rng, candidates);
  const fields = l.split(' ');
  const at = 1 + rng.int(fields.length - 1);
  switch (rng.int(4)) {
    case 0:
      fields[at] = pick(rng, ['nan', 'NaN', 'abc', '1e999', '-Infinity', '1.5x', '1e', '--1', '0x', '1_000', 'q'.repeat(40)]);
      break;
    case 1:
      fields.splice(at, 1);
      break;
    case 2:
      fields.splice(at, 0, '1.0');
      break;
    default:
      fields[at] = '';
  }
  lines[i] = fields.join(' ');
  return Buffer.from(lines.join(''), 'latin1');
}

const CHUNK_SIZES = [1, 2, 3, 4, 5, 7, 11, 16, 64, 4096];

describe('readEmbeddingsText against the string-based reference', () => {
  it('agrees on 300 random files (line endings, BOM, headers, Unicode spaces, odd values, bad UTF-8) in chunks of every size', async () => {
    const rng = new Rng(11);
    let tables = 0;
    const errors = new Map<string, number>();
    for (let n = 0; n < 300; n++) {
      const dim = 1 + rng.int(4);
      const chunks = [1 << 20, pick(rng, CHUNK_SIZES), pick(rng, CHUNK_SIZES)];
      const outcome = await expectSameAsReference(randomFile(rng, dim), dim, chunks);
      if ('table' in outcome) tables++;
      else {
        const kind = outcome.message.includes('UTF-8') ? 'utf8' : outcome.message.includes('header') ? 'header' : 'other';
        errors.set(kind, (errors.get(kind) ?? 0) + 1);
      }
    }
    // Most are valid; the rest have bad UTF-8 or a wrong header count (both rejected the same
    // way by both readers), or are all blank.
    expect(tables).toBeGreaterThan(200);
    expect(errors.get('utf8') ?? 0).toBeGreaterThan(5);
    expect(errors.get('header') ?? 0).toBeGreaterThan(3);
  });

  it('throws the same message as the reference for 300 corrupted files', async () => {
    const rng = new Rng(12);
    let errors = 0;
    for (let n = 0; n < 300; n++) {
      const dim = 1 + rng.int(4);
      const outcome = await expectSameAsReference(corrupt(rng, randomFile(rng, dim)), dim, [1 << 20, pick(rng, CHUNK_SIZES)]);
      if (!('table' in outcome)) errors++;
    }
    // A corrupted duplicate row is skipped, not checked, by both: most but not all files fail.
    expect(errors).toBeGreaterThan(200);
  });

  it('agrees on the tricky cases one by one', async () => {
    const cases: [string, number][] = [
      ['the 1 2\rof 3 4\r', 2],
      ['the 1 2\r\n\r\nof 3 4\r\n', 2],
      ['\r\n\r\nthe 1 2', 2],
      ['2 3\nthe 1 2 3\n', 3], // a header count of 2 for 1 row: an error
      ['1 3\nthe 1 2 3\n', 3],
      ['3 3\nthe 1 2 3\nthe 4 5 6\nof 1 2 3\n', 3], // the count includes duplicate rows
      ['\n2 3\nthe 1 2 3\n', 3], // a header is only one on line 1
      ['\ufeff2 3\nthe 1 2 3\n', 3],
      ['the 1 2\nthe nan 2\n', 2], // a duplicate is skipped before its values are read
      ['the 1 2\nof 1 2 3\n', 2],
      ['\u00a0the 1 2\n\u00a0of 1 2\n', 2],
      ['the 1 2\n of -0 -0.0\n', 2],
      ['the 0x10 1e3\nof 1e 2\n', 2],
      ['the 1 2\nof 1\u00a02\n', 2],
      [`the ${'9'.repeat(400)} 1\n`, 2],
      [`${'w'.repeat(100)} 1 2\n`, 2],
    ];
    for (const [text, dim] of cases) await expectSameAsReference(utf8(text), dim, [1, 2, 3, 5, 1 << 20]);
    // A line that is not UTF-8 is reported in line order with the other errors, whatever the chunk size.
    const latin1 = (text: string): Uint8Array => Buffer.from(text, 'latin1');
    const notUtf8First = await expectSameAsReference(latin1('the 1 2\nof\xff 1 2\nx nan 1\n'), 2, [1, 2, 3, 5, 1 << 20]);
    expect(notUtf8First).toMatchObject({ message: expect.stringMatching(/:2: not valid UTF-8/) });
    const valueFirst = await expectSameAsReference(latin1('the 1 2\nx nan 1\nof\xff 1 2\n'), 2, [1, 2, 3, 5, 1 << 20]);
    expect(valueFirst).toMatchObject({ message: expect.stringMatching(/:2: value 1 of 'x' is not a finite number/) });
  });

  it('reports the size and modification time of the file it read', async () => {
    const path = tmp.write('sized.txt', 'the 1 2\n');
    const { source } = await readEmbeddingsText(path, 2);
    expect(source?.size).toBe(8);
    expect(source?.mtimeMs).toBeGreaterThan(0);
  });
});

describe('isUnicodeSpaceAt', () => {
  it('is true exactly for the non-ASCII characters String.prototype.trim removes', () => {
    const encoder = new TextEncoder();
    const bytes = new Uint8Array(4);
    const wrong: string[] = [];
    for (let cp = 0x80; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const char = String.fromCodePoint(cp);
      bytes.fill(0);
      encoder.encodeInto(char, bytes);
      if (isUnicodeSpaceAt(bytes, 0) !== (char.trim() === '')) wrong.push(cp.toString(16));
    }
    expect(wrong).toEqual([]);
  });
});

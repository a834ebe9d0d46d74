import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readEmbeddings, type PretrainedEmbeddings } from '../../src/data/embeddings.js';
import { expectUserError, useTempFolder } from './helpers.js';

const tmp = useTempFolder('ner-train-embeddings');

let fileCounter = 0;
function fresh(text: string): string {
  return tmp.write(`vectors-${++fileCounter}.txt`, text);
}

async function read(text: string, dim: number): Promise<PretrainedEmbeddings> {
  return readEmbeddings(fresh(text), dim);
}

/** The vectors as plain numbers, rounded through float32 like the reader stores them. */
const f32 = (values: number[]): number[] => Array.from(Float32Array.from(values));

describe('readEmbeddings', () => {
  it('reads GloVe text: words, index and row-major float32 vectors', async () => {
    const e = await read('the 0.1 0.2 0.3\nof -1 2e-3 4\n, 0 -0.5 1.5\n', 3);
    expect(e.dim).toBe(3);
    expect(e.words).toEqual(['the', 'of', ',']);
    expect([...e.index]).toEqual([
      ['the', 0],
      ['of', 1],
      [',', 2],
    ]);
    expect(e.vectors).toBeInstanceOf(Float32Array);
    expect(Array.from(e.vectors)).toEqual(f32([0.1, 0.2, 0.3, -1, 0.002, 4, 0, -0.5, 1.5]));
    expect(e.duplicates).toBe(0);
  });

  it('grows past its initial buffer (more than 1024 rows)', async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => `w${i} ${i} ${-i}`);
    const e = await read(`${rows.join('\n')}\n`, 2);
    expect(e.words).toHaveLength(2500);
    expect(e.vectors).toHaveLength(5000);
    expect(e.vectors[2 * 2499]).toBe(2499);
    expect(e.vectors[2 * 2499 + 1]).toBe(-2499);
    expect(e.index.get('w1234')).toBe(1234);
  });

  it('skips a word2vec header line', async () => {
    const e = await read('2 3\nthe 1 2 3\nof 4 5 6\n', 3);
    expect(e.words).toEqual(['the', 'of']);
    expect(Array.from(e.vectors)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('rejects a word2vec header of another width at line 1, with the right dim in the hint', async () => {
    const path = fresh('2 4\nthe 1 2 3 4\n');
    const error = await expectUserError(() => readEmbeddings(path, 3), `${path}:1: the vectors have 4 values but embeddings.dim is 3`);
    expect(error.hint).toBe('set embeddings.dim: 4 in the config (or --set embeddings.dim=4)');
  });

  it('rejects vectors of another width at the first line, with the right dim in the hint', async () => {
    const path = fresh('the 0.1 0.2\nof 1 2\n');
    const error = await expectUserError(() => readEmbeddings(path, 50), `${path}:1: the vectors have 2 values but embeddings.dim is 50`);
    expect(error.hint).toBe('set embeddings.dim: 2 in the config (or --set embeddings.dim=2)');
  });

  it('reports a ragged later row at its own line', async () => {
    const path = fresh('the 1 2 3\nof 1 2 3\n\nand 1 2\n');
    await expectUserError(() => readEmbeddings(path, 3), `${path}:4: expected 3 values after the word, found 2 (a ragged row)`);
  });

  it('reports a later row that is too long', async () => {
    const path = fresh('the 1 2 3\nof 1 2 3 4\n');
    await expectUserError(() => readEmbeddings(path, 3), `${path}:2: expected 3 values after the word, found 4 (a ragged row)`);
  });

  it.each([
    ['NaN', 'NaN'],
    ['garbage', 'abc'],
    ['infinity', 'Infinity'],
    ['a number glued to text', '1.5x'],
    ['an overflow', '1e999'],
  ])('reports %s at its line and value position', async (_name, value) => {
    const path = fresh(`the 1 2 3\nof 1 ${value} 3\n`);
    await expectUserError(() => readEmbeddings(path, 3), `${path}:2: value 2 of 'of' is not a finite number ('${value}')`);
  });

  it('clips a long garbage value in the message', async () => {
    const value = 'q'.repeat(50);
    const path = fresh(`the ${value}\n`);
    await expectUserError(() => readEmbeddings(path, 1), `${path}:1: value 1 of 'the' is not a finite number ('${'q'.repeat(30)}')`);
  });

  it('keeps the first vector of a duplicated word and counts the later copies', async () => {
    const e = await read('the 1 2\nof 3 4\nthe 5 6\nthe 7 8\nof 9 9\n', 2);
    expect(e.words).toEqual(['the', 'of']);
    expect(Array.from(e.vectors)).toEqual([1, 2, 3, 4]);
    expect(e.duplicates).toBe(3);
  });

  it('treats words case-sensitively (lowercasing is the lookup\'s job)', async () => {
    const e = await read('Paris 1 1\nparis 2 2\n', 2);
    expect(e.words).toEqual(['Paris', 'paris']);
    expect(e.duplicates).toBe(0);
  });

  it('drops a UTF-8 BOM, in front of a vector or a word2vec header', async () => {
    expect((await read('\uFEFFthe 1 2\n', 2)).words).toEqual(['the']);
    expect((await read('\uFEFF1 2\nthe 1 2\n', 2)).words).toEqual(['the']);
  });

  it('ignores trailing spaces and tabs, blank lines, CRLF and CR line endings', async () => {
    for (const text of ['the 1 2   \nof 3 4 \t\n', 'the 1 2\r\n\r\nof 3 4\r\n', 'the 1 2\rof 3 4\r', '\nthe\t1 2\n\nof 3\t4']) {
      const e = await read(text, 2);
      expect(e.words).toEqual(['the', 'of']);
      expect(Array.from(e.vectors)).toEqual([1, 2, 3, 4]);
    }
  });

  it('reads numbers as words (a GloVe row for 1996 is not a header)', async () => {
    const e = await read('1996 1 2 3\n', 3);
    expect(e.words).toEqual(['1996']);
  });

  it.each([
    ['empty', ''],
    ['blank', '\n\n  \n'],
    ['header-only', '0 3\n'],
  ])('rejects an %s file', async (_name, text) => {
    const path = fresh(text);
    await expectUserError(() => readEmbeddings(path, 3), `${path}:1: no word vectors found (the file is empty)`);
  });

  it('reports a missing file as a UserError naming the path', async () => {
    const path = tmp.path('no-such-vectors.txt');
    const error = await expectUserError(() => readEmbeddings(path, 3), `${path}: no such file`);
    expect(error.hint).toMatch(/check the path/);
  });

  it('reports a folder given as the file', async () => {
    await expectUserError(() => readEmbeddings(tmp.root, 3), `${tmp.root}: is a folder, expected a file`);
  });

  it.skipIf(process.platform !== 'linux')('closes the file when it stops at an error', async () => {
    // The bad row comes first, long before the end of a file of several read chunks.
    const path = fresh(`the 1 2\nof 1\n${'and 1 2\n'.repeat(30_000)}`);
    const openFiles = (): number => readdirSync('/proc/self/fd').length;
    const before = openFiles();
    for (let i = 0; i < 10; i++) await expectUserError(() => readEmbeddings(path, 2), /:2: expected 2 values/);
    // Descriptors close asynchronously: wait (up to 2 s) rather than a fixed sleep a loaded machine can outlast.
    for (let waited = 0; waited < 2000 && openFiles() >= before + 5; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(openFiles()).toBeLessThan(before + 5);
  });
});

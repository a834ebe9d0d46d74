import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dataError, UserError } from '../../src/errors.js';
import type { EmbeddingTable } from '../../src/data/embeddings.js';
import { NOT_UTF8 } from '../../src/data/utf8.js';

/**
 * The string-based reader ner-train used before the byte-level one (readline, trim,
 * split, Number per field), kept as the oracle: for any file the byte-level reader must
 * give the same table, or throw the same message. Lines that are not UTF-8 and a word2vec
 * header whose count disagrees with the rows are errors (checked here in the plainest way).
 */
export async function readEmbeddingsReference(path: string, expectedDim: number): Promise<EmbeddingTable> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  const words: string[] = [];
  const index = new Map<string, number>();
  const values: number[] = [];
  let duplicates = 0;
  let headerCount: number | null = null;
  let lineNo = 0;
  const badLine = firstLineNotUtf8(readFileSync(path));
  for await (const rawLine of lines) {
    lineNo++;
    if (lineNo === badLine) throw dataError(path, lineNo, NOT_UTF8);
    const line = lineNo === 1 && rawLine.charCodeAt(0) === 0xfeff ? rawLine.slice(1) : rawLine;
    const fields = line.trim().split(/[ \t]+/);
    if (fields.length === 1 && fields[0] === '') continue;
    if (lineNo === 1 && fields.length === 2 && /^\d+$/.test(fields[0]) && /^\d+$/.test(fields[1])) {
      const dim = Number(fields[1]);
      if (dim !== expectedDim) throw mismatch(path, 1, dim, expectedDim);
      headerCount = Number(fields[0]);
      continue;
    }
    const found = fields.length - 1;
    if (found !== expectedDim) {
      if (words.length === 0) throw mismatch(path, lineNo, found, expectedDim);
      throw dataError(path, lineNo, `expected ${expectedDim} values after the word, found ${found} (a ragged row)`);
    }
    const word = fields[0];
    if (index.has(word)) {
      duplicates++;
      continue;
    }
    for (let j = 0; j < expectedDim; j++) {
      const value = Number(fields[j + 1]);
      if (!Number.isFinite(value)) {
        throw dataError(path, lineNo, `value ${j + 1} of '${word}' is not a finite number ('${fields[j + 1].slice(0, 30)}')`);
      }
      values.push(value);
    }
    index.set(word, words.length);
    words.push(word);
  }
  if (words.length === 0) throw dataError(path, 1, 'no word vectors found (the file is empty)');
  if (headerCount !== null && headerCount !== words.length + duplicates) {
    throw dataError(
      path,
      1,
      `the word2vec header line says ${headerCount} words, but the file holds ${words.length + duplicates} (a truncated or edited file?)`,
      'fix the count in the header line, or delete that line (GloVe files have none)',
    );
  }
  return { dim: expectedDim, words, index, vectors: Float32Array.from(values), duplicates };
}

/** 1-based line of the first line a strict decoder refuses (lines end at CRLF, LF or CR), or 0. */
function firstLineNotUtf8(bytes: Buffer): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const lines = bytes.toString('latin1').split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    try {
      decoder.decode(Buffer.from(lines[i], 'latin1'));
    } catch {
      return i + 1;
    }
  }
  return 0;
}

function mismatch(path: string, line: number, found: number, expected: number): UserError {
  return new UserError(`${path}:${line}: the vectors have ${found} values but embeddings.dim is ${expected}`, {
    hint: `set embeddings.dim: ${found} in the config (or --set embeddings.dim=${found})`,
  });
}

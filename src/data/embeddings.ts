import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { dataError, fileError, UserError } from '../errors.js';

/** Pretrained vectors as read from a text file: `vectors` is n×dim, row i belongs to words[i]. */
export interface PretrainedEmbeddings {
  path: string;
  dim: number;
  words: string[];
  index: Map<string, number>;
  vectors: Float32Array;
  duplicates: number;
}

/**
 * Reads GloVe (`word v1 … vd`) or word2vec text (the same after a `count dim` header line)
 * as a stream, so a large file never sits in memory as text. `expectedDim` is the
 * configured embeddings.dim: a file of another width is an error at its first line, and
 * a ragged or non-numeric row is an error at its own line.
 */
export async function readEmbeddings(path: string, expectedDim: number): Promise<PretrainedEmbeddings> {
  const input = createReadStream(path);
  const lines = createInterface({ input, crlfDelay: Infinity });
  let streamError: unknown = null;
  input.on('error', (error) => {
    streamError = error;
    lines.close();
  });

  const words: string[] = [];
  const index = new Map<string, number>();
  let vectors: Float32Array = new Float32Array(1024 * expectedDim);
  let duplicates = 0;
  let lineNo = 0;
  try {
    for await (const rawLine of lines) {
      lineNo++;
      const line = lineNo === 1 && rawLine.charCodeAt(0) === 0xfeff ? rawLine.slice(1) : rawLine;
      const fields = line.trim().split(/[ \t]+/);
      if (fields.length === 1 && fields[0] === '') continue;
      if (lineNo === 1 && isWord2vecHeader(fields)) {
        const dim = Number(fields[1]);
        if (dim !== expectedDim) throw dimMismatch(path, 1, dim, expectedDim);
        continue;
      }
      const found = fields.length - 1;
      if (found !== expectedDim) {
        if (words.length === 0) throw dimMismatch(path, lineNo, found, expectedDim);
        throw dataError(path, lineNo, `expected ${expectedDim} values after the word, found ${found} (a ragged row)`);
      }
      const word = fields[0];
      if (index.has(word)) {
        // The first vector of a word wins, as in GloVe's own loaders; later copies are counted, not used.
        duplicates++;
        continue;
      }
      const row = words.length;
      if ((row + 1) * expectedDim > vectors.length) vectors = grow(vectors);
      for (let j = 0; j < expectedDim; j++) {
        const value = Number(fields[j + 1]);
        if (!Number.isFinite(value)) {
          throw dataError(path, lineNo, `value ${j + 1} of '${word}' is not a finite number ('${fields[j + 1].slice(0, 30)}')`);
        }
        vectors[row * expectedDim + j] = value;
      }
      words.push(word);
      index.set(word, row);
    }
  } catch (error) {
    // A missing file or a folder rejects the line iterator with the stream's own error
    // (ENOENT, EISDIR): report it as the user's mistake. Our own dataErrors pass through.
    throw fileError(path, streamError ?? error);
  } finally {
    // Stopping early (an error) leaves the file open otherwise; after a full read this is a no-op.
    input.destroy();
  }
  if (streamError !== null) throw fileError(path, streamError);
  if (words.length === 0) throw dataError(path, 1, 'no word vectors found (the file is empty)');
  return { path, dim: expectedDim, words, index, vectors: vectors.slice(0, words.length * expectedDim), duplicates };
}

function isWord2vecHeader(fields: string[]): boolean {
  return fields.length === 2 && /^\d+$/.test(fields[0]) && /^\d+$/.test(fields[1]);
}

function dimMismatch(path: string, line: number, found: number, expected: number): UserError {
  return new UserError(`${path}:${line}: the vectors have ${found} values but embeddings.dim is ${expected}`, {
    hint: `set embeddings.dim: ${found} in the config (or --set embeddings.dim=${found})`,
  });
}

function grow(array: Float32Array): Float32Array {
  const bigger = new Float32Array(array.length * 2);
  bigger.set(array);
  return bigger;
}

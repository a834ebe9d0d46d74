import { isUtf8 } from 'node:buffer';
import { open, type FileHandle } from 'node:fs/promises';
import { dataError, fileError, UserError } from '../errors.js';
import { DecimalScanner } from './decimal.js';
import type { EmbeddingTable } from './embeddings.js';
import { firstInvalidUtf8Line, NOT_UTF8 } from './utf8.js';

/** The size and modification time of the file as it was read; null if it changed while being read. */
export interface TextSource {
  size: number;
  mtimeMs: number;
}

/**
 * Bytes read per call: large enough that the per-call cost vanishes, small enough to stay
 * in the CPU's cache. Tests pass tiny chunks, so that lines cross every boundary.
 */
const CHUNK_BYTES = 1 << 20;

const LF = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
const VT = 11;
const FF = 12;

/**
 * Reads GloVe (`word v1 … vd`) or word2vec text (the same after a `count dim` header
 * line) in chunks, so a large file never sits in memory as text. `expectedDim` is the
 * configured embeddings.dim: a file of another width is an error at its first line, and a
 * ragged or non-numeric row is an error at its own line.
 *
 * What a line means is defined by `readLine` below, which works on the line as a string
 * (trim, split on spaces and tabs, `Number` per field). Most lines take a byte-level path
 * that gives the same result without creating a string per field; whenever that path meets
 * anything unusual (line 1, Unicode spaces at the start, a field that is not a plain
 * decimal, a wrong field count, a non-finite value) it hands the line to `readLine`, so
 * every error message and every edge case is the string path's by construction.
 */
export async function readEmbeddingsText(
  path: string,
  expectedDim: number,
  chunkBytes = CHUNK_BYTES,
): Promise<{ table: EmbeddingTable; source: TextSource | null }> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    const before = await handle.stat();
    const reader = new TableReader(path, expectedDim, before.size);
    await readLines(handle, reader, chunkBytes);
    const after = await handle.stat();
    const unchanged = after.size === before.size && after.mtimeMs === before.mtimeMs;
    return { table: reader.finish(), source: unchanged ? { size: before.size, mtimeMs: before.mtimeMs } : null };
  } catch (error) {
    // A missing file or a folder fails open or read with ENOENT / EISDIR: report it as the
    // user's mistake. Our own dataErrors pass through unchanged.
    throw fileError(path, error);
  } finally {
    await handle?.close();
  }
}

/**
 * Feeds the reader whole lines: each call of parseRegion gets a buffer prefix that ends
 * right after a line terminator (at the end of the file, one is appended), so the line
 * parsers can stop at terminators without checking the buffer's end. Line endings are
 * readline's: LF, CRLF, and a lone CR.
 */
async function readLines(handle: FileHandle, reader: TableReader, chunkBytes: number): Promise<void> {
  // One byte more than is ever read into, for the terminator appended at the end of the file.
  let buffer = Buffer.allocUnsafe(chunkBytes + 1);
  let filled = 0;
  for (;;) {
    if (filled === buffer.length - 1) {
      // A line longer than the buffer: make room for the rest of it.
      const bigger = Buffer.allocUnsafe(2 * buffer.length);
      buffer.copy(bigger, 0, 0, filled);
      buffer = bigger;
    }
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - 1 - filled, null);
    filled += bytesRead;
    const atEnd = bytesRead === 0;
    if (atEnd && filled > 0 && buffer[filled - 1] !== LF && buffer[filled - 1] !== CR) buffer[filled++] = LF;
    const limit = atEnd ? filled : completeLinesEnd(buffer, filled);
    if (limit > 0) {
      reader.parseRegion(buffer, limit);
      buffer.copyWithin(0, limit, filled);
      filled -= limit;
    }
    if (atEnd) return;
  }
}

/**
 * The end of the last complete line in bytes[0, filled): after its last LF; with no LF at
 * all (a file with lone-CR line ends), after its last CR that is not the final byte, since
 * a final CR may be the first half of a CRLF whose LF is not read yet. 0 if there is none.
 */
function completeLinesEnd(bytes: Buffer, filled: number): number {
  if (filled === 0) return 0;
  const lf = bytes.lastIndexOf(LF, filled - 1);
  if (lf >= 0) return lf + 1;
  if (filled < 2) return 0;
  const cr = bytes.lastIndexOf(CR, filled - 2);
  return cr + 1;
}

/** Whether bytes at `at` (not ASCII) encode a character String.prototype.trim removes. */
export function isUnicodeSpaceAt(bytes: Uint8Array, at: number): boolean {
  const a = bytes[at];
  const b = bytes[at + 1];
  const c = bytes[at + 2];
  switch (a) {
    case 0xc2:
      return b === 0xa0; // U+00A0
    case 0xe1:
      return b === 0x9a && c === 0x80; // U+1680
    case 0xe2:
      // U+2000–U+200A, U+2028, U+2029, U+202F; U+205F
      return (b === 0x80 && ((c >= 0x80 && c <= 0x8a) || c === 0xa8 || c === 0xa9 || c === 0xaf)) || (b === 0x81 && c === 0x9f);
    case 0xe3:
      return b === 0x80 && c === 0x80; // U+3000
    case 0xef:
      return b === 0xbb && c === 0xbf; // U+FEFF
    default:
      return false;
  }
}

class TableReader {
  private readonly words: string[] = [];
  private readonly index = new Map<string, number>();
  private vectors: Float32Array;
  private duplicates = 0;
  /** The word count a word2vec header line states, checked against the rows read. */
  private headerCount: number | null = null;
  private lineNo = 0;
  private sizedFromFile = false;
  private readonly scanner = new DecimalScanner();

  constructor(
    private readonly path: string,
    private readonly dim: number,
    private readonly fileSize: number,
  ) {
    this.vectors = new Float32Array(1024 * dim);
  }

  /** Parses the lines in bytes[0, limit), each ending with a terminator inside that range. */
  parseRegion(bytes: Buffer, limit: number): void {
    if (!this.sizedFromFile) this.sizeFromFirstRegion(bytes, limit);
    // Decoding would turn bytes that are not UTF-8 into U+FFFD, giving words that match no
    // token. A region holds whole lines, so it is checked on its own (at memory speed); the
    // error is raised when its line is reached, so earlier lines' errors come first, as they
    // would line by line, whatever the chunk size.
    const region = bytes.subarray(0, limit);
    const badLine = isUtf8(region) ? 0 : this.lineNo + (firstInvalidUtf8Line(region) ?? 1);
    const dim = this.dim;
    const scanner = this.scanner;
    let p = 0;
    while (p < limit) {
      const lineStart = p;
      this.lineNo++;
      if (this.lineNo === badLine) throw dataError(this.path, badLine, NOT_UTF8);
      if (this.lineNo === 1) {
        p = this.readLineAt(bytes, lineStart, limit);
        continue;
      }
      let c = bytes[p];
      while (c === SPACE || c === TAB || c === VT || c === FF) c = bytes[++p];
      if (c === LF || c === CR) {
        p = afterTerminator(bytes, p, limit);
        continue;
      }
      if (c >= 0xc2 && isUnicodeSpaceAt(bytes, p)) {
        p = this.readLineAt(bytes, lineStart, limit);
        continue;
      }
      const wordStart = p;
      while (c !== SPACE && c !== TAB && c !== LF && c !== CR) c = bytes[++p];
      const wordEnd = p;
      // Values go straight into the next free row; the row only counts once the word is added.
      const base = this.freeRow();
      const vectors = this.vectors;
      let k = 0;
      let plain = true;
      for (;;) {
        while (c === SPACE || c === TAB) c = bytes[++p];
        if (c === LF || c === CR) break;
        if (k === dim) {
          plain = false;
          break;
        }
        scanner.scan(bytes, p, limit);
        const value = scanner.value;
        const end = scanner.end;
        c = bytes[end];
        // value − value is 0 exactly for finite values (NaN for NaN and ±Infinity).
        if ((c !== SPACE && c !== TAB && c !== LF && c !== CR) || value - value !== 0) {
          plain = false;
          break;
        }
        vectors[base + k++] = value;
        p = end;
      }
      if (plain && k === dim) {
        this.addWord(bytes.toString('utf8', wordStart, wordEnd));
        p = afterTerminator(bytes, p, limit);
      } else {
        p = this.readLineAt(bytes, lineStart, limit);
      }
    }
  }

  /** Decodes the line at `start` and reads it as a string; returns where the next line starts. */
  private readLineAt(bytes: Buffer, start: number, limit: number): number {
    let end = start;
    while (bytes[end] !== LF && bytes[end] !== CR) end++;
    this.readLine(bytes.toString('utf8', start, end));
    return afterTerminator(bytes, end, limit);
  }

  /** The meaning of one line, on the line as text (the reference the byte-level path follows). */
  private readLine(rawLine: string): void {
    const lineNo = this.lineNo;
    const path = this.path;
    const line = lineNo === 1 && rawLine.charCodeAt(0) === 0xfeff ? rawLine.slice(1) : rawLine;
    const fields = line.trim().split(/[ \t]+/);
    if (fields.length === 1 && fields[0] === '') return;
    if (lineNo === 1 && isWord2vecHeader(fields)) {
      const dim = Number(fields[1]);
      if (dim !== this.dim) throw dimMismatch(path, 1, dim, this.dim);
      this.headerCount = Number(fields[0]);
      return;
    }
    const found = fields.length - 1;
    if (found !== this.dim) {
      if (this.words.length === 0) throw dimMismatch(path, lineNo, found, this.dim);
      throw dataError(path, lineNo, `expected ${this.dim} values after the word, found ${found} (a ragged row)`);
    }
    const word = fields[0];
    if (this.index.has(word)) {
      // The first vector of a word wins, as in GloVe's own loaders; later copies are counted, not used.
      this.duplicates++;
      return;
    }
    const base = this.freeRow();
    for (let j = 0; j < this.dim; j++) {
      const value = Number(fields[j + 1]);
      if (!Number.isFinite(value)) {
        throw dataError(path, lineNo, `value ${j + 1} of '${word}' is not a finite number ('${fields[j + 1].slice(0, 30)}')`);
      }
      this.vectors[base + j] = value;
    }
    this.addWord(word);
  }

  /** Adds a word whose values are already in the free row; a repeated word only counts as a duplicate. */
  private addWord(word: string): void {
    if (this.index.has(word)) {
      this.duplicates++;
      return;
    }
    this.index.set(word, this.words.length);
    this.words.push(word);
  }

  /** Offset of the row after the last word's, growing the table if it is full. */
  private freeRow(): number {
    const base = this.words.length * this.dim;
    if (base + this.dim > this.vectors.length) this.resize(Math.ceil(1.25 * (this.words.length + 1)) + 1024);
    return base;
  }

  private resize(rows: number): void {
    const bigger = new Float32Array(rows * this.dim);
    bigger.set(this.vectors.subarray(0, this.words.length * this.dim));
    this.vectors = bigger;
  }

  /**
   * Sizes the table once, from the bytes per line of the first chunk and the file size, so
   * a large file fills one allocation instead of doubling through several (which would
   * briefly need three times the table's memory).
   */
  private sizeFromFirstRegion(bytes: Buffer, limit: number): void {
    this.sizedFromFile = true;
    let lines = 0;
    for (let i = bytes.indexOf(LF); i >= 0 && i < limit; i = bytes.indexOf(LF, i + 1)) lines++;
    if (lines === 0) return;
    // Never more rows than the file could hold: a row takes at least 2 bytes per value and 2 more.
    const rows = Math.min(Math.ceil((1.05 * this.fileSize * lines) / limit) + 16, Math.floor(this.fileSize / (2 * this.dim + 2)) + 1);
    if (rows * this.dim > this.vectors.length) this.resize(rows);
  }

  finish(): EmbeddingTable {
    if (this.words.length === 0) throw dataError(this.path, 1, 'no word vectors found (the file is empty)');
    // Every row counts, duplicates too: the header counts lines. Fewer rows than it says is
    // the mark of a download or copy cut short, which would otherwise go unnoticed.
    const rows = this.words.length + this.duplicates;
    if (this.headerCount !== null && this.headerCount !== rows) {
      throw dataError(this.path, 1, `the word2vec header line says ${this.headerCount} words, but the file holds ${rows} (a truncated or edited file?)`, 'fix the count in the header line, or delete that line (GloVe files have none)');
    }
    const used = this.words.length * this.dim;
    // A view when the estimate was close (no copy of a large table); a copy when most of the buffer is unused.
    const vectors = used === this.vectors.length ? this.vectors : used >= 0.875 * this.vectors.length ? this.vectors.subarray(0, used) : this.vectors.slice(0, used);
    return { dim: this.dim, words: this.words, index: this.index, vectors, duplicates: this.duplicates };
  }
}

/** Where the line after the terminator at `at` starts (CRLF is one terminator). */
function afterTerminator(bytes: Buffer, at: number, limit: number): number {
  return bytes[at] === CR && at + 1 < limit && bytes[at + 1] === LF ? at + 2 : at + 1;
}

function isWord2vecHeader(fields: string[]): boolean {
  return fields.length === 2 && /^\d+$/.test(fields[0]) && /^\d+$/.test(fields[1]);
}

function dimMismatch(path: string, line: number, found: number, expected: number): UserError {
  return new UserError(`${path}:${line}: the vectors have ${found} values but embeddings.dim is ${expected}`, {
    hint: `set embeddings.dim: ${found} in the config (or --set embeddings.dim=${found})`,
  });
}

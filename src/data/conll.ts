import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse';
import { dataError, fileError } from '../errors.js';
import { isValidTag } from './tags.js';
import { firstInvalidUtf8Line, NOT_UTF8 } from './utf8.js';

/** One sentence of a CoNLL file: tokens and their NER tags as written in the file. */
export interface Sentence {
  tokens: string[];
  tags: string[];
  /** 1-based line of the first token, for error messages. */
  line: number;
}

export interface ConllReadOptions {
  /** Read only the token column (for `predict` on files without tags). */
  tagsOptional?: boolean;
}

/**
 * Streams the sentences of a CoNLL file: token in the first column, NER tag in the last,
 * blank lines between sentences (a run of blank lines is one break), `-DOCSTART-` lines
 * skipped. Columns are separated by any run of spaces and tabs; CRLF, CR and a UTF-8 BOM
 * are accepted. Every malformed line is reported as `file:line: what is wrong`, including
 * bytes that are not UTF-8 (decoding would silently turn them into U+FFFD).
 */
export async function* readConll(path: string, options: ConllReadOptions = {}): AsyncGenerator<Sentence> {
  const input = createReadStream(path);
  const parser = input.pipe(
    parse({
      delimiter: [' ', '\t'],
      // Tokens may contain quote characters (`"`, `''`): they are never CSV quoting here.
      quote: false,
      relax_column_count: true,
      skip_empty_lines: false,
      bom: true,
      info: true,
      record_delimiter: ['\r\n', '\n', '\r'],
    }),
  );
  // Errors from the file (ENOENT, EISDIR) surface on the read stream, not the parser.
  let streamError: unknown = null;
  input.on('error', (error) => {
    streamError = error;
    parser.destroy();
  });

  let tokens: string[] = [];
  let tags: string[] = [];
  let first = 0;
  // U+FFFD in a field is either the decoder's stand-in for invalid bytes or (rarely) written
  // in the file; the bytes tell which, and need reading only once.
  let utf8Checked = false;
  try {
    for await (const chunk of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = chunk.info.lines;
      // Runs of separators produce empty fields; a column is whatever is non-empty.
      const fields = chunk.record.filter((field) => field !== '');
      if (!utf8Checked && fields.some((field) => field.includes('\uFFFD'))) {
        utf8Checked = true;
        await checkUtf8(path);
      }
      if (fields.length === 0) {
        if (tokens.length > 0) yield { tokens, tags, line: first };
        tokens = [];
        tags = [];
        continue;
      }
      if (fields[0] === '-DOCSTART-') continue;
      if (fields.length < 2 && !options.tagsOptional) {
        throw dataError(path, line, `expected at least 2 columns (token … NER tag), found 1 ('${clip(fields[0])}')`);
      }
      const tag = fields.length >= 2 ? fields[fields.length - 1] : 'O';
      if (!options.tagsOptional && !isValidTag(tag)) {
        throw dataError(path, line, `'${clip(tag)}' is not a NER tag (expected O, B-TYPE, I-TYPE, E-TYPE or S-TYPE in the last column)`);
      }
      if (tokens.length === 0) first = line;
      tokens.push(fields[0]);
      tags.push(tag);
    }
  } catch (error) {
    if (streamError !== null) throw fileError(path, streamError);
    throw error;
  } finally {
    // An error, or a consumer that stops early, leaves the file open otherwise; after a full read this is a no-op.
    input.destroy();
  }
  if (streamError !== null) throw fileError(path, streamError);
  if (tokens.length > 0) yield { tokens, tags, line: first };
}

/** All sentences of a file; an empty file (no tokens) is an error, since nothing could be learned or scored. */
export async function readConllFile(path: string, options: ConllReadOptions = {}): Promise<Sentence[]> {
  const sentences: Sentence[] = [];
  for await (const sentence of readConll(path, options)) sentences.push(sentence);
  if (sentences.length === 0) {
    throw dataError(path, 1, 'no sentences found (the file is empty or holds only -DOCSTART- lines)');
  }
  return sentences;
}

/** Throws `file:line: not valid UTF-8` at the first line with bytes that are not UTF-8. */
async function checkUtf8(path: string): Promise<void> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw fileError(path, error);
  }
  const bad = firstInvalidUtf8Line(bytes);
  if (bad !== null) throw dataError(path, bad, NOT_UTF8);
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import { NOT_UTF8 } from '../data/utf8.js';
import { fileError, isErrnoException, UserError } from '../errors.js';
import { entitiesOf, type Tagger } from './tagger.js';

export type InputFormat = 'text' | 'conll';
export type OutputFormat = 'conll' | 'json';

export interface PredictOptions {
  input: Readable;
  output: Writable;
  inputFormat: InputFormat;
  outputFormat: OutputFormat;
  /** Sentences tagged together; bounds memory however long the input is. */
  chunkSentences?: number;
  /** What errors call the input (its path, or "stdin"). */
  inputName?: string;
}

interface PendingSentence {
  tokens: string[];
  /** The input lines (conll input), echoed with the tag appended. */
  lines: string[] | null;
}

/**
 * Streams sentences from `input` to tagged output. Text input: one sentence per line,
 * tokens separated by whitespace. CoNLL input: the token is the first column, blank
 * lines separate sentences, -DOCSTART- lines pass through (CoNLL output; JSON output
 * skips them). Returns the number of
 * sentences tagged; stops quietly when the reader of `output` goes away (`| head`).
 */
export async function predictStream(tagger: Tagger, options: PredictOptions): Promise<{ sentences: number; tokens: number }> {
  const { input, output, inputFormat, outputFormat } = options;
  const chunk = options.chunkSentences ?? 256;
  // A reader that goes away (`| head`) shows up as EPIPE, from write or while waiting
  // for 'drain': that ends the output quietly. Any other output error is re-thrown.
  let closed = false;
  let failure: unknown = null;
  const onOutputError = (error: unknown): void => {
    if (isErrnoException(error) && error.code === 'EPIPE') closed = true;
    else failure ??= error;
  };
  output.on('error', onOutputError);
  const write = async (text: string): Promise<void> => {
    if (failure !== null) throw failure;
    if (closed || text === '') return;
    try {
      if (!output.write(text)) await Promise.race([once(output, 'drain'), once(output, 'close')]);
    } catch (error) {
      onOutputError(error);
      if (failure !== null) throw failure;
    }
  };

  let pending: PendingSentence[] = [];
  let sentences = 0;
  let tokens = 0;
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const detected = tagger.isDetector ? tagger.detect(pending) : null;
    const tags = detected ? detected.tags : tagger.tag(pending);
    const scores = detected && outputFormat === 'json' ? detected.scores : null;
    let text = '';
    pending.forEach((sentence, i) => {
      text += formatSentence(sentence, tags[i], outputFormat, tagger, scores ? scores[i] : null);
      sentences++;
      tokens += sentence.tokens.length;
    });
    pending = [];
    await write(text);
  };

  let current: PendingSentence = { tokens: [], lines: inputFormat === 'conll' ? [] : null };
  const readLine = async (line: string): Promise<void> => {
    const fields = line.trim().split(/\s+/).filter((f) => f !== '');
    if (inputFormat === 'text') {
      if (fields.length > 0) pending.push({ tokens: fields, lines: null });
    } else if (fields.length === 0) {
      if (current.tokens.length > 0) pending.push(current);
      current = { tokens: [], lines: [] };
    } else if (fields[0] === '-DOCSTART-') {
      // Passed through to CoNLL output; JSON lines hold sentences only.
      if (outputFormat === 'conll') {
        await flush();
        await write(`${line}\n\n`);
      }
    } else {
      current.tokens.push(fields[0]);
      current.lines?.push(line.trimEnd());
    }
    if (pending.length >= chunk) await flush();
  };

  // Chunks, not readline's lines: after each chunk of input everything complete in it is
  // tagged and written, so a script that writes one sentence and waits for its tags gets
  // them at once, while a file or a fast pipe still gives batches of up to `chunk`.
  // Lines are split as bytes and each is checked to be UTF-8 before it is decoded: decoding
  // would quietly turn a Latin-1 word into U+FFFD, which tags as an unknown word.
  const inputName = options.inputName ?? 'stdin';
  let lineNumber = 0;
  const lineOf = async (bytes: Buffer): Promise<void> => {
    lineNumber++;
    if (!isUtf8(bytes)) {
      // The sentences complete before this line are good output: give them first.
      await flush();
      throw new UserError(`${inputName}:${lineNumber}: ${NOT_UTF8}`);
    }
    let line = bytes.toString('utf8');
    if (lineNumber === 1) line = line.replace(/^\uFEFF/, '');
    await readLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  };
  // The start of a line that has not ended yet, as the chunks that hold it.
  let partial: Buffer[] = [];
  try {
    for await (const data of input as AsyncIterable<Buffer | string>) {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let start = 0;
      for (let end = bytes.indexOf(10); end !== -1 && !closed; end = bytes.indexOf(10, start)) {
        const piece = bytes.subarray(start, end);
        await lineOf(partial.length > 0 ? Buffer.concat([...partial, piece]) : piece);
        partial = [];
        start = end + 1;
      }
      if (closed) break;
      // A copy: a view would keep the whole chunk alive.
      if (start < bytes.length) partial.push(Buffer.from(bytes.subarray(start)));
      await flush();
    }
    if (!closed) {
      if (partial.length > 0) await lineOf(Buffer.concat(partial));
      if (current.tokens.length > 0) pending.push(current);
      await flush();
    }
  } finally {
    output.off('error', onOutputError);
  }
  if (failure !== null) throw failure;
  return { sentences, tokens };
}

function formatSentence(sentence: PendingSentence, tags: string[], format: OutputFormat, tagger: Tagger, scores: number[] | null): string {
  if (format === 'json') {
    const entities = entitiesOf(sentence.tokens, tags, tagger.scheme);
    // The detector's scores let a script pick its own threshold.
    return `${JSON.stringify(scores ? { tokens: sentence.tokens, tags, entities, scores } : { tokens: sentence.tokens, tags, entities })}\n`;
  }
  const rows = sentence.tokens.map((token, i) => `${sentence.lines ? sentence.lines[i] : token} ${tags[i]}`);
  return `${rows.join('\n')}\n\n`;
}

/** A readable stream for a file, with file errors reported as user errors. */
export async function openInput(path: string): Promise<Readable> {
  const stream = createReadStream(path);
  try {
    await once(stream, 'open');
    // A folder opens fine and fails only at the first read, after output may have begun.
    if ((await stat(path)).isDirectory()) throw Object.assign(new Error(`EISDIR: ${path}`), { code: 'EISDIR' });
  } catch (error) {
    stream.destroy();
    throw fileError(path, error);
  }
  return stream;
}

import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileError, isErrnoException } from '../errors.js';
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
}

interface PendingSentence {
  tokens: string[];
  /** The input lines (conll input), echoed with the tag appended. */
  lines: string[] | null;
}

/**
 * Streams sentences from `input` to tagged output. Text input: one sentence per line,
 * tokens separated by whitespace. CoNLL input: the token is the first column, blank
 * lines separate sentences, -DOCSTART- lines pass through. Returns the number of
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

  const lines = createInterface({ input, crlfDelay: Infinity });
  let current: PendingSentence = { tokens: [], lines: inputFormat === 'conll' ? [] : null };
  for await (const rawLine of lines) {
    if (closed) break;
    const line = rawLine.replace(/^\uFEFF/, '');
    const fields = line.trim().split(/\s+/).filter((f) => f !== '');
    if (inputFormat === 'text') {
      if (fields.length > 0) pending.push({ tokens: fields, lines: null });
    } else if (fields.length === 0) {
      if (current.tokens.length > 0) pending.push(current);
      current = { tokens: [], lines: [] };
    } else if (fields[0] === '-DOCSTART-') {
      await flush();
      await write(`${line}\n\n`);
    } else {
      current.tokens.push(fields[0]);
      current.lines?.push(line.trimEnd());
    }
    if (pending.length >= chunk) await flush();
  }
  if (current.tokens.length > 0) pending.push(current);
  await flush();
  lines.close();
  output.off('error', onOutputError);
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
  } catch (error) {
    throw fileError(path, error);
  }
  return stream;
}

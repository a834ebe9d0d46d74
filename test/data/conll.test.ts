import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { reportError } from '../../src/cli/errors.js';
import { readConll, readConllFile, type Sentence } from '../../src/data/conll.js';
import { expectUserError, useTempFolder } from './helpers.js';

const tmp = useTempFolder('ner-train-conll');

let fileCounter = 0;
/** Writes `text` to a fresh file and reads it. */
async function read(text: string | Uint8Array, options: { tagsOptional?: boolean } = {}): Promise<Sentence[]> {
  return readConllFile(tmp.write(`in-${++fileCounter}.txt`, text), options);
}

function fresh(text: string | Uint8Array): string {
  return tmp.write(`bad-${++fileCounter}.txt`, text);
}

const ONE_COLUMN = (token: string): string => `expected at least 2 columns (token … NER tag), found 1 ('${token}')`;
const NOT_A_TAG = (tag: string): string =>
  `'${tag}' is not a NER tag (expected O, B-TYPE, I-TYPE, E-TYPE or S-TYPE in the last column)`;
const NO_SENTENCES = 'no sentences found (the file is empty or holds only -DOCSTART- lines)';

describe('readConllFile: sentences', () => {
  it('reads tokens from the first column and tags from the last, with the first token line', async () => {
    const text = [
      'EU NNP B-NP B-ORG',
      'rejects VBZ B-VP O',
      'German JJ B-NP B-MISC',
      '',
      'Peter NNP B-NP B-PER',
      'Blackburn NNP I-NP I-PER',
      '',
    ].join('\n');
    expect(await read(text)).toEqual([
      { tokens: ['EU', 'rejects', 'German'], tags: ['B-ORG', 'O', 'B-MISC'], line: 1 },
      { tokens: ['Peter', 'Blackburn'], tags: ['B-PER', 'I-PER'], line: 5 },
    ]);
  });

  it('reads two-column files', async () => {
    expect(await read('EU B-ORG\nrejects O\n')).toEqual([{ tokens: ['EU', 'rejects'], tags: ['B-ORG', 'O'], line: 1 }]);
  });

  it('skips -DOCSTART- lines, with or without their blank line', async () => {
    const text = '-DOCSTART- -X- -X- O\n\nEU B-ORG\n\n-DOCSTART- -X- -X- O\n\nPeter B-PER\n-DOCSTART- O\nsaid O\n';
    expect(await read(text)).toEqual([
      { tokens: ['EU'], tags: ['B-ORG'], line: 3 },
      { tokens: ['Peter', 'said'], tags: ['B-PER', 'O'], line: 7 },
    ]);
  });

  it('treats a run of blank lines (also lines of only spaces or tabs) as one break', async () => {
    const text = '\n\n\nEU B-ORG\n\n\n\n  \n\t\nPeter B-PER\n\n\n';
    expect(await read(text)).toEqual([
      { tokens: ['EU'], tags: ['B-ORG'], line: 4 },
      { tokens: ['Peter'], tags: ['B-PER'], line: 10 },
    ]);
  });

  it('splits columns on tabs and on runs of spaces and tabs, ignoring leading and trailing ones', async () => {
    const text = 'EU\tNNP\t\tB-ORG\nrejects    VBZ  O   \n  German \t JJ\tB-MISC\t\n';
    expect(await read(text)).toEqual([{ tokens: ['EU', 'rejects', 'German'], tags: ['B-ORG', 'O', 'B-MISC'], line: 1 }]);
  });

  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ])('accepts %s line endings with the same line numbers', async (_name, eol) => {
    const text = ['EU B-ORG', 'rejects O', '', '', 'Peter B-PER', ''].join(eol);
    expect(await read(text)).toEqual([
      { tokens: ['EU', 'rejects'], tags: ['B-ORG', 'O'], line: 1 },
      { tokens: ['Peter'], tags: ['B-PER'], line: 5 },
    ]);
  });

  it('accepts mixed line endings', async () => {
    expect(await read('a O\r\nb O\nc O\rd O\r\n\ne B-PER\n')).toEqual([
      { tokens: ['a', 'b', 'c', 'd'], tags: ['O', 'O', 'O', 'O'], line: 1 },
      { tokens: ['e'], tags: ['B-PER'], line: 6 },
    ]);
  });

  it('drops a UTF-8 byte order mark, keeping line 1 as line 1', async () => {
    const sentences = await read('\uFEFFEU B-ORG\nrejects O\n');
    expect(sentences).toEqual([{ tokens: ['EU', 'rejects'], tags: ['B-ORG', 'O'], line: 1 }]);
    expect(sentences[0].tokens[0]).toHaveLength(2);
  });

  it('drops a BOM in front of -DOCSTART-', async () => {
    expect(await read('\uFEFF-DOCSTART- -X- O\n\nEU B-ORG\n')).toEqual([{ tokens: ['EU'], tags: ['B-ORG'], line: 3 }]);
  });

  it('keeps quote characters inside tokens as they are (no CSV quoting)', async () => {
    const text = '" O\n\'\' O\n`` O\nO\'Neil I-PER\n"Big I-MISC\nApple" I-MISC\n';
    expect(await read(text)).toEqual([
      {
        tokens: ['"', "''", '``', "O'Neil", '"Big', 'Apple"'],
        tags: ['O', 'O', 'O', 'I-PER', 'I-MISC', 'I-MISC'],
        line: 1,
      },
    ]);
  });

  it('keeps non-ASCII tokens intact', async () => {
    expect(await read('Zürich B-LOC\néclair O\n東京 B-LOC\n')).toEqual([
      { tokens: ['Zürich', 'éclair', '東京'], tags: ['B-LOC', 'O', 'B-LOC'], line: 1 },
    ]);
  });

  it('reads a last sentence without a trailing newline', async () => {
    expect(await read('EU B-ORG\n\nPeter B-PER\nsaid O')).toEqual([
      { tokens: ['EU'], tags: ['B-ORG'], line: 1 },
      { tokens: ['Peter', 'said'], tags: ['B-PER', 'O'], line: 3 },
    ]);
  });

  it('accepts IOBES tags', async () => {
    expect(await read('New B-LOC\nYork E-LOC\nis O\nbig O\nEU S-ORG\n')).toEqual([
      { tokens: ['New', 'York', 'is', 'big', 'EU'], tags: ['B-LOC', 'E-LOC', 'O', 'O', 'S-ORG'], line: 1 },
    ]);
  });

  it('keeps line numbers right across read chunks, with a CRLF split at a chunk edge', async () => {
    // File streams read 64 KiB at a time: pick the padding that puts a CR as the last byte of the first chunk.
    const build = (pad: number): { text: string; count: number } => {
      let text = `${'x'.repeat(pad + 1)} O\r\n`;
      let count = 1;
      while (text.length < 70_000) text += `t${count++} O\r\n`;
      return { text: `${text}\r\nlast B-PER\r\n`, count };
    };
    const pad = Array.from({ length: 12 }, (_, i) => i).find((i) => build(i).text.slice(65_535, 65_537) === '\r\n');
    expect(pad).toBeDefined();
    const { text, count } = build(pad ?? 0);
    const sentences = await read(text);
    expect(sentences.map((s) => [s.tokens.length, s.line])).toEqual([
      [count, 1],
      [1, count + 2],
    ]);
  });

  it('with tagsOptional reads one-column files, giving every token the tag O', async () => {
    expect(await read('EU\nrejects\n\nPeter\n', { tagsOptional: true })).toEqual([
      { tokens: ['EU', 'rejects'], tags: ['O', 'O'], line: 1 },
      { tokens: ['Peter'], tags: ['O'], line: 4 },
    ]);
  });

  it('streams sentences with readConll', async () => {
    const path = tmp.write('stream.txt', 'a O\n\nb B-PER\n\nc O\n');
    const lines: number[] = [];
    for await (const sentence of readConll(path)) lines.push(sentence.line);
    expect(lines).toEqual([1, 3, 5]);
  });

  it.skipIf(process.platform !== 'linux')('closes the file when the caller stops reading early', async () => {
    // Long lines: several read chunks, but few records (the parser handles a whole chunk at a time).
    const path = tmp.write('many.txt', `${'a'.repeat(2000)} O\n\n`.repeat(200));
    const openFiles = (): number => readdirSync('/proc/self/fd').length;
    const before = openFiles();
    for (let i = 0; i < 10; i++) {
      for await (const sentence of readConll(path)) {
        expect(sentence.tokens).toEqual(['a'.repeat(2000)]);
        break;
      }
    }
    // Descriptors close asynchronously: wait (up to 2 s) rather than a fixed sleep a loaded machine can outlast.
    for (let waited = 0; waited < 2000 && openFiles() >= before + 5; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
    // A leak would leave ten more descriptors open; allow a little slack for the test runner's own.
    expect(openFiles()).toBeLessThan(before + 5);
  });
});

describe('readConllFile: errors', () => {
  it('reports a one-column line at its own line number', async () => {
    const path = fresh('EU B-ORG\nrejects O\nGerman\n');
    await expectUserError(() => readConllFile(path), `${path}:3: ${ONE_COLUMN('German')}`);
  });

  it('counts blank lines, -DOCSTART- and a BOM when numbering a one-column line', async () => {
    const path = fresh('\uFEFF-DOCSTART- -X- O\n\n\nEU B-ORG\n\n\n\nbad\n');
    await expectUserError(() => readConllFile(path), `${path}:8: ${ONE_COLUMN('bad')}`);
  });

  it.each([
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ])('numbers lines right with %s endings', async (_name, eol) => {
    const path = fresh(['EU B-ORG', '', '', 'bad', ''].join(eol));
    await expectUserError(() => readConllFile(path), `${path}:4: ${ONE_COLUMN('bad')}`);
  });

  it('clips a very long token in the message', async () => {
    const path = fresh(`ok O\n${'z'.repeat(60)}\n`);
    await expectUserError(() => readConllFile(path), `${path}:2: ${ONE_COLUMN(`${'z'.repeat(40)}…`)}`);
  });

  it.each(['X-ORG', 'B-', 'PER', 'b-PER', 'O-PER', 'NNP'])('rejects the tag %s', async (tag) => {
    const path = fresh(`EU B-ORG\n\nPeter ${tag}\n`);
    await expectUserError(() => readConllFile(path), `${path}:3: ${NOT_A_TAG(tag)}`);
  });

  it('reads the tag from the last column, so a file without the NER column is reported', async () => {
    const path = fresh('EU NNP\nrejects VBZ\n');
    await expectUserError(() => readConllFile(path), `${path}:1: ${NOT_A_TAG('NNP')}`);
  });

  it.each([
    ['an empty file', ''],
    ['a file of blank lines', '\n\n\r\n\n'],
    ['a file of only -DOCSTART-', '-DOCSTART- -X- -X- O\n\n'],
    ['a BOM and -DOCSTART- only', '\uFEFF-DOCSTART- O\n\n-DOCSTART- O\n'],
  ])('rejects %s at line 1', async (_name, text) => {
    const path = fresh(text);
    await expectUserError(() => readConllFile(path), `${path}:1: ${NO_SENTENCES}`);
  });

  it('reports a missing file by its path, printed without a stack', async () => {
    const path = tmp.path('does-not-exist.txt');
    const error = await expectUserError(() => readConllFile(path), `${path}: no such file`);
    expect(error.hint).toBe('check the path (relative paths in a config file are relative to that file)');
    let printed = '';
    const code = reportError(error, { write: (text: string) => ((printed += text), true) } as unknown as NodeJS.WritableStream);
    expect(code).toBe(2);
    expect(printed).toBe(`ner-train: ${path}: no such file\nhint: ${error.hint}\n`);
  });

  it('reports a missing file from the streaming reader too', async () => {
    const path = tmp.path('missing-stream.txt');
    await expectUserError(async () => {
      for await (const sentence of readConll(path)) void sentence;
    }, `${path}: no such file`);
  });

  it('reports a folder given as the file', async () => {
    await expectUserError(() => readConllFile(tmp.root), `${tmp.root}: is a folder, expected a file`);
  });
});

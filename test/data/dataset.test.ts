import { describe, expect, it } from 'vitest';
import { defaultConfig, type Config } from '../../src/config/schema.js';
import { lookupPretrained, prepareData, windowFeatures } from '../../src/data/dataset.js';
import { expectUserError, useTempFolder } from './helpers.js';

const tmp = useTempFolder('ner-train-dataset');

let fileCounter = 0;
function file(text: string): string {
  return tmp.write(`file-${++fileCounter}.txt`, text);
}

/** Lines joined with newlines; '' entries are sentence breaks. */
const conll = (...lines: string[]): string => `${lines.join('\n')}\n`;

function config(train: string, edit: (c: Config) => void = () => undefined): Config {
  const c = defaultConfig(train);
  edit(c);
  return c;
}

// IOB1 (I- opens chunks), 12 tokens. Lowercased, digit-normalised keys with counts:
// peter 1, visited 2, paris 2, . 2, the 1, eu 1, in 1, 0000 1, rome 1.
const TRAIN_IOB1 = conll(
  '-DOCSTART- -X- -X- O',
  '',
  'Peter I-PER',
  'visited O',
  'Paris I-LOC',
  '. O',
  '',
  'The O',
  'EU I-ORG',
  'visited O',
  'Paris I-LOC',
  'in O',
  '1996 O',
  '. O',
  '',
  'Rome I-LOC',
);
// Lowercase GloVe-style vectors, dim 2.
const VECTORS = 'the 0.1 0.2\nrome 0.3 0.4\nlondon 0.5 0.6\nin 0.7 0.8\n';
// IOB1 too; MISC is not a training type. Keys: rome ×2, and, london, berlin.
const DEV_IOB1 = conll('Rome I-LOC', 'and O', 'Rome I-LOC', 'London I-LOC', '', 'berlin I-MISC');

describe('prepareData: vocabulary', () => {
  it('keeps train words seen min_count times or covered by the embeddings, most frequent first', async () => {
    const c = config(file(TRAIN_IOB1), (c) => {
      c.embeddings.path = file(VECTORS);
      c.embeddings.dim = 2;
      c.embeddings.extend_vocab = false;
      c.data.min_count = 2;
    });
    const data = await prepareData(c);
    // Count 2 in first-appearance order, then the rare words that have vectors (the, in, rome),
    // also in first-appearance order; peter, eu and 0000 are rare and uncovered.
    expect(data.vocab.words).toEqual(['<unk>', '<s>', '</s>', 'visited', 'paris', '.', 'the', 'in', 'rome']);
    expect(Array.from(data.pretrainedRow)).toEqual([-1, -1, -1, -1, -1, -1, 0, 3, 1]);
    expect(data.pretrained?.words).toEqual(['the', 'rome', 'london', 'in']);
  });

  it('with extend_vocab adds the embedding words not seen in training, each mapped to its vector', async () => {
    const c = config(file(TRAIN_IOB1), (c) => {
      c.embeddings.path = file(VECTORS);
      c.embeddings.dim = 2;
      c.embeddings.extend_vocab = true;
      c.data.min_count = 2;
    });
    const data = await prepareData(c);
    expect(data.vocab.words).toEqual(['<unk>', '<s>', '</s>', 'visited', 'paris', '.', 'the', 'in', 'rome', 'london']);
    expect(Array.from(data.pretrainedRow)).toEqual([-1, -1, -1, -1, -1, -1, 0, 3, 1, 2]);
  });

  it('keeps every train word with min_count 1, and has no pretrained rows without embeddings', async () => {
    const data = await prepareData(config(file(TRAIN_IOB1), (c) => (c.data.min_count = 1)));
    expect(data.vocab.words).toEqual(['<unk>', '<s>', '</s>', 'visited', 'paris', '.', 'peter', 'the', 'eu', 'in', '0000', 'rome']);
    expect(Array.from(data.pretrainedRow)).toEqual(new Array<number>(12).fill(-1));
    expect(data.pretrained).toBeNull();
    expect(data.coverage).toBeNull();
  });

  it('without embeddings keeps only words seen min_count times', async () => {
    const data = await prepareData(config(file(TRAIN_IOB1), (c) => (c.data.min_count = 2)));
    expect(data.vocab.words).toEqual(['<unk>', '<s>', '</s>', 'visited', 'paris', '.']);
  });

  it('matches cased tokens to lowercase vectors through the lowercase fallback', async () => {
    // Keys stay cased (lowercase: false); counts Paris 2, visited 1, Rome 1, and 1, Berlin 1.
    const train = file(conll('Paris I-LOC', 'visited O', 'Paris I-LOC', '', 'Rome I-LOC', 'and O', 'Berlin I-LOC'));
    const c = config(train, (c) => {
      c.data.lowercase = false;
      c.data.min_count = 2;
      c.embeddings.path = file('paris 1 1\nrome 2 2\nRome 3 3\nberlin 4 4\n');
      c.embeddings.dim = 2;
      c.embeddings.extend_vocab = true;
    });
    const data = await prepareData(c);
    // Berlin is rare but kept: its lowercase form has a vector. Rome finds its own cased vector first.
    expect(data.vocab.words).toEqual(['<unk>', '<s>', '</s>', 'Paris', 'Rome', 'Berlin', 'paris', 'rome', 'berlin']);
    expect(Array.from(data.pretrainedRow)).toEqual([-1, -1, -1, 0, 2, 3, 0, 1, 3]);
    const pretrained = data.pretrained;
    if (pretrained === null) throw new Error('expected embeddings');
    expect(lookupPretrained(pretrained, 'BERLIN')).toBe(3);
    expect(lookupPretrained(pretrained, 'Rome')).toBe(2);
    expect(lookupPretrained(pretrained, 'Madrid')).toBe(-1);
    // Tokens 6: Paris ×2, Rome and Berlin covered, visited and `and` not. Keys 5, three covered.
    // Rome finds its own vector; Paris ×2 and Berlin find theirs lowercased.
    expect(data.coverage?.train).toEqual({
      tokens: 4 / 6, types: 3 / 5,
      exact: 1 / 6, lowercase: 3 / 6, digits: 0, unknown: 2 / 6,
      words: { exact: 1 / 5, lowercase: 2 / 5, digits: 0, unknown: 2 / 5 },
    });
    // visited and `and` are <unk> in the windows.
    const centre = data.features.halfWidth;
    const w = data.train.windows.positions;
    const T = data.train.windows.tables;
    const centres = Array.from({ length: data.train.windows.count }, (_, n) => data.train.windows.ids[(n * w + centre) * T]);
    expect(centres).toEqual([3, 0, 3, 4, 0, 5]);
  });
});

describe('prepareData: splits, labels and coverage', () => {
  it('warns once, naming file:line, about dev entities of a type the training file lacks; none when all are known', async () => {
    const dev = file(DEV_IOB1);
    const warnings: string[] = [];
    await prepareData(config(file(TRAIN_IOB1), (c) => (c.data.dev = dev)), undefined, (w) => warnings.push(w));
    expect(warnings).toEqual([`${dev}:6: 'I-MISC': entity type MISC does not occur in the training file (types LOC, ORG, PER); it counts as a miss in the dev scores`]);
    const more = file(`${DEV_IOB1}\n\nAcme I-FOO\nInc I-FOO\nand O\nBerlin I-MISC\n`);
    warnings.length = 0;
    await prepareData(config(file(TRAIN_IOB1), (c) => (c.data.dev = more)), undefined, (w) => warnings.push(w));
    expect(warnings).toEqual([
      `${more}:6: 'I-MISC': entity type MISC does not occur in the training file (types LOC, ORG, PER); 3 entities of types the training file lacks (FOO, MISC) count as misses in the dev scores`,
    ]);
    warnings.length = 0;
    await prepareData(config(file(TRAIN_IOB1), (c) => (c.data.dev = file('Rome I-LOC\n'))), undefined, (w) => warnings.push(w));
    expect(warnings).toEqual([]);
  });

  it('reads train and dev, detects IOB1 and encodes IOB2 gold ids', async () => {
    const c = config(file(TRAIN_IOB1), (c) => {
      c.data.dev = file(DEV_IOB1);
      c.embeddings.path = file(VECTORS);
      c.embeddings.dim = 2;
      c.data.min_count = 2;
    });
    const data = await prepareData(c);
    expect(data.scheme).toBe('iob1');
    expect(data.labels.labels).toEqual(['O', 'B-LOC', 'I-LOC', 'B-ORG', 'I-ORG', 'B-PER', 'I-PER']);
    expect(data.features).toEqual(windowFeatures(c, data.train.sentences));
    expect(data.features).toEqual({ halfWidth: 2, caps: true, norm: { lowercase: true, normalize_digits: true }, suffix: null, prefix: null });

    expect(data.train.path).toBe(c.data.train);
    expect(data.train.sentences.map((s) => s.line)).toEqual([3, 8, 16]);
    expect(data.train.windows.count).toBe(12);
    expect(data.train.windows.positions).toBe(5);
    expect(data.train.windows.tables).toBe(2);
    expect(Array.from(data.train.windows.sentenceStarts)).toEqual([0, 4, 11, 12]);
    expect(Array.from(data.train.gold)).toEqual([5, 0, 1, 0, 0, 3, 0, 1, 0, 0, 0, 1]);

    const dev = data.dev;
    if (dev === null) throw new Error('expected a dev split');
    expect(dev.path).toBe(c.data.dev);
    expect(dev.windows.count).toBe(5);
    // Rome | and | Rome London (one IOB1 chunk) | berlin: MISC is unknown, so −1.
    expect(Array.from(dev.gold)).toEqual([1, 0, 1, 2, -1]);
  });

  it('computes token and type coverage by hand-countable figures', async () => {
    const c = config(file(TRAIN_IOB1), (c) => {
      c.data.dev = file(DEV_IOB1);
      c.embeddings.path = file(VECTORS);
      c.embeddings.dim = 2;
    });
    const data = await prepareData(c);
    // Train: 12 tokens, of which The, in, Rome have vectors; 9 distinct keys, 3 covered.
    // `in` is found as written, The and Rome lowercased; 9 distinct word forms.
    // Dev: 5 tokens, Rome ×2 and London covered (lowercased); 4 keys (rome, and, london, berlin), 2 covered.
    expect(data.coverage).toEqual({
      train: {
        tokens: 3 / 12, types: 3 / 9,
        exact: 1 / 12, lowercase: 2 / 12, digits: 0, unknown: 9 / 12,
        words: { exact: 1 / 9, lowercase: 2 / 9, digits: 0, unknown: 6 / 9 },
      },
      dev: {
        tokens: 3 / 5, types: 2 / 4,
        exact: 0, lowercase: 3 / 5, digits: 0, unknown: 2 / 5,
        words: { exact: 0, lowercase: 2 / 4, digits: 0, unknown: 2 / 4 },
      },
    });
  });

  it('has no dev coverage without a dev file', async () => {
    const c = config(file(TRAIN_IOB1), (c) => {
      c.embeddings.path = file(VECTORS);
      c.embeddings.dim = 2;
    });
    const data = await prepareData(c);
    expect(data.dev).toBeNull();
    expect(data.coverage?.dev).toBeNull();
    expect(data.coverage?.train.tokens).toBe(3 / 12);
  });

  it('falls back from the exact form to lowercase to digits zeroed, and reports each step', async () => {
    const train = file(conll('Paris I-LOC', 'paris O', 'PARIS I-LOC', '1996 O', 'Route66 I-LOC', 'zzz O'));
    const vectors = file('Paris 1 1\nparis 2 2\n0000 3 3\nroute00 4 4\n');
    const setup = (lowercase: boolean, digits: boolean): Config =>
      config(train, (c) => {
        c.data.lowercase = lowercase;
        c.data.normalize_digits = digits;
        c.data.min_count = 1;
        c.embeddings.path = vectors;
        c.embeddings.dim = 2;
        c.embeddings.extend_vocab = false;
      });
    // Keys as written: Paris and paris find themselves, PARIS its lowercase form, 1996 and
    // Route66 only their zeroed forms (0000, and route00 after lowercasing too); zzz nothing.
    const cased = await prepareData(setup(false, false));
    expect(cased.vocab.words.slice(3)).toEqual(['Paris', 'paris', 'PARIS', '1996', 'Route66', 'zzz']);
    expect(Array.from(cased.pretrainedRow.subarray(3))).toEqual([0, 1, 1, 2, 3, -1]);
    expect(cased.coverage?.train).toEqual({
      tokens: 5 / 6, types: 5 / 6,
      exact: 2 / 6, lowercase: 1 / 6, digits: 2 / 6, unknown: 1 / 6,
      words: { exact: 2 / 6, lowercase: 1 / 6, digits: 2 / 6, unknown: 1 / 6 },
    });
    // Lowercased, digit-normalised keys (the defaults): Paris now reads the `paris` vector,
    // so it counts as lowercased although the file has it as written.
    const normalised = await prepareData(setup(true, true));
    expect(normalised.vocab.words.slice(3)).toEqual(['paris', '0000', 'route00', 'zzz']);
    expect(Array.from(normalised.pretrainedRow.subarray(3))).toEqual([1, 2, 3, -1]);
    expect(normalised.coverage?.train).toEqual({
      tokens: 5 / 6, types: 3 / 4,
      exact: 1 / 6, lowercase: 2 / 6, digits: 2 / 6, unknown: 1 / 6,
      words: { exact: 1 / 6, lowercase: 2 / 6, digits: 2 / 6, unknown: 1 / 6 },
    });
    const pretrained = cased.pretrained;
    if (pretrained === null) throw new Error('expected embeddings');
    expect(lookupPretrained(pretrained, 'ROUTE66')).toBe(3);
    expect(lookupPretrained(pretrained, '2024')).toBe(2);
  });

  it('accepts an IOB2 dev file next to an IOB1 train file (the same chunks either way)', async () => {
    const c = config(file(TRAIN_IOB1), (c) => (c.data.dev = file(conll('Rome B-LOC', 'London B-LOC', 'said O'))));
    const data = await prepareData(c);
    expect(Array.from(data.dev?.gold ?? [])).toEqual([1, 1, 0]);
  });

  it('reads IOBES training data', async () => {
    const c = config(file(conll('New B-LOC', 'York E-LOC', 'and O', 'EU S-ORG')));
    const data = await prepareData(c);
    expect(data.scheme).toBe('iobes');
    expect(data.labels.labels).toEqual(['O', 'B-LOC', 'I-LOC', 'B-ORG', 'I-ORG']);
    expect(Array.from(data.train.gold)).toEqual([1, 2, 0, 3]);
  });

  it('builds the affix vocabularies from train only (min_count applies) and encodes dev with them', async () => {
    const c = config(file(TRAIN_IOB1), (c) => {
      c.data.dev = file(DEV_IOB1);
      c.data.min_count = 2;
      c.features.suffix.length = 3;
      c.features.prefix.length = 1;
    });
    const data = await prepareData(c);
    // Train suffixes: ter, ted ×2, ris ×2, . ×2, the, eu, in, 996, ome; prefixes: p ×3, v ×2, . ×2, t, e, i, 1, r.
    expect(data.features.suffix?.affixes).toEqual(['<UNK>', '<PAD>', 'ted', 'ris', '.']);
    expect(data.features.prefix?.affixes).toEqual(['<UNK>', '<PAD>', 'p', 'v', '.']);
    expect(data.train.windows.tables).toBe(4);
    // Every dev affix (ome, and, don, lin; r, a, l, b) is unknown: nothing from dev entered the vocabularies.
    const dev = data.dev;
    if (dev === null) throw new Error('expected a dev split');
    expect(dev.windows.tables).toBe(4);
    /** The suffix and prefix ids of token n's centre position (5 positions × 4 tables, centre at 2). */
    const affixIds = (ids: Int32Array, n: number): number[] => Array.from(ids.subarray((n * 5 + 2) * 4 + 2, (n * 5 + 2) * 4 + 4));
    expect([0, 1, 2, 3, 4].map((n) => affixIds(dev.windows.ids, n))).toEqual([[0, 0], [0, 0], [0, 0], [0, 0], [0, 0]]);
    // Train's Paris (token 2): suffix ris (row 3), prefix p (row 2); visited (token 1): ted (2), v (3).
    expect(affixIds(data.train.windows.ids, 2)).toEqual([3, 2]);
    expect(affixIds(data.train.windows.ids, 1)).toEqual([2, 3]);
  });

  it('turns the caps feature off with caps.dim 0', async () => {
    const data = await prepareData(config(file(TRAIN_IOB1), (c) => (c.features.caps.dim = 0)));
    expect(data.features.caps).toBe(false);
    expect(data.train.windows.tables).toBe(1);
  });
});

describe('prepareData: errors', () => {
  it('rejects a training file without entities', async () => {
    const train = file(conll('The O', 'cat O', '', 'sat O'));
    const error = await expectUserError(() => prepareData(config(train)), `${train}: the training data has no entities (every tag is O)`);
    expect(error.hint).toBe('check that the NER tag is the last column');
  });

  it('rejects an IOBES dev file next to an IOB1 train file', async () => {
    const dev = file(conll('New B-LOC', 'York E-LOC', 'EU S-ORG'));
    const c = config(file(TRAIN_IOB1), (c) => (c.data.dev = dev));
    const error = await expectUserError(() => prepareData(c), `${dev}: tags look like IOBES but the training file's look like IOB1`);
    expect(error.hint).toBe('convert one of the files, or set data.scheme explicitly');
  });

  it('rejects an IOB2 dev file next to an IOBES train file', async () => {
    const dev = file(conll('New B-LOC', 'York I-LOC'));
    const c = config(file(conll('New B-LOC', 'York E-LOC', 'EU S-ORG')), (c) => (c.data.dev = dev));
    await expectUserError(() => prepareData(c), `${dev}: tags look like IOB2 but the training file's look like IOBES`);
  });

  it('passes on data file errors with their file and line', async () => {
    const train = file(conll('EU B-ORG', '', 'broken'));
    await expectUserError(() => prepareData(config(train)), `${train}:3: expected at least 2 columns (token … NER tag), found 1 ('broken')`);
    const dev = file(conll('EU B-ORG', 'x WRONG'));
    await expectUserError(
      () => prepareData(config(file(TRAIN_IOB1), (c) => (c.data.dev = dev))),
      `${dev}:2: 'WRONG' is not a NER tag (expected O, B-TYPE, I-TYPE, E-TYPE or S-TYPE in the last column)`,
    );
  });

  it('passes on an embeddings width that does not match embeddings.dim', async () => {
    const vectors = file(VECTORS);
    const c = config(file(TRAIN_IOB1), (c) => {
      c.embeddings.path = vectors;
      c.embeddings.dim = 50;
    });
    const error = await expectUserError(() => prepareData(c), `${vectors}:1: the vectors have 2 values but embeddings.dim is 50`);
    expect(error.hint).toBe('set embeddings.dim: 2 in the config (or --set embeddings.dim=2)');
  });

  it('reports a missing training file', async () => {
    const train = tmp.path('no-train.txt');
    await expectUserError(() => prepareData(config(train)), `${train}: no such file`);
  });
});

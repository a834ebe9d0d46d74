import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, STACK_LINE, tempDir } from './cli.js';

/** A config in a temp folder pointing at the shipped data, with `extra` YAML appended. */
function config(extra: string, data = { train: 'data/train.txt', dev: 'data/dev.txt' }): string {
  const dir = tempDir();
  const file = join(dir, 'config.yaml');
  const root = join(import.meta.dirname, '../..');
  writeFileSync(
    file,
    `data:\n  train: ${join(root, data.train)}\n  dev: ${join(root, data.dev)}\nmodel:\n  hidden: 20\ntraining:\n  epochs: 1\noutput:\n  dir: ${join(dir, 'run')}\n${extra}`,
  );
  return file;
}

/** Every user mistake: exit 2, a message on stderr, no stack trace. */
function expectUserError(args: string[], ...fragments: string[]): string {
  const result = run(args);
  expect(result.stderr).not.toMatch(STACK_LINE);
  expect(result.status).toBe(2);
  for (const fragment of fragments) expect(result.stderr).toContain(fragment);
  return result.stderr;
}

describe('bad input gives one clear line per problem and exit 2', () => {
  it('a config with two wrong keys reports both paths at once', () => {
    const file = config('optimizer:\n  learning_rate: 0.1\nembeddings:\n  dim: -4\n');
    expectUserError(['train', '--config', file], 'optimizer.learning_rate: unknown key', 'embeddings.dim:');
  });

  it('a misspelt key gets a suggestion', () => {
    expectUserError(['train', '--config', config('objective:\n  marginn: 2\n')], 'did you mean objective.margin');
  });

  it('an unknown activation lists the allowed ones', () => {
    expectUserError(['train', '--config', config(''), '--set', 'model.activation=tahn'], 'model.activation', 'tanh', 'hardtanh');
  });

  it('a missing data file names the file', () => {
    const dir = tempDir();
    const file = join(dir, 'c.yaml');
    writeFileSync(file, `data:\n  train: missing.txt\noutput:\n  dir: ${join(dir, 'run')}\n`);
    expectUserError(['train', '--config', file], join(dir, 'missing.txt'), 'no such file');
  });

  it('a CoNLL line with too few columns is reported as file:line', () => {
    const dir = tempDir();
    const train = join(dir, 'train.txt');
    writeFileSync(train, 'John B-PER\nlives O\n\nParis\nis O\n');
    expectUserError(['train', '--config', config('', { train: 'data/train.txt', dev: 'data/dev.txt' }), '--set', `data.train=${train}`], `${train}:4:`, 'column');
  });

  it('an embeddings row of the wrong width is reported as file:line', () => {
    const dir = tempDir();
    const vectors = join(dir, 'vectors.txt');
    writeFileSync(vectors, 'the 0.1 0.2 0.3\nof 0.1 0.2\n');
    expectUserError(['train', '--config', config(`embeddings:\n  path: ${vectors}\n  dim: 3\n`)], `${vectors}:2:`, 'expected 3 values');
  });

  it('embeddings of another dimension than embeddings.dim say which dim to set', () => {
    const dir = tempDir();
    const vectors = join(dir, 'vectors.txt');
    writeFileSync(vectors, 'the 0.1 0.2 0.3\n');
    expectUserError(['train', '--config', config(`embeddings:\n  path: ${vectors}\n  dim: 50\n`)], `${vectors}:1:`, 'embeddings.dim: 3');
  });

  it('a YAML syntax error points at the line', () => {
    const dir = tempDir();
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'data:\n  train: [unclosed\n');
    expectUserError(['train', '--config', file], `${file}:`);
  });

  it('usage errors exit 2', () => {
    expectUserError(['train', '--nope'], "unknown option '--nope'");
    expectUserError(['trian'], 'unknown command');
    expectUserError(['train'], 'needs --config');
    expectUserError(['evaluate', '--checkpoint', tempDir()], 'needs --data');
  });

  it('a folder that is not a checkpoint is a user error', () => {
    expectUserError(['evaluate', '--checkpoint', tempDir(), '--data', 'data/dev.txt'], 'meta.json: no such file');
  });
});

/**
 * A bad data file: exit 2, one `ner-train: file:line: …` line on stderr (a hint line may
 * follow), no stack, and no checkpoint written.
 */
function expectDataError(args: string[], file: string, line: number, fragment: string): void {
  const result = run(args);
  expect(result.stderr).not.toMatch(STACK_LINE);
  expect(result.status).toBe(2);
  const lines = result.stderr.split('\n').filter((l) => l.startsWith('ner-train: '));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(`ner-train: ${file}:${line}: `);
  expect(lines[0]).toContain(fragment);
}

/** A small train/dev pair in a temp folder, and a config (hidden 8, 1 epoch) training on it. */
function smallRun(files: { train?: string | Buffer; dev?: string | Buffer; vectors?: string | Buffer; dim?: number }) {
  const dir = tempDir();
  const good = 'John B-PER\nlives O\nin O\nParis B-LOC\n\nMary B-PER\nsmiles O\n';
  const train = join(dir, 'train.txt');
  const dev = join(dir, 'dev.txt');
  writeFileSync(train, files.train ?? good);
  writeFileSync(dev, files.dev ?? good);
  let embeddings = '';
  if (files.vectors !== undefined) {
    const vectors = join(dir, 'vectors.txt');
    writeFileSync(vectors, files.vectors);
    embeddings = `embeddings:\n  path: ${vectors}\n  dim: ${files.dim ?? 3}\n`;
  }
  const out = join(dir, 'run');
  const file = join(dir, 'config.yaml');
  writeFileSync(file, `data:\n  train: ${train}\n  dev: ${dev}\n  min_count: 1\nmodel:\n  hidden: 8\ntraining:\n  epochs: 1\noutput:\n  dir: ${out}\n${embeddings}`);
  return { dir, train, dev, out, config: file, vectors: join(dir, 'vectors.txt') };
}

const GOOD = 'John B-PER\nlives O\nin O\nParis B-LOC\n\nMary B-PER\nsmiles O\n';

describe('bad input files: one file:line, exit 2, nothing written', () => {
  it.each([
    ['an empty file', ''],
    ['a file with only -DOCSTART-', '-DOCSTART- -X- -X- O\n\n'],
  ])('%s has no sentences', (_name, text) => {
    const r = smallRun({ dev: text });
    expectDataError(['train', '--config', r.config], r.dev, 1, 'no sentences found');
    expect(existsSync(join(r.out, 'model-best'))).toBe(false);
  });

  it('bytes that are not UTF-8 are named by line, in a data file, an embeddings file and a config file', () => {
    const r = smallRun({ dev: Buffer.from('John B-PER\nl\xe4uft O\n', 'latin1') });
    expectDataError(['train', '--config', r.config], r.dev, 2, 'not valid UTF-8');
    expect(existsSync(join(r.out, 'model-best'))).toBe(false);
    const e = smallRun({ vectors: Buffer.from('john 1 2 3\n\nm\xfcller 1 2 3\n', 'latin1') });
    expectDataError(['train', '--config', e.config], e.vectors, 3, 'not valid UTF-8');
    const c = smallRun({});
    writeFileSync(c.config, Buffer.concat([readFileSync(c.config), Buffer.from('# caf\xe9\n', 'latin1')]));
    expectDataError(['train', '--config', c.config], c.config, 11, 'not valid UTF-8');
  });

  it('CRLF line ends, a UTF-8 BOM and columns split by runs of tabs and spaces read as the plain file does', () => {
    const plain = smallRun({});
    const odd = smallRun({ train: `\ufeff${GOOD.replace(/ /g, ' \t  ').replace(/\n/g, '\r\n')}`, dev: `\ufeff${GOOD.replace(/\n/g, '\r\n')}` });
    const a = run(['train', '--config', plain.config, '--json']);
    const b = run(['train', '--config', odd.config, '--json']);
    expect([a.status, b.status]).toEqual([0, 0]);
    const summary = (stdout: string) => {
      const { best, data } = JSON.parse(stdout) as { best: unknown; data: { train: { sentences: number; tokens: number } } };
      return { best, sentences: data.train.sentences, tokens: data.train.tokens };
    };
    expect(summary(b.stdout)).toEqual(summary(a.stdout));
  });

  it('I-X after O in IOB2 data starts a chunk, as conlleval reads it', () => {
    // Gold "I-LOC" after O is the chunk LOC; the dev scores count it like B-LOC.
    const asB = smallRun({ dev: 'John B-PER\nlives O\nin O\nParis B-LOC\n' });
    const asI = smallRun({ dev: 'John B-PER\nlives O\nin O\nParis I-LOC\n' });
    const best = (config: string) => (JSON.parse(run(['train', '--config', config, '--json', '--set', 'data.scheme=iob2']).stdout) as { best: { gold_entities: number } }).best;
    const fromI = best(asI.config);
    expect(fromI).toEqual(best(asB.config));
    expect(fromI.gold_entities).toBe(2);
  });

  it('an entity type in dev that train never has is a warning naming file:line, and training goes on', () => {
    const r = smallRun({ dev: 'John B-PER\nlives O\n\nin O\nAcme B-ORG\nInc I-ORG\n' });
    const result = run(['train', '--config', r.config]);
    expect(result.status).toBe(0);
    const warnings = result.stderr.split('\n').filter((l) => l.includes('warning'));
    expect(warnings).toEqual([`ner-train: warning: ${r.dev}:5: 'B-ORG': entity type ORG does not occur in the training file (types LOC, PER); it counts as a miss in the dev scores`]);
  });

  it('a 100,000-character line is read (as a token), and named in clipped form when it is wrong', () => {
    const long = 'x'.repeat(100_000);
    const ok = smallRun({ train: `${long} O\n${GOOD}` });
    expect(run(['train', '--config', ok.config]).status).toBe(0);
    const bad = smallRun({ train: `John B-PER\n${long}\n` });
    expectDataError(['train', '--config', bad.config], bad.train, 2, `found 1 ('${'x'.repeat(40)}…')`);
    expect(run(['train', '--config', bad.config]).stderr.length).toBeLessThan(500);
  });

  it('a tag outside the schemes is named by line', () => {
    const r = smallRun({ dev: 'John B-PER\nlives FOO\n' });
    expectDataError(['train', '--config', r.config], r.dev, 2, "'FOO' is not a NER tag");
  });

  it('a word2vec header line is skipped; one whose count disagrees with the rows is an error', () => {
    expect(run(['train', '--config', smallRun({ vectors: '2 3\njohn 1 2 3\nparis 4 5 6\n' }).config]).status).toBe(0);
    const r = smallRun({ vectors: '3 3\njohn 1 2 3\nparis 4 5 6\n' });
    expectDataError(['train', '--config', r.config], r.vectors, 1, 'the word2vec header line says 3 words, but the file holds 2');
  });

  it('a duplicate word keeps its first vector and is counted in the summary', () => {
    const r = smallRun({ vectors: 'john 1 2 3\nparis 4 5 6\njohn 7 8 9\n' });
    const result = run(['train', '--config', r.config]);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('1 duplicate words ignored');
  });

  it.each([
    ['NaN', 'john 1 NaN 3\n', 1, "value 2 of 'john' is not a finite number ('NaN')"],
    ['inf', 'john 1 2 3\nparis 4 inf 6\n', 2, "value 2 of 'paris' is not a finite number ('inf')"],
    ['a dimension other than embeddings.dim', 'john 1 2 3 4\n', 1, 'the vectors have 4 values but embeddings.dim is 3'],
    ['a word2vec header of another dimension', '1 4\njohn 1 2 3 4\n', 1, 'the vectors have 4 values but embeddings.dim is 3'],
  ])('embeddings with %s are named by line', (_name, vectors, line, fragment) => {
    const r = smallRun({ vectors });
    expectDataError(['train', '--config', r.config], r.vectors, line, fragment);
  });

  it('bad dev data under --force leaves no broken checkpoint', () => {
    const r = smallRun({});
    expect(run(['train', '--config', r.config]).status).toBe(0);
    writeFileSync(r.dev, 'John B-PER\nlives\n');
    expectDataError(['train', '--config', r.config, '--force'], r.dev, 2, 'expected at least 2 columns');
    // Whatever is left in the run folder is a loadable checkpoint or nothing, never half of one.
    for (const name of ['model-best', 'model-last']) {
      const dir = join(r.out, name);
      if (existsSync(dir)) expect(run(['evaluate', '--checkpoint', dir, '--data', r.train]).status).toBe(0);
    }
  });
});

describe('bad configs: the whole file is not a mapping, or numbers are out of range', () => {
  it.each([
    ['a YAML list', '- data\n- model\n', 'found a list'],
    ['a scalar', '42\n', 'found a number (42)'],
    ['a string', 'hello\n', 'found a string ("hello")'],
    ['an undefined YAML alias', 'data: *nowhere\n', 'Unresolved alias'],
  ])('%s gives one line naming the file', (_name, text, fragment) => {
    const file = join(tempDir(), 'c.yaml');
    writeFileSync(file, text);
    const stderr = expectUserError(['train', '--config', file], `${file}: `, fragment);
    expect(stderr.split('\n').filter((l) => l.startsWith('ner-train: '))).toHaveLength(1);
  });

  it('every out-of-range number is named by its key path, in one run', () => {
    const file = join(tempDir(), 'c.yaml');
    writeFileSync(
      file,
      'data:\n  train: t.txt\nmodel:\n  hidden: -3\n  window: -1\n  dropout: 1\noptimizer:\n  lr: 0\ntraining:\n  batch_size: 0\n  epochs: 0\nembeddings:\n  dim: -4\n',
    );
    const stderr = expectUserError(['train', '--config', file]);
    for (const key of ['model.hidden', 'model.window', 'model.dropout', 'optimizer.lr', 'training.batch_size', 'training.epochs', 'embeddings.dim']) {
      expect(stderr).toContain(`${file}: ${key}: must be`);
    }
  });
});

describe('damaged checkpoints: one line, exit 2, never wrong predictions', () => {
  let trained = '';
  let devData = '';
  const damaged = (edit: (dir: string) => void): string => {
    if (trained === '') {
      const r = smallRun({});
      writeFileSync(r.config, `${readFileSync(r.config, 'utf8')}features:\n  suffix:\n    length: 2\n`);
      expect(run(['train', '--config', r.config]).status).toBe(0);
      trained = join(r.out, 'model-best');
      devData = r.dev;
      expect(run(['evaluate', '--checkpoint', trained, '--data', devData]).status).toBe(0);
    }
    const dir = join(tempDir(), 'model-best');
    cpSync(trained, dir, { recursive: true });
    edit(dir);
    return dir;
  };
  const swapLines = (path: string, a: number, b: number): void => {
    const lines = readFileSync(path, 'utf8').split('\n');
    [lines[a], lines[b]] = [lines[b], lines[a]];
    writeFileSync(path, lines.join('\n'));
  };

  it.each<[string, (dir: string) => void, string, string]>([
    ['a truncated weights file', (d) => writeFileSync(join(d, 'model.safetensors'), readFileSync(join(d, 'model.safetensors')).subarray(0, 100)), 'model.safetensors', 'do not match the sha256'],
    ['two swapped lines of vocab.txt', (d) => swapLines(join(d, 'vocab.txt'), 4, 5), 'vocab.txt', 'does not match the sha256'],
    ['two swapped lines of suffix.txt', (d) => swapLines(join(d, 'suffix.txt'), 3, 4), 'suffix.txt', 'does not match the sha256'],
    ['a deleted suffix.txt', (d) => rmSync(join(d, 'suffix.txt')), 'suffix.txt', 'no such file'],
    ['relabelled entity types in meta.json', (d) => writeFileSync(join(d, 'meta.json'), readFileSync(join(d, 'meta.json'), 'utf8').replace('"B-LOC"', '"B-XXX"')), 'meta.json', 'does not match the meta_sha256'],
    ['a truncated meta.json', (d) => writeFileSync(join(d, 'meta.json'), readFileSync(join(d, 'meta.json'), 'utf8').slice(0, 300)), 'meta.json', 'not valid JSON'],
    ['a format version given as a string', (d) => writeFileSync(join(d, 'meta.json'), readFileSync(join(d, 'meta.json'), 'utf8').replace('"format_version": 3', '"format_version": "3"')), 'meta.json', 'checkpoint format version "3"'],
  ])('%s', (_name, edit, file, fragment) => {
    const dir = damaged(edit);
    const stderr = expectUserError(['evaluate', '--checkpoint', dir, '--data', devData], `ner-train: ${join(dir, file)}: `, fragment);
    expect(stderr.split('\n').filter((l) => l.startsWith('ner-train: '))).toHaveLength(1);
  });
});

describe('help', () => {
  it('every command describes its options', () => {
    for (const command of ['train', 'evaluate', 'predict', 'gradcheck', 'init-config']) {
      const result = run([command, '--help']);
      expect(result.status).toBe(0);
      expect(result.stdout).toContain(`Usage: ner-train ${command}`);
    }
    const top = run(['--help']);
    expect(top.status).toBe(0);
    expect(top.stdout).toContain('Exit codes');
  });
});

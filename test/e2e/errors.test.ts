import { writeFileSync } from 'node:fs';
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

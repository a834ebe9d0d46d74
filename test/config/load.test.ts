import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { applySets, loadConfig, parseConfigText, validateConfig } from '../../src/config/load.js';
import { ConfigSchema, defaultConfig } from '../../src/config/schema.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ner-config-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
  return file;
}

/** Runs `fn`, expects a UserError and returns it so its message can be checked. */
async function userError(fn: () => unknown): Promise<UserError> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error('expected a UserError');
}

describe('defaults', () => {
  it('a minimal config (just data.train) validates and fills every section', async () => {
    const file = await writeConfig('c.yaml', 'data:\n  train: train.txt\n');
    const { config, file: loaded } = await loadConfig({ file, cwd: dir });
    expect(loaded).toBe(file);
    expect(config.seed).toBe(1);
    expect(config.task).toBe('tagger');
    expect(config.model).toEqual({ window: 2, hidden: 300, activation: 'tanh', leaky_slope: 0.01, dropout: 0, input_dropout: 0, init: 'xavier', init_scale: 0.1 });
    expect(config.features.caps.dim).toBe(5);
    expect(config.optimizer).toEqual({
      name: 'sgd', lr: 0.01, mu: 0.9, nesterov: false, decay: 0.9, beta1: 0.9, beta2: 0.999, eps: 1e-8, clip_norm: null, average: 0,
    });
    expect(config.schedule).toEqual({ name: 'constant', unit: 'epochs', factor: 0.5, every: 5, k: 0.1, tau: 5, fan_in_scaling: false });
    expect(config.preprocess).toEqual({ mode: 'none', eps: 0.01, fit_windows: 50000 });
    expect(config.regularization).toEqual({ l2: 0, l1: 0, l2_embeddings: false, l1_embeddings: false });
    expect(config.training).toEqual({ epochs: 10, batch_size: 32, shuffle: true, eval_batch_size: 512, threads: 1 });
    expect(config.data).toMatchObject({ dev: null, scheme: 'auto', min_count: 2, lowercase: true, normalize_digits: true });
    expect(config.embeddings).toEqual({ path: null, dim: 50, trainable: true, extend_vocab: true, random_scale: 0.1 });
    expect(config.objective).toEqual({ loss: 'max-margin', margin: 1, reduction: 'sum', corruption: 'label', negatives: 1, o_weight: 1 });
    expect(config.decode).toEqual({ mode: 'greedy' });
  });

  it('a partly written section keeps the defaults of its other keys', () => {
    const config = validateConfig({ data: { train: 't' }, model: { hidden: 10 }, features: { caps: {} } });
    expect(config.model.hidden).toBe(10);
    expect(config.model.window).toBe(2);
    expect(config.features.caps.dim).toBe(5);
  });

  it('a section with every key commented out (YAML null) means all defaults', async () => {
    const file = await writeConfig('c.yaml', 'data:\n  train: t.txt\nmodel:\n  # hidden: 3\n');
    const { config } = await loadConfig({ file, cwd: dir });
    expect(config.model.hidden).toBe(300);
  });

  it('defaultConfig matches the schema defaults', () => {
    expect(defaultConfig('x')).toEqual(ConfigSchema.parse({ data: { train: 'x' } }));
  });
});

describe('validation errors', () => {
  it('reports a typo and an out-of-range value together, with a suggestion', async () => {
    const file = await writeConfig('c.yaml', 'data:\n  train: t.txt\nmodel:\n  activaton: relu\n  hidden: -3\n');
    const error = await userError(() => loadConfig({ file, cwd: dir }));
    const lines = error.message.split('\n');
    expect(lines).toContain(`${file}: model.hidden: must be an integer >= 1 (got -3)`);
    expect(lines).toContain(`${file}: model.activaton: unknown key (did you mean model.activation?)`);
    expect(lines).toHaveLength(2);
    expect(error.hint).toContain('init-config');
  });

  it('names the file as the user typed it', async () => {
    await writeConfig('sub/c.yaml', 'data:\n  train: t.txt\nseed: -1\n');
    const error = await userError(() => loadConfig({ file: 'sub/c.yaml', cwd: dir }));
    expect(error.message).toBe('sub/c.yaml: seed: must be an integer >= 0 (got -1)');
  });

  it('lists the choices of an enum', () => {
    const error = (() => {
      try {
        validateConfig({ data: { train: 't' }, model: { activation: 'tahn' } }, { file: 'c.yaml' });
      } catch (e) {
        return e as UserError;
      }
      throw new Error('expected an error');
    })();
    expect(error.message).toBe(
      'c.yaml: model.activation: must be one of sigmoid, tanh, hardtanh, softsign, relu, leaky-relu (got "tahn")',
    );
  });

  it('reports a meaningless combination together with the other errors, once', () => {
    const messageOf = (raw: unknown): string[] => {
      try {
        validateConfig(raw, { file: 'c.yaml' });
      } catch (e) {
        return (e as UserError).message.split('\n');
      }
      throw new Error('expected an error');
    };
    const both = { loss: 'softmax', corruption: 'both' };
    expect(messageOf({ data: { train: 't' }, objective: both, model: { hidden: 0 } }).sort()).toEqual([
      "c.yaml: model.hidden: must be an integer >= 1 (got 0)",
      "c.yaml: objective.corruption: both corruption needs objective.loss: max-margin (softmax scores the true window's label only)",
    ]);
    // Alone, the combination is reported by the schema's own check: still one line.
    expect(messageOf({ data: { train: 't' }, objective: both })).toEqual([
      "c.yaml: objective.corruption: both corruption needs objective.loss: max-margin (softmax scores the true window's label only)",
    ]);
    // A key that is itself invalid is reported as such, not as part of a combination.
    expect(messageOf({ data: { train: 't' }, objective: { loss: 'softmax', corruption: 'bogus' } })).toEqual([
      'c.yaml: objective.corruption: must be one of label, center-word, both (got "bogus")',
    ]);
    // Defaults count: the detector with softmax is a combination error even when task is the only other key given.
    expect(messageOf({ data: { train: 't' }, task: 'entity-detector', objective: { loss: 'softmax' }, seed: -1 }).sort()).toEqual([
      'c.yaml: objective.loss: the entity detector is trained with max-margin (a single score has no softmax over labels)',
      'c.yaml: seed: must be an integer >= 0 (got -1)',
    ]);
  });

  it('describes ranges, types and nullable keys', () => {
    const raw = {
      data: { train: 't', dev: 3, lowercase: 'yes' },
      model: { window: 11, dropout: 1, hidden: 2.5 },
      optimizer: { lr: 0 },
      training: 'fast',
    };
    let message = '';
    try {
      validateConfig(raw, { file: null });
    } catch (e) {
      message = (e as UserError).message;
    }
    expect(message.split('\n').sort()).toEqual(
      [
        'data.dev: must be a string or null (got 3)',
        'data.lowercase: must be true or false (got "yes")',
        'model.window: must be an integer from 0 to 10 (got 11)',
        'model.dropout: must be a number >= 0 and < 1 (got 1)',
        'model.hidden: must be an integer >= 1 (got 2.5)',
        'optimizer.lr: must be a number > 0 (got 0)',
        'training: must be a mapping of keys (got "fast")',
      ].sort(),
    );
  });

  it('requires data.train, also when the whole data section is missing', async () => {
    const file = await writeConfig('c.yaml', 'seed: 3\n');
    const error = await userError(() => loadConfig({ file, cwd: dir }));
    expect(error.message).toBe(`${file}: data.train: required (path to the CoNLL training file)`);
    const noFile = await userError(() => loadConfig({ cwd: dir }));
    expect(noFile.message).toBe('data.train: required (path to the CoNLL training file)');
  });

  it('a missing data.train is the file\'s problem even when --set created the data section', async () => {
    const file = await writeConfig('c.yaml', 'seed: 3\n');
    const error = await userError(() => loadConfig({ file, cwd: dir, sets: ['data.dev=d.txt'] }));
    expect(error.message).toBe(`${file}: data.train: required (path to the CoNLL training file)`);
  });

  it('an empty data.train counts as missing', () => {
    expect(() => validateConfig({ data: { train: ' ' } })).toThrow('data.train: required');
  });

  it('does not require data.train when requireTrain is false', async () => {
    const { config, file } = await loadConfig({ cwd: dir, requireTrain: false, sets: ['model.hidden=7'] });
    expect(file).toBeNull();
    expect(config.data.train).toBe('');
    expect(config.model.hidden).toBe(7);
    expect(config.output.dir).toBe(path.join(dir, 'runs/ner'));
  });

  it('suggests the right section for a key in the wrong one', () => {
    expect(() => validateConfig({ data: { train: 't' }, model: { lr: 0.1 } }, { file: 'c.yaml' })).toThrow(
      'c.yaml: model.lr: unknown key (did you mean optimizer.lr?)',
    );
  });

  it('lists the valid keys when nothing is close', () => {
    expect(() => validateConfig({ data: { train: 't' }, output: { zzzzzz: 1 } })).toThrow(
      'output.zzzzzz: unknown key (valid keys in output: dir)',
    );
  });
});

describe('file errors', () => {
  it('a missing file', async () => {
    const error = await userError(() => loadConfig({ file: 'nope.yaml', cwd: dir }));
    expect(error.message).toBe('nope.yaml: no such file');
  });

  it('a YAML syntax error gives file:line:col', async () => {
    const file = await writeConfig('bad.yaml', 'data:\n  train: t.txt\nmodel: hidden: 3\n');
    const error = await userError(() => loadConfig({ file, cwd: dir }));
    expect(error.message).toMatch(new RegExp(`^${escape(file)}:3:8: \\S`));
    expect(error.message).not.toContain('\n');
  });

  it('a duplicate key is a syntax error with its position', () => {
    expect(() => parseConfigText('seed: 1\nseed: 2\n', 'c.yaml')).toThrow(/^c\.yaml:2:1: Map keys must be unique$/);
  });

  it.each([
    ['- a\n- b\n', 'a list'],
    ['42\n', 'a number (42)'],
    ['hello\n', 'a string ("hello")'],
    ['', 'an empty file'],
    ['# only a comment\n', 'an empty file'],
    ['null\n', 'null'],
  ])('top level %j is rejected', (text, found) => {
    expect(() => parseConfigText(text, 'c.yaml')).toThrow(
      `c.yaml: expected a mapping of config keys at the top level, found ${found}`,
    );
  });

  it('a JSON config file works', async () => {
    const file = await writeConfig('c.json', JSON.stringify({ data: { train: 't.txt' }, model: { hidden: 64 } }));
    const { config } = await loadConfig({ file, cwd: dir });
    expect(config.model.hidden).toBe(64);
    expect(config.data.train).toBe(path.join(dir, 't.txt'));
  });
});

describe('--set', () => {
  it('overrides numbers, booleans, null and strings, parsed as YAML scalars', async () => {
    const file = await writeConfig('c.yaml', 'data:\n  train: t.txt\n  dev: d.txt\nmodel:\n  hidden: 10\n');
    const { config } = await loadConfig({
      file,
      cwd: dir,
      sets: ['model.hidden=20', 'model.dropout=0.5', 'data.lowercase=false', 'data.dev=null', 'model.activation=relu', 'optimizer.eps=1e-6'],
    });
    expect(config.model.hidden).toBe(20);
    expect(config.model.dropout).toBe(0.5);
    expect(config.data.lowercase).toBe(false);
    expect(config.data.dev).toBeNull();
    expect(config.model.activation).toBe('relu');
    expect(config.optimizer.eps).toBe(1e-6);
  });

  it('creates missing sections and the last --set of a key wins', () => {
    const raw = applySets({ seed: 3 }, ['features.caps.dim=0', 'seed=4', 'seed=5']);
    expect(raw).toEqual({ seed: 5, features: { caps: { dim: 0 } } });
  });

  it('does not modify its input', () => {
    const input = { model: { hidden: 1 } };
    applySets(input, ['model.hidden=2']);
    expect(input.model.hidden).toBe(1);
  });

  it('keeps values that are not YAML scalars as strings', () => {
    expect(applySets({}, ['output.dir=runs/a: b', 'data.train=[x'])).toEqual({
      output: { dir: 'runs/a: b' },
      data: { train: '[x' },
    });
  });

  it('reports a typo in a --set key as unknown, with the --set origin', async () => {
    const file = await writeConfig('c.yaml', 'data:\n  train: t.txt\n');
    const error = await userError(() => loadConfig({ file, cwd: dir, sets: ['model.activaton=relu'] }));
    expect(error.message).toBe('--set model.activaton: unknown key (did you mean model.activation?)');
  });

  it('reports a typo in a --set section name', async () => {
    const error = await userError(() => loadConfig({ cwd: dir, sets: ['data.train=t', 'modle.hidden=3'] }));
    expect(error.message).toBe('--set modle: unknown key (did you mean model?)');
  });

  it('reports an invalid --set value with the --set origin, next to file problems', async () => {
    const file = await writeConfig('c.yaml', 'data:\n  train: t.txt\nseed: -2\n');
    const error = await userError(() => loadConfig({ file, cwd: dir, sets: ['model.hidden=-3'] }));
    expect(error.message.split('\n')).toEqual([
      `${file}: seed: must be an integer >= 0 (got -2)`,
      '--set model.hidden: must be an integer >= 1 (got -3)',
    ]);
  });

  it.each(['foo', '=3', 'model.=3', '.hidden=3', 'model..hidden=3'])('malformed %j', (set) => {
    expect(() => applySets({}, [set])).toThrow(`--set ${set}: expected key=value`);
  });

  it('reports every malformed --set at once', () => {
    expect(() => applySets({}, ['foo', 'bar'])).toThrow('--set foo: expected key=value\n--set bar: expected key=value');
  });

  it('cannot reach Object.prototype', async () => {
    const error = await userError(() => loadConfig({ cwd: dir, sets: ['data.train=t', '__proto__.polluted=1'] }));
    expect(error.message).toMatch(/^--set __proto__: unknown key/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reports a path through a setting cleanly', () => {
    expect(() => applySets({}, ['seed.x=1'])).toThrow('--set seed.x: seed is a setting, not a section');
    expect(() => applySets({ junk: [1] }, ['junk.x=1'])).toThrow('--set junk.x: junk is a list, not a section');
  });
});

describe('relative paths', () => {
  it('file paths resolve against the config file folder, --set and defaults against cwd', async () => {
    const file = await writeConfig('configs/c.yaml', 'data:\n  train: ../data/train.txt\n  dev: dev.txt\n');
    const cwd = path.join(dir, 'work');
    const { config } = await loadConfig({ file, cwd, sets: ['embeddings.path=vec/glove.txt'] });
    expect(config.data.train).toBe(path.join(dir, 'data/train.txt'));
    expect(config.data.dev).toBe(path.join(dir, 'configs/dev.txt'));
    expect(config.embeddings.path).toBe(path.join(cwd, 'vec/glove.txt'));
    expect(config.output.dir).toBe(path.join(cwd, 'runs/ner'));
  });

  it('a --set overriding a file path resolves against cwd; absolute paths and null stay', async () => {
    const file = await writeConfig('configs/c.yaml', 'data:\n  train: t.txt\noutput:\n  dir: out\n');
    const { config } = await loadConfig({ file, cwd: dir, sets: ['data.train=mine.txt', 'embeddings.path=/abs/v.txt'] });
    expect(config.data.train).toBe(path.join(dir, 'mine.txt'));
    expect(config.output.dir).toBe(path.join(dir, 'configs/out'));
    expect(config.embeddings.path).toBe(path.resolve('/abs/v.txt'));
    expect(config.data.dev).toBeNull();
  });

  it('a relative config file name resolves against cwd', async () => {
    await writeConfig('configs/c.yaml', 'data:\n  train: t.txt\n');
    const { config, file } = await loadConfig({ file: 'configs/c.yaml', cwd: dir });
    expect(file).toBe(path.join(dir, 'configs/c.yaml'));
    expect(config.data.train).toBe(path.join(dir, 'configs/t.txt'));
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfigYaml } from '../../src/config/default-yaml.js';
import { loadConfig, parseConfigText } from '../../src/config/load.js';
import { defaultConfig } from '../../src/config/schema.js';

describe('defaultConfigYaml', () => {
  it('lists every key with its default value', () => {
    // Comparing the raw YAML (before defaults apply) proves no key was left out.
    expect(parseConfigText(defaultConfigYaml(), 'default.yaml')).toEqual(defaultConfig('data/train.txt'));
  });

  it('loads back through loadConfig to the defaults', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ner-config-'));
    try {
      const file = path.join(dir, 'config.yaml');
      await writeFile(file, defaultConfigYaml());
      const { config } = await loadConfig({ file, cwd: os.tmpdir() });
      const expected = defaultConfig(path.join(dir, 'data/train.txt'));
      expected.output.dir = path.join(dir, 'runs/ner');
      expect(config).toEqual(expected);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('comments every key with its description, and enums with their choices', () => {
    const text = defaultConfigYaml();
    expect(text).toContain('# capitalisation-feature embedding size (0 = off); an integer >= 0\n    dim: 5\n');
    expect(text).toContain('; one of sigmoid, tanh, hardtanh, softsign, relu, leaky-relu\n  activation: tanh\n');
    expect(text).toContain('# path to the CoNLL training file; required\n  train: data/train.txt\n');
    // Every key line is preceded by a comment line.
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      if (/^\s*[a-z_0-9]+:/.test(line)) expect(lines[i - 1]).toMatch(/^\s*# \S/);
    });
  });
});

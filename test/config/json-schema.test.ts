import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../src/config/json-schema.js';
import { configReferenceMarkdown, withReference } from '../../src/config/reference.js';
import { ConfigSchema } from '../../src/config/schema.js';

describe('configs/schema.json', () => {
  it('is what the zod schema generates (run scripts/write-config-docs.ts after changing the schema)', () => {
    const committed = readFileSync(new URL('../../configs/schema.json', import.meta.url), 'utf8');
    expect(committed).toBe(configJsonSchema());
  });

  it('rejects unknown keys and requires data.train, like the loader', () => {
    const schema = JSON.parse(configJsonSchema());
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.data.required).toContain('train');
    expect(schema.properties.model.properties.activation.enum).toContain('hardtanh');
  });
});

describe('the configuration table of README.md', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

  it('is what the zod schema generates (run scripts/write-config-docs.ts after changing the schema)', () => {
    expect(readme).toBe(withReference(readme));
  });

  it('has one row per leaf key of the schema, with its default', () => {
    const table = configReferenceMarkdown();
    expect(table).toContain('| `model.activation` | hidden layer activation (one of sigmoid, tanh, hardtanh, softsign, relu, leaky-relu) | `"tanh"` |');
    expect(table).toContain('| `data.train` | path to the CoNLL training file | required |');
    expect(table).toContain('| `optimizer.clip_norm` |');
    const rows = table.split('\n').slice(2);
    const leaves = (schema: unknown): number => {
      const shape = (schema as { shape?: Record<string, unknown> }).shape;
      return shape ? Object.values(shape).reduce<number>((n, child) => n + leaves(unwrap(child)), 0) : 1;
    };
    expect(rows.length).toBe(leaves(ConfigSchema));
  });
});

/** Peels default/prefault/nullable wrappers off a zod schema to reach an object's shape. */
function unwrap(schema: unknown): unknown {
  let current = schema as { unwrap?: () => unknown; shape?: unknown };
  while (!current.shape && typeof current.unwrap === 'function') current = current.unwrap() as typeof current;
  return current;
}

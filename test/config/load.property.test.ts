import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { z } from 'zod';
import { loadConfig } from '../../src/config/load.js';
import { defaultConfig, fieldInfo, schemaAt, shapeOf } from '../../src/config/schema.js';
import { UserError } from '../../src/errors.js';
import { useTempFolder } from '../data/helpers.js';

/**
 * Property tests of the config loader: whatever a config file holds (random YAML or JSON
 * values, random text, valid configs with keys mutated), loading it either gives a config
 * or throws the loader's own UserError, every line of which names the file. Seeded.
 */

const tmp = useTempFolder('ner-train-config-property');
let fileCounter = 0;
const SEED = 4242;
const SHOWN = 'cfg.yaml';

/** Loads `text` as the file cfg.yaml; returns the error, or null when it loaded. */
async function loadOrOwnError(text: string | Uint8Array): Promise<UserError | null> {
  const dir = tmp.path('');
  const name = `c-${++fileCounter}.yaml`;
  tmp.write(name, text);
  try {
    await loadConfig({ file: name, cwd: dir });
    return null;
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    // Every problem line names the file as it was given: `c-N.yaml: key: …`, `c-N.yaml:L:C: …`, `c-N.yaml:L: …`.
    for (const line of error.message.split('\n')) expect(line.startsWith(`${name}:`), line).toBe(true);
    expect(error.exitCode).toBe(2);
    return error;
  }
}

/** Dotted paths of every leaf key of the schema (e.g. model.hidden), with its schema. */
function leafKeys(prefix: string[] = []): string[][] {
  const schema = schemaAt(prefix);
  const shape = schema === undefined ? undefined : shapeOf(schema);
  if (shape === undefined) return [prefix];
  return Object.keys(shape).flatMap((name) => leafKeys([...prefix, name]));
}

const LEAVES = leafKeys();
const NUMBER_LEAVES = LEAVES.filter((path) => {
  const schema = schemaAt(path);
  return schema !== undefined && fieldInfo(schema).base instanceof z.ZodNumber;
});

/** A valid config as a plain object (the default one, pointing at a training file). */
function validConfig(): Record<string, unknown> {
  return JSON.parse(JSON.stringify(defaultConfig('train.txt'))) as Record<string, unknown>;
}

/** Sets an own property at `path` (a plain assignment to `__proto__` would change the prototype, not add a key). */
function setAt(root: Record<string, unknown>, path: readonly string[], value: unknown): void {
  const own = (node: Record<string, unknown>, key: string, v: unknown): void => {
    Object.defineProperty(node, key, { value: v, enumerable: true, writable: true, configurable: true });
  };
  let node = root;
  for (const segment of path.slice(0, -1)) {
    const next = Object.hasOwn(node, segment) ? node[segment] : undefined;
    if (typeof next !== 'object' || next === null || Array.isArray(next)) own(node, segment, {});
    node = node[segment] as Record<string, unknown>;
  }
  own(node, path[path.length - 1], value);
}

describe('loadConfig: properties', () => {
  it('knows the schema it mutates: every numeric key is found', () => {
    expect(NUMBER_LEAVES.map((p) => p.join('.'))).toEqual(expect.arrayContaining(['model.hidden', 'model.dropout', 'optimizer.lr', 'training.epochs', 'training.batch_size']));
  });

  it('a file holding any YAML or JSON value loads or fails with its own error naming the file', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), fc.boolean(), async (value, asJson) => {
        const error = await loadOrOwnError(asJson ? JSON.stringify(value) ?? 'null' : YAML.stringify(value));
        // No random value is a complete config: data.train is required.
        expect(error).not.toBeNull();
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('a file of random text or bytes loads or fails with its own error naming the file', async () => {
    const text = fc.oneof(
      fc.string({ unit: fc.constantFrom(...'data:\n  train: x\n-[]{}:,#&*!|>\'"%@` \t\r\u00a0é'.split('')), maxLength: 80 }),
      fc.uint8Array({ maxLength: 80 }),
    );
    await fc.assert(
      fc.asyncProperty(text, async (t) => {
        await loadOrOwnError(t);
      }),
      { seed: SEED + 1, numRuns: 200 },
    );
  });

  it('a valid config with random keys set to random values loads or fails with its own error', async () => {
    const anyPath = fc.oneof(
      fc.constantFrom(...LEAVES),
      fc.constantFrom(...LEAVES).map((p) => [...p.slice(0, -1), `${p[p.length - 1]}x`]),
      fc.array(fc.constantFrom('data', 'model', '__proto__', 'constructor', 'x', 'hidden'), { minLength: 1, maxLength: 3 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(anyPath, fc.jsonValue({ maxDepth: 2 })), { minLength: 1, maxLength: 4 }), async (edits) => {
        const config = validConfig();
        for (const [path, value] of edits) setAt(config, path, value);
        await loadOrOwnError(YAML.stringify(config));
      }),
      { seed: SEED + 2, numRuns: 150 },
    );
  });

  it('a valid config with numeric keys out of range names every offending key path', async () => {
    // '__inf__' stands for 1e400 (JSON has no Infinity; the file gets the literal).
    const bad = fc.constantFrom<unknown>(-1.5, -1, '__inf__', 'oops', true, null, [], {});
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.constantFrom(...NUMBER_LEAVES), { minLength: 1, maxLength: 5, selector: (p) => p.join('.') }), fc.array(bad, { minLength: 5, maxLength: 5 }), async (paths, values) => {
        const config = validConfig();
        // Only values the key itself refuses (a nullable key takes null).
        const edits = paths.map((path, i) => ({ path, value: values[i] })).filter(({ path, value }) => schemaAt(path)?.safeParse(value).success === false);
        fc.pre(edits.length > 0);
        for (const { path, value } of edits) setAt(config, path, value);
        // JSON, so that 1e400 reaches the loader as the number Infinity rather than as text.
        const error = await loadOrOwnError(JSON.stringify(config).replace(/"__inf__"/g, '1e400'));
        expect(error).not.toBeNull();
        for (const { path } of edits) expect(error?.message).toContain(`${path.join('.')}: `);
      }),
      { seed: SEED + 3, numRuns: 100 },
    );
  });
});

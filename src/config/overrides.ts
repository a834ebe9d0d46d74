/**
 * `--set key.path=value` overrides: parse each one, apply it to a copy of the raw config,
 * and record which dotted keys it wrote, so validation errors and path resolution can tell
 * a --set value from a file value (see cameFromSet). Split from load.ts, which re-exports
 * applySets and applySetsTracked.
 */
import YAML from 'yaml';
import { UserError } from '../errors.js';
import { isMapping, kindOf, ownValue, setOwn, type Mapping } from './mapping.js';
import { schemaAt, shapeOf } from './schema.js';

const SET_HINT = 'for example: --set model.hidden=200 --set data.dev=null';

/** Applies `key.path=value` overrides to a copy of `raw` (see applySetsTracked). */
export function applySets(raw: unknown, sets: readonly string[]): unknown {
  return applySetsTracked(raw, sets).raw;
}

interface ParsedSet {
  key: string[];
  value: unknown;
}

/**
 * Applies the overrides and records every dotted key they assigned or created, which is
 * how validation and path resolution tell `--set` values from file values.
 * Throws one UserError listing every malformed override.
 */
export function applySetsTracked(raw: unknown, sets: readonly string[]): { raw: unknown; setKeys: Set<string> } {
  const setKeys = new Set<string>();
  const problems: string[] = [];
  const root: unknown = structuredClone(raw ?? {});
  if (!isMapping(root)) {
    throw new UserError(`cannot apply --set: the config is ${kindOf(root)}, not a mapping`);
  }
  for (const text of sets) {
    const parsed = parseSet(text);
    if (typeof parsed === 'string') {
      problems.push(parsed);
      continue;
    }
    const problem = assign(root, parsed, setKeys);
    if (problem !== undefined) problems.push(problem);
  }
  if (problems.length > 0) throw new UserError(problems.join('\n'), { hint: SET_HINT });
  return { raw: root, setKeys };
}

/** Splits `a.b=value`; returns the error line when malformed. */
function parseSet(text: string): ParsedSet | string {
  const eq = text.indexOf('=');
  const key = (eq < 0 ? text : text.slice(0, eq)).trim();
  const segments = key.split('.').map((s) => s.trim());
  if (eq < 0 || segments.some((s) => s === '')) return `--set ${text}: expected key=value`;
  return { key: segments, value: parseScalar(text.slice(eq + 1)) };
}

/**
 * A --set value is read as a YAML scalar, so "0.5", "true" and "null" mean what they would
 * in the config file. Anything that is not a plain scalar in YAML (e.g. "a: b", "[x") is
 * kept as the literal string: a path with odd characters should not turn into a mapping.
 */
function parseScalar(text: string): unknown {
  const doc = YAML.parseDocument(text);
  if (doc.errors.length > 0) return text;
  if (doc.contents === null) return null;
  return YAML.isScalar(doc.contents) ? doc.contents.toJSON() : text;
}

/** Sets `parsed.value` at `parsed.key` inside `root`, creating missing sections. */
function assign(root: Mapping, parsed: ParsedSet, setKeys: Set<string>): string | undefined {
  const { key, value } = parsed;
  let node = root;
  for (let i = 0; i < key.length - 1; i++) {
    const prefix = key.slice(0, i + 1);
    const segment = key[i];
    const existing = ownValue(node, segment);
    const schema = schemaAt(prefix);
    if (schema !== undefined && shapeOf(schema) === undefined) {
      return `--set ${key.join('.')}: ${prefix.join('.')} is a setting, not a section`;
    }
    if (existing === undefined) {
      const created: Mapping = {};
      setOwn(node, segment, created);
      setKeys.add(prefix.join('.'));
      node = created;
    } else if (isMapping(existing)) {
      node = existing;
    } else {
      return `--set ${key.join('.')}: ${prefix.join('.')} is ${kindOf(existing)}, not a section`;
    }
  }
  setOwn(node, key[key.length - 1], value);
  setKeys.add(key.join('.'));
  return undefined;
}

/** True when `key` or one of its sections was written by --set. */
export function cameFromSet(key: readonly PropertyKey[], setKeys: ReadonlySet<string> | undefined): boolean {
  if (setKeys === undefined) return false;
  for (let n = key.length; n > 0; n--) {
    if (setKeys.has(key.slice(0, n).map(String).join('.'))) return true;
  }
  return false;
}

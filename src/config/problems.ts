/**
 * Turns zod issues from validating a config into per-key problem lines: what is wrong in
 * the user's terms (required keys, allowed values, "did you mean" for unknown keys), and
 * where the value came from (the config file or --set). Split from load.ts, whose
 * validateConfig prints the lines.
 */
import type { z } from 'zod';
import { show, valueAt } from './mapping.js';
import { cameFromSet } from './overrides.js';
import { describeAllowed, fieldInfo, schemaAt, shapeOf } from './schema.js';
import { suggest } from './suggest.js';

/**
 * Where each value came from, so an error can say `<file>: model.hidden` or
 * `--set model.hidden`. Keys in neither place are defaults.
 */
export interface ConfigOrigins {
  /** The config file as the user named it, or null when there is none. */
  file: string | null;
  /** Dotted keys assigned or created by --set (see applySetsTracked). */
  setKeys?: ReadonlySet<string>;
}

export interface Problem {
  path: PropertyKey[];
  text: string;
  /** A required key nobody wrote: it belongs to the config file, even inside a section --set created. */
  missing?: boolean;
}

export function describeIssue(issue: z.core.$ZodIssue, raw: unknown): Problem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: [...issue.path, key], text: unknownKeyText(issue.path, key) }));
  }
  if (issue.code === 'custom') return [{ path: issue.path, text: issue.message }];
  const schema = schemaAt(issue.path);
  const value = valueAt(raw, issue.path);
  if (value === undefined) return requiredProblems(issue.path);
  if (schema === undefined) return [{ path: issue.path, text: issue.message }];
  return [{ path: issue.path, text: `must be ${describeAllowed(schema)} (got ${show(value)})` }];
}

/**
 * A missing key with no default. For a missing section (e.g. no `data:` at all) name the
 * required keys inside it, which is what the user has to write.
 */
function requiredProblems(key: PropertyKey[]): Problem[] {
  const schema = schemaAt(key);
  const shape = schema === undefined ? undefined : shapeOf(schema);
  if (shape !== undefined) {
    const required = Object.entries(shape).filter(([, child]) => !fieldInfo(child).hasDefault);
    if (required.length > 0) return required.flatMap(([name]) => requiredProblems([...key, name]));
  }
  return [{ path: key, text: requiredText(key), missing: true }];
}

export function requiredText(key: readonly PropertyKey[]): string {
  const schema = schemaAt(key);
  const description = schema === undefined ? undefined : fieldInfo(schema).description;
  return description === undefined ? 'required' : `required (${description})`;
}

function unknownKeyText(section: readonly PropertyKey[], key: string): string {
  const schema = schemaAt(section);
  const known = schema === undefined ? [] : Object.keys(shapeOf(schema) ?? {});
  const close = suggest(key, known);
  if (close !== undefined) return `unknown key (did you mean ${[...section, close].join('.')}?)`;
  const elsewhere = findKeyElsewhere(key);
  if (elsewhere !== undefined) return `unknown key (did you mean ${elsewhere}?)`;
  const where = section.length === 0 ? 'at the top level' : `in ${section.join('.')}`;
  return `unknown key (valid keys ${where}: ${known.join(', ')})`;
}

/** A key put in the wrong section (`model.lr`) is worth pointing at its real home (`optimizer.lr`). */
function findKeyElsewhere(key: string): string | undefined {
  const walk = (prefix: string[]): string | undefined => {
    const schema = schemaAt(prefix);
    const shape = schema === undefined ? undefined : shapeOf(schema);
    if (shape === undefined) return undefined;
    for (const name of Object.keys(shape)) {
      const child = [...prefix, name];
      if (name === key) return child.join('.');
      const found = walk(child);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return walk([]);
}

export function keyName(key: readonly PropertyKey[]): string {
  return key.length === 0 ? 'config' : key.map(String).join('.');
}

export function originPrefix(problem: Problem, origins: ConfigOrigins): string {
  if (problem.missing !== true && cameFromSet(problem.path, origins.setKeys)) return '--set ';
  return origins.file === null ? '' : `${origins.file}: `;
}

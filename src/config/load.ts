/**
 * Loads a config: read the YAML/JSON file, apply `--set key=value` overrides, validate
 * against ConfigSchema (reporting every problem at once, each with where it came from),
 * then make the path keys absolute.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { fileError, UserError } from '../errors.js';
import { ConfigSchema, describeAllowed, fieldInfo, PATH_KEYS, schemaAt, shapeOf, type Config } from './schema.js';
import { suggest } from './suggest.js';

export interface LoadedConfig {
  /** The validated config; its PATH_KEYS are absolute (null stays null). */
  config: Config;
  /** Absolute path of the config file, or null when only defaults and --set were used. */
  file: string | null;
}

export interface LoadOptions {
  /** Config file (YAML or JSON), relative to `cwd`. */
  file?: string;
  /** `key.path=value` overrides, applied in order after the file. */
  sets?: readonly string[];
  /** Folder that --set and default paths are relative to; defaults to process.cwd(). */
  cwd?: string;
  /** False for commands that never read training data (e.g. gradcheck); data.train then defaults to ''. */
  requireTrain?: boolean;
}

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

export interface ValidateOptions {
  requireTrain?: boolean;
}

const HINT = 'run "ner-train init-config" for a complete commented config';
const SET_HINT = 'for example: --set model.hidden=200 --set data.dev=null';

type Mapping = Record<string, unknown>;

export async function loadConfig(options: LoadOptions): Promise<LoadedConfig> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  // Messages name the file as the user typed it; LoadedConfig.file is absolute.
  const shownName = options.file ?? null;
  const file = options.file === undefined ? null : path.resolve(cwd, options.file);

  const fromFile = file === null ? {} : parseConfigText(await readText(file, shownName ?? file), shownName ?? file);
  const { raw, setKeys } = applySetsTracked(fromFile, options.sets ?? []);
  const config = validateConfig(raw, { file: shownName, setKeys }, { requireTrain: options.requireTrain ?? true });

  resolvePaths(config, (key) => {
    // A path written in the config file is relative to that file, so a config travels with
    // its data; paths typed on the command line (and defaults) are relative to where the
    // command runs, as a shell user expects.
    const segments = key.split('.');
    const inFile = file !== null && !cameFromSet(segments, setKeys) && valueAt(fromFile, segments) !== undefined;
    return inFile ? path.dirname(file) : cwd;
  });
  return { config, file };
}

async function readText(file: string, displayName: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw fileError(displayName, error, 'cannot read the config file');
  }
}

// ---------------------------------------------------------------------------------
// Parsing

/**
 * Parses a config file's text. YAML 1.2 is a superset of JSON, so one parser serves both.
 * Returns the top-level mapping; anything else is a UserError naming `source`.
 */
export function parseConfigText(text: string, source: string): Mapping {
  const doc = YAML.parseDocument(text);
  const [first] = doc.errors;
  if (first !== undefined) {
    const position = first.linePos?.[0];
    const where = position === undefined ? source : `${source}:${position.line}:${position.col}`;
    throw new UserError(`${where}: ${yamlMessage(first.message)}`, { hint: 'the config file must be valid YAML or JSON' });
  }
  if (doc.contents === null) {
    throw new UserError(`${source}: expected a mapping of config keys at the top level, found an empty file`, { hint: HINT });
  }
  const value: unknown = doc.toJS();
  if (!isMapping(value)) {
    throw new UserError(`${source}: expected a mapping of config keys at the top level, found ${kindOf(value)}`, { hint: HINT });
  }
  return value;
}

/** The yaml package appends " at line L, column C:" and a code excerpt; we print our own position. */
function yamlMessage(message: string): string {
  const firstLine = message.split('\n')[0] ?? message;
  return firstLine.replace(/ at line \d+, column \d+:?$/, '');
}

// ---------------------------------------------------------------------------------
// --set overrides

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
function cameFromSet(key: readonly PropertyKey[], setKeys: ReadonlySet<string> | undefined): boolean {
  if (setKeys === undefined) return false;
  for (let n = key.length; n > 0; n--) {
    if (setKeys.has(key.slice(0, n).map(String).join('.'))) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------
// Validation

/**
 * Validates a raw config (file contents with --set applied) and fills in defaults.
 * Throws one UserError with a line per problem, each prefixed with its origin.
 */
export function validateConfig(raw: unknown, origins: ConfigOrigins = { file: null }, options: ValidateOptions = {}): Config {
  const requireTrain = options.requireTrain ?? true;
  const withSections = dropNullSections(raw, []);
  const input = requireTrain ? withSections : withPlaceholderTrain(withSections);
  const result = ConfigSchema.safeParse(input);
  const problems = result.success ? [] : result.error.issues.flatMap((issue) => describeIssue(issue, input));
  // An empty data.train passes the schema (gradcheck's placeholder), but is no training file.
  if (result.success && requireTrain && result.data.data.train.trim() === '') {
    problems.push({ path: ['data', 'train'], text: requiredText(['data', 'train']), missing: true });
  }
  if (problems.length > 0) {
    const lines = problems.map((p) => `${originPrefix(p, origins)}${keyName(p.path)}: ${p.text}`);
    throw new UserError(unique(lines).join('\n'), { hint: HINT });
  }
  if (!result.success) throw new Error('config validation failed without reporting a problem');
  return result.data;
}

/**
 * A section whose keys are all commented out (`model:` alone on a line) is YAML null;
 * that means "all defaults", not "model must be a mapping".
 */
function dropNullSections(raw: unknown, prefix: readonly string[]): unknown {
  if (!isMapping(raw)) return raw;
  const copy: Mapping = {};
  for (const [name, value] of Object.entries(raw)) {
    const key = [...prefix, name];
    const schema = schemaAt(key);
    const isSection = schema !== undefined && shapeOf(schema) !== undefined;
    if (isSection && value === null) continue;
    setOwn(copy, name, isSection ? dropNullSections(value, key) : value);
  }
  return copy;
}

/** Commands that never read data still get a complete Config: data.train defaults to ''. */
function withPlaceholderTrain(raw: unknown): unknown {
  if (!isMapping(raw)) return raw;
  const data = raw.data ?? {};
  if (!isMapping(data) || data.train !== undefined) return raw;
  return { ...raw, data: { ...data, train: '' } };
}

interface Problem {
  path: PropertyKey[];
  text: string;
  /** A required key nobody wrote: it belongs to the config file, even inside a section --set created. */
  missing?: boolean;
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): Problem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: [...issue.path, key], text: unknownKeyText(issue.path, key) }));
  }
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

function requiredText(key: readonly PropertyKey[]): string {
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

function keyName(key: readonly PropertyKey[]): string {
  return key.length === 0 ? 'config' : key.map(String).join('.');
}

function originPrefix(problem: Problem, origins: ConfigOrigins): string {
  if (problem.missing !== true && cameFromSet(problem.path, origins.setKeys)) return '--set ';
  return origins.file === null ? '' : `${origins.file}: `;
}

// ---------------------------------------------------------------------------------
// Paths

/** Makes every non-empty PATH_KEYS value absolute, against the folder `baseFor` picks for it. */
function resolvePaths(config: Config, baseFor: (key: string) => string): void {
  for (const key of PATH_KEYS) {
    const [sectionName, name] = key.split('.');
    const section: unknown = config[sectionName as keyof Config];
    if (!isMapping(section)) continue;
    const value = section[name];
    // '' is data.train's "no training file" placeholder; it is not a path to resolve.
    if (typeof value === 'string' && value !== '') section[name] = path.resolve(baseFor(key), value);
  }
}

// ---------------------------------------------------------------------------------
// Small helpers

function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function valueAt(root: unknown, key: readonly PropertyKey[]): unknown {
  let node = root;
  for (const segment of key) {
    if (!isMapping(node) || typeof segment !== 'string') return undefined;
    node = ownValue(node, segment);
  }
  return node;
}

/**
 * Keys come from the user (`--set __proto__.x=1`), so read and write own properties only:
 * a plain `node[key] = value` would reach Object.prototype.
 */
function ownValue(node: Mapping, key: string): unknown {
  return Object.hasOwn(node, key) ? node[key] : undefined;
}

function setOwn(node: Mapping, key: string, value: unknown): void {
  Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
}

/** "a list", "a number (3)", "a string ("x")": the found value in a top-level or --set error. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (isMapping(value)) return 'a mapping';
  return `a ${typeof value} (${show(value)})`;
}

/** A value as the user would have typed it, shortened so one bad key cannot flood the terminal. */
function show(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (isMapping(value)) return 'a mapping';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function unique(lines: readonly string[]): string[] {
  return [...new Set(lines)];
}

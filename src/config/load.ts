/**
 * Loads a config: read the YAML/JSON file, apply `--set key=value` overrides (overrides.ts),
 * validate against ConfigSchema (reporting every problem at once, each with where it came
 * from; problems.ts words the lines), then make the path keys absolute.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { firstInvalidUtf8Line, NOT_UTF8 } from '../data/utf8.js';
import { fileError, UserError } from '../errors.js';
import { isMapping, kindOf, setOwn, valueAt, type Mapping } from './mapping.js';
import { applySetsTracked, cameFromSet } from './overrides.js';
import { describeIssue, keyName, originPrefix, requiredText, type ConfigOrigins } from './problems.js';
import { combinationProblems, COMBINATION_PATHS, ConfigSchema, defaultConfig, PATH_KEYS, schemaAt, shapeOf, type CombinationKeys, type Config } from './schema.js';

export { applySets, applySetsTracked } from './overrides.js';
export type { ConfigOrigins } from './problems.js';

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

export interface ValidateOptions {
  requireTrain?: boolean;
}

const HINT = 'run "ner-train init-config" for a complete commented config';

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
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw fileError(displayName, error, 'cannot read the config file');
  }
  // Decoding would turn such bytes into U+FFFD, and a path holding one would name no file.
  const bad = firstInvalidUtf8Line(bytes);
  if (bad !== null) throw new UserError(`${displayName}:${bad}: ${NOT_UTF8}`);
  return bytes.toString('utf8');
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
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (error) {
    // Aliases are resolved here, not while parsing: an undefined one (`*name` without
    // `&name`) or an alias bomb fails only now, as a ReferenceError of the yaml package.
    throw new UserError(`${source}: ${error instanceof Error ? yamlMessage(error.message) : String(error)}`, { hint: 'the config file must be valid YAML or JSON' });
  }
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
  // zod checks combinations only on an otherwise valid config; check them here too, so
  // that one run reports every offending key (identical lines are merged below).
  if (!result.success) problems.push(...combinationProblemsOf(input));
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
 * The cross-key problems of a config that failed validation elsewhere: the keys involved
 * are read as given (or their defaults), and checked only when each is valid on its own.
 */
function combinationProblemsOf(input: unknown): { path: PropertyKey[]; text: string }[] {
  const defaults = defaultConfig();
  const values = COMBINATION_PATHS.map((path) => {
    const given = valueAt(input, path);
    const value = given === undefined ? valueAt(defaults, path) : given;
    const ok = schemaAt(path)?.safeParse(value).success ?? false;
    return { path, value, ok };
  });
  if (!values.every((v) => v.ok)) return [];
  const read = (path: readonly string[]): unknown => values.find((v) => v.path.join('.') === path.join('.'))?.value;
  const keys = {
    task: read(['task']),
    objective: { loss: read(['objective', 'loss']), corruption: read(['objective', 'corruption']), o_weight: read(['objective', 'o_weight']) },
    decode: { mode: read(['decode', 'mode']) },
  } as CombinationKeys;
  return combinationProblems(keys).map((p) => ({ path: [...p.path], text: p.message }));
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

function unique(lines: readonly string[]): string[] {
  return [...new Set(lines)];
}

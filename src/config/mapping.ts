/**
 * Small helpers for the untyped config tree (parsed YAML plus --set overrides), shared by
 * load.ts, overrides.ts and problems.ts: reading and writing own properties safely, and
 * describing a found value in an error message.
 */

export type Mapping = Record<string, unknown>;

export function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function valueAt(root: unknown, key: readonly PropertyKey[]): unknown {
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
export function ownValue(node: Mapping, key: string): unknown {
  return Object.hasOwn(node, key) ? node[key] : undefined;
}

export function setOwn(node: Mapping, key: string, value: unknown): void {
  Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
}

/** "a list", "a number (3)", "a string ("x")": the found value in a top-level or --set error. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (isMapping(value)) return 'a mapping';
  return `a ${typeof value} (${show(value)})`;
}

/** A value as the user would have typed it, shortened so one bad key cannot flood the terminal. */
export function show(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (isMapping(value)) return 'a mapping';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

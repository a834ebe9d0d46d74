import { isAbsolute, relative } from 'node:path';
import { Chalk, type ChalkInstance } from 'chalk';

/**
 * Where human-readable output goes and whether it may be coloured: colour only on a
 * terminal, never with NO_COLOR set (https://no-color.org) or TERM=dumb.
 */
export interface Terminal {
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
  /** stderr is an interactive terminal: progress bars make sense there. */
  interactive: boolean;
  color: ChalkInstance;
}

export function terminal(): Terminal {
  const env = process.env;
  const interactive = Boolean(process.stderr.isTTY) && env.CI === undefined && env.TERM !== 'dumb';
  const colorOk = Boolean(process.stderr.isTTY) && env.NO_COLOR === undefined && env.TERM !== 'dumb';
  return { out: process.stdout, err: process.stderr, interactive, color: new Chalk({ level: colorOk ? 1 : 0 }) };
}

/** A fraction as a percentage with two decimals, the way conlleval prints it. */
export function pct(value: number | null): string {
  return value === null ? '  -  ' : (100 * value).toFixed(2);
}

/** Left-aligned first column, right-aligned numbers: a plain-text table. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds - 60 * m);
  return m < 60 ? `${m}m${String(s).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A path as a person would type it from here: relative when it is below the current folder. */
export function displayPath(path: string, cwd = process.cwd()): string {
  if (!isAbsolute(path)) return path;
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { UserError } from '../../src/errors.js';

/** A temp folder made once for the calling test file (or describe block) and removed after it. */
export interface TempFolder {
  readonly root: string;
  path(name: string): string;
  /** Writes `name` (text as UTF-8, bytes as given) and returns its path. */
  write(name: string, content: string | Uint8Array): string;
}

export function useTempFolder(prefix: string): TempFolder {
  let root = '';
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), `${prefix}-`));
  });
  afterAll(() => {
    if (root !== '') rmSync(root, { recursive: true, force: true });
  });
  return {
    get root(): string {
      if (root === '') throw new Error('useTempFolder: used outside a test');
      return root;
    },
    path(name: string): string {
      return join(this.root, name);
    },
    write(name: string, content: string | Uint8Array): string {
      const path = join(this.root, name);
      writeFileSync(path, content);
      return path;
    },
  };
}

/** Runs `run` and checks it fails with a UserError whose message is exactly `message` (or matches it). */
export async function expectUserError(run: () => unknown, message: string | RegExp): Promise<UserError> {
  let caught: unknown;
  try {
    await run();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a UserError to be thrown').toBeInstanceOf(UserError);
  const error = caught as UserError;
  if (typeof message === 'string') expect(error.message).toBe(message);
  else expect(error.message).toMatch(message);
  return error;
}

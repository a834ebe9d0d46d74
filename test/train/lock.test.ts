import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { acquireRunLock, LOCK_FILE } from '../../src/train/lock.js';

const root = mkdtempSync(join(tmpdir(), 'ner-train-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const folder = (): string => join(root, `run-${++n}`);

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  return child.pid as number;
}

describe('acquireRunLock', () => {
  it('holds the folder until released; a second taker in the same process is refused', async () => {
    const dir = folder();
    const lock = await acquireRunLock(dir);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, hostname: hostname() });
    const second = acquireRunLock(dir);
    await expect(second).rejects.toBeInstanceOf(UserError);
    await expect(second).rejects.toThrow(`another training is using this folder (pid ${process.pid}`);
    await lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    await lock.release();
    const again = await acquireRunLock(dir);
    await again.release();
  });

  it('release leaves a lock that is no longer its own', async () => {
    const dir = folder();
    const lock = await acquireRunLock(dir);
    const other = JSON.stringify({ pid: 1, hostname: 'elsewhere', started: 'then' });
    writeFileSync(join(dir, LOCK_FILE), other);
    await lock.release();
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(other);
  });

  it('several takers racing for a dead run’s lock: exactly one gets it, the others are refused', async () => {
    const dir = folder();
    await acquireRunLock(dir).then((l) => l.release());
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), hostname: hostname(), started: 'long ago' }));
    const notes: string[] = [];
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => acquireRunLock(dir, (note) => notes.push(note))));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(String(r.reason)).toContain('another training is using this folder');
    expect(notes.length).toBeGreaterThanOrEqual(1);
    expect(notes[0]).toContain('took over the lock of a training that is no longer running');
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    await (won[0] as PromiseFulfilledResult<{ release(): Promise<void> }>).value.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });
});

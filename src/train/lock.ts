/**
 * One training per run folder. Two runs writing the same model-last would interleave their
 * checkpoints and metrics (and `--force` in one would delete the other's), so a run holds
 * RUN_DIR/.lock while it trains: {pid, hostname, started}, created only if absent.
 *
 * The lock never stays stuck: it is removed when the run ends (normally, on an error, on
 * Ctrl-C, and on a second Ctrl-C through the process's exit event), and a lock left by a run
 * that was killed outright (SIGKILL, power loss) names a pid that is no longer alive on this
 * host, so the next run takes it over and says so. A lock from another host cannot be
 * checked: the message says how to remove it by hand.
 */
import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileError, isErrnoException, UserError } from '../errors.js';

export const LOCK_FILE = '.lock';

export interface LockHolder {
  pid: number;
  hostname: string;
  started: string;
}

export interface RunLock {
  readonly path: string;
  /** Removes the lock if it is still this run's (idempotent). */
  release(): Promise<void>;
}

let counter = 0;

/**
 * Takes RUN_DIR/.lock for this process, creating `dir` if needed. Throws a UserError (exit 2)
 * naming the holder if a live run has it; takes over a dead run's lock, telling `onNote`.
 */
export async function acquireRunLock(dir: string, onNote: (message: string) => void = () => undefined): Promise<RunLock> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw fileError(dir, error, 'cannot create the output folder');
  }
  const path = join(dir, LOCK_FILE);
  const mine: LockHolder = { pid: process.pid, hostname: hostname(), started: new Date().toISOString() };
  const text = `${JSON.stringify(mine)}\n`;
  // A few rounds: each lost race (the lock vanished or changed hands between two looks) retries.
  for (let round = 0; round < 5; round++) {
    if (await createExclusive(path, text)) return held(path, text);
    const found = await readLock(path);
    if (found === null) continue;
    const holder = found.holder;
    if (holder && isAlive(holder)) {
      const here = holder.hostname === mine.hostname;
      const where = here ? '' : ` on ${holder.hostname}`;
      const byHand = here ? `if pid ${holder.pid} is not a ner-train training` : `if no training is running on ${holder.hostname} any more`;
      throw new UserError(`${dir}: another training is using this folder (pid ${holder.pid}${where}, started ${holder.started})`, {
        hint: `wait for it to end, or choose another folder with --out DIR; ${byHand}, delete ${path}`,
      });
    }
    if (await removeIfUnchanged(path, found.text)) {
      onNote(
        holder
          ? `${path}: took over the lock of a training that is no longer running (pid ${holder.pid}, started ${holder.started})`
          : `${path}: replaced an unreadable lock file`,
      );
    }
  }
  throw new UserError(`${path}: could not take the lock (other trainings keep starting in this folder)`);
}

/** Creates `path` with `text` only if it does not exist; the content is complete the moment the name appears. */
async function createExclusive(path: string, text: string): Promise<boolean> {
  // Written under a private name and hard-linked into place: link fails if the name exists,
  // as O_EXCL does, and a reader never sees a half-written lock.
  const temp = `${path}.tmp-${process.pid}-${++counter}`;
  try {
    await writeFile(temp, text, { flag: 'wx' });
    try {
      await link(temp, path);
      return true;
    } catch (error) {
      if (isErrnoException(error) && error.code === 'EEXIST') return false;
      // File systems without hard links: O_EXCL directly.
      if (isErrnoException(error) && ['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].includes(error.code ?? '')) {
        try {
          await writeFile(path, text, { flag: 'wx' });
          return true;
        } catch (inner) {
          if (isErrnoException(inner) && inner.code === 'EEXIST') return false;
          throw inner;
        }
      }
      throw error;
    }
  } catch (error) {
    throw fileError(path, error, 'cannot create the lock file');
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/** The lock's text and its holder (null holder: unreadable); null if the lock is gone. */
async function readLock(path: string): Promise<{ text: string; holder: LockHolder | null } | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isErrnoException(error) && error.code === 'ENOENT') return null;
    throw fileError(path, error, 'cannot read the lock file');
  }
  return { text, holder: parseHolder(text) };
}

export function parseHolder(text: string): LockHolder | null {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return null;
    const { pid, hostname: host, started } = value as Partial<LockHolder>;
    if (!Number.isInteger(pid) || (pid as number) <= 0 || typeof host !== 'string' || typeof started !== 'string') return null;
    return { pid: pid as number, hostname: host, started };
  } catch {
    return null;
  }
}

/** A holder on another host is taken to be alive: its pid means nothing here. */
function isAlive(holder: LockHolder): boolean {
  if (holder.hostname !== hostname()) return true;
  if (holder.pid === process.pid) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return isErrnoException(error) && error.code === 'EPERM';
  }
}

/**
 * Removes a dead run's lock, unless another run took it over since we read it: the lock is
 * moved aside (only one of several racing runs can move it), and put back if what was moved
 * is not what was judged dead.
 */
async function removeIfUnchanged(path: string, judged: string): Promise<boolean> {
  const aside = `${path}.stale-${process.pid}-${++counter}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if (isErrnoException(error) && error.code === 'ENOENT') return false;
    throw fileError(path, error, 'cannot remove the stale lock file');
  }
  const moved = await readFile(aside, 'utf8').catch(() => null);
  if (moved !== judged) {
    await link(aside, path).catch(() => undefined);
    await unlink(aside).catch(() => undefined);
    return false;
  }
  await unlink(aside).catch(() => undefined);
  return true;
}

function held(path: string, text: string): RunLock {
  let released = false;
  const releaseSync = (): void => {
    if (released) return;
    released = true;
    process.off('exit', releaseSync);
    try {
      // Only our own lock: a run that wrongly took it over must not lose it to us.
      if (readFileSync(path, 'utf8') === text) unlinkSync(path);
    } catch {
      // Gone already, or the folder was removed: nothing to release.
    }
  };
  // process.exit (a second Ctrl-C) skips finally blocks but runs exit listeners.
  process.on('exit', releaseSync);
  return {
    path,
    release: () => {
      releaseSync();
      return Promise.resolve();
    },
  };
}

/**
 * Crash-safe writes. A checkpoint written while training is killed (Ctrl-C twice, OOM
 * killer, power loss) must never be left half-written: readers see the old version or
 * the new one.
 *
 * Files: write a temp file in the same folder (rename is only atomic within one file
 * system), fsync it so its bytes are on disk before its name is, rename it over the
 * target, then fsync the folder so the rename itself is durable.
 *
 * Folders: POSIX cannot rename a folder over a non-empty one, and Node has no
 * renameat2(RENAME_EXCHANGE), so replaceDirAtomic moves the old folder aside first; see
 * there for the one short window this leaves and how resolveCheckpointDir covers it.
 *
 * Temp names are `<name>.tmp-<ms>-<pid>-<counter>`: unique per call without randomness,
 * and the pid says whether the writer is still alive, so leftovers of a killed writer
 * can be swept by the next call without touching another live writer's work.
 */
import { constants, existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, unlink } from 'node:fs/promises';
import { basename, dirname, join, normalize } from 'node:path';
import { UserError, isErrnoException } from '../errors.js';

let counter = 0;
/** Temp names created by this process that are still in use, so a sweep never removes them. */
const inFlight = new Set<string>();

function uniqueSuffix(): string {
  counter += 1;
  return `${Date.now()}-${process.pid}-${counter}`;
}

/** `a/b/` -> `a/b`, so `${dir}.tmp-...` lands next to the folder, not inside it. */
function cleanPath(path: string): string {
  const normalized = normalize(path);
  return join(dirname(normalized), basename(normalized));
}

const SUFFIX_PATTERN = /^(\d+)-(\d+)-(\d+)$/;

interface ParsedSuffix {
  time: number;
  pid: number;
  count: number;
}

function parseSuffix(suffix: string): ParsedSuffix | undefined {
  const match = SUFFIX_PATTERN.exec(suffix);
  if (match === null) return undefined;
  return { time: Number(match[1]), pid: Number(match[2]), count: Number(match[3]) };
}

function processIsAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return isErrnoException(error) && error.code === 'EPERM';
  }
}

/**
 * Removes `<prefix><suffix>` entries in `folder` left by writers that died. Entries of
 * live processes are kept (they may be mid-write), as are this process's in-flight ones.
 * Best effort: a leftover that cannot be removed only wastes space, since names never repeat.
 */
async function sweepLeftovers(folder: string, prefix: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const parsed = parseSuffix(name.slice(prefix.length));
    const path = join(folder, name);
    if (parsed === undefined || inFlight.has(path)) continue;
    if (parsed.pid !== process.pid && processIsAlive(parsed.pid)) continue;
    await rm(path, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Turns the file-system errors a user can fix (missing folder, permissions, full disk) into UserErrors. */
function writeError(path: string, error: unknown): Error {
  if (isErrnoException(error)) {
    switch (error.code) {
      case 'ENOENT':
        return new UserError(`${path}: cannot write: folder ${dirname(path)} does not exist`);
      case 'ENOTDIR':
        return new UserError(`${path}: cannot write: a part of this path is not a folder`);
      case 'EISDIR':
        return new UserError(`${path}: cannot write: is a folder, expected a file`);
      case 'EACCES':
      case 'EPERM':
        return new UserError(`${path}: permission denied (cannot write)`);
      case 'ENOSPC':
        return new UserError(`${path}: cannot write: no space left on the device`);
      case 'EROFS':
        return new UserError(`${path}: cannot write: the file system is read-only`);
      default:
        break;
    }
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** Flushes a file or folder to disk. */
async function fsyncPath(path: string, flags: number): Promise<void> {
  const handle = await open(path, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Makes a folder's entries (creations, renames) durable. Some platforms and file systems
 * cannot fsync a folder (Windows: EISDIR/EPERM; some network file systems: EINVAL);
 * there the rename is still atomic, only its durability is up to the OS.
 */
async function fsyncFolder(folder: string): Promise<void> {
  try {
    await fsyncPath(folder, constants.O_RDONLY);
  } catch (error) {
    if (isErrnoException(error) && ['EISDIR', 'EPERM', 'EINVAL', 'EBADF', 'ENOTSUP'].includes(error.code ?? '')) return;
    throw error;
  }
}

/**
 * Write a file so that a crash at any moment leaves either the old content or the new one: write to a temp name in the same folder, fsync, rename over, fsync the folder.
 * `data` may be a list of parts, written one after the other, so a large file need not be assembled in one buffer first.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array | readonly Uint8Array[]): Promise<void> {
  const target = cleanPath(path);
  const folder = dirname(target);
  // Hidden, so a half-written temp file is not mistaken for a real one by `ls` or globbing.
  const prefix = `.${basename(target)}.tmp-`;
  const temp = join(folder, prefix + uniqueSuffix());
  inFlight.add(temp);
  try {
    await sweepLeftovers(folder, prefix);
    // 'wx': fail rather than share a file if the name somehow exists.
    const handle = await open(temp, 'wx');
    try {
      // writeFile on a handle continues at its current position: the parts land back to back.
      for (const part of typeof data === 'string' || data instanceof Uint8Array ? [data] : data) await handle.writeFile(part);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
    await fsyncFolder(folder);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw writeError(target, error);
  } finally {
    inFlight.delete(temp);
  }
}

/** fsyncs every file and folder under `root` (fill may have used plain writeFile). */
async function fsyncTree(root: string): Promise<void> {
  const entries = await readdir(root, { withFileTypes: true });
  for (const entry of entries) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) await fsyncTree(path);
    else if (entry.isFile()) await fsyncPath(path, constants.O_RDONLY);
  }
  await fsyncFolder(root);
}

async function renameIgnoringMissing(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (error) {
    if (isErrnoException(error) && error.code === 'ENOENT') return false;
    throw error;
  }
}

/**
 * Replace a whole folder (a checkpoint: several files that must agree) as atomically as
 * POSIX allows: `fill(tmpDir)` writes the files into a fresh temp folder next to `dir`;
 * then the old folder (if any) is renamed aside, the temp folder renamed to `dir`, the
 * old one removed. If fill throws, the temp folder is removed and `dir` is untouched.
 *
 * The one window: between `rename(dir, aside)` and `rename(tmp, dir)` — two back-to-back
 * renames in the same folder, microseconds apart — `dir` does not exist. A crash right
 * there leaves `<dir>.old-<ms>-<pid>-<n>` holding the complete old checkpoint and
 * `<dir>.tmp-...` holding the complete new one. Readers recover with
 * resolveCheckpointDir(dir), which falls back to the newest aside folder; the next
 * replaceDirAtomic removes the dead writer's temp folder first and every aside folder
 * once its new `dir` is in place. At every other moment `dir` is a complete checkpoint.
 *
 * Assumes one writer per `dir` at a time (one training run per checkpoint folder).
 */
export async function replaceDirAtomic(dir: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  const target = cleanPath(dir);
  const parent = dirname(target);
  const name = basename(target);
  const temp = join(parent, `${name}.tmp-${uniqueSuffix()}`);
  inFlight.add(temp);
  try {
    try {
      await mkdir(parent, { recursive: true });
      await sweepLeftovers(parent, `${name}.tmp-`);
      await mkdir(temp);
    } catch (error) {
      throw writeError(temp, error);
    }

    try {
      await fill(temp);
      await fsyncTree(temp);
    } catch (error) {
      await rm(temp, { recursive: true, force: true }).catch(() => undefined);
      throw error;
    }

    const aside = join(parent, `${name}.old-${uniqueSuffix()}`);
    const hadOld = await renameIgnoringMissing(target, aside);
    // --- the window: `target` does not exist until the next rename returns ---
    try {
      await rename(temp, target);
    } catch (error) {
      if (hadOld) await rename(aside, target).catch(() => undefined);
      await rm(temp, { recursive: true, force: true }).catch(() => undefined);
      throw writeError(target, error);
    }
    await fsyncFolder(parent);

    // Our aside folder, and any left by a writer killed inside the window.
    await sweepAsideFolders(parent, name);
  } finally {
    inFlight.delete(temp);
  }
}

async function sweepAsideFolders(parent: string, name: string): Promise<void> {
  const prefix = `${name}.old-`;
  const names = await readdir(parent).catch(() => [] as string[]);
  for (const entry of names) {
    if (entry.startsWith(prefix) && parseSuffix(entry.slice(prefix.length)) !== undefined) {
      await rm(join(parent, entry), { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The folder a loader should read for checkpoint `dir`: `dir` if it exists, else the
 * newest `<dir>.old-*` aside folder (left by a writer killed inside replaceDirAtomic's
 * window), else `dir` (so the loader reports the missing path the user gave).
 */
export function resolveCheckpointDir(dir: string): string {
  const target = cleanPath(dir);
  if (existsSync(target)) return dir;
  const parent = dirname(target);
  const prefix = `${basename(target)}.old-`;
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return dir;
  }
  const asides = names
    .map((entry) => ({ entry, parsed: entry.startsWith(prefix) ? parseSuffix(entry.slice(prefix.length)) : undefined }))
    .filter((a): a is { entry: string; parsed: ParsedSuffix } => a.parsed !== undefined)
    .filter((a) => isDirectory(join(parent, a.entry)))
    .sort((a, b) => b.parsed.time - a.parsed.time || b.parsed.count - a.parsed.count);
  return asides.length > 0 ? join(parent, asides[0].entry) : dir;
}


import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { replaceDirAtomic, resolveCheckpointDir, writeFileAtomic } from '../../src/io/atomic.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ATOMIC_MODULE = join(REPO, 'src/io/atomic.ts');
/** Above Linux's pid_max (at most 2^22), so never a live process. */
const DEAD_PID = 999_999_999;

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'ner-train-atomic-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function writeTree(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
}

function readTree(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).sort().map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
}

describe('writeFileAtomic', () => {
  it('creates, then replaces, a file and leaves no temp files', async () => {
    const target = join(root, 'model.json');
    await writeFileAtomic(target, '{"v":1}');
    expect(readFileSync(target, 'utf8')).toBe('{"v":1}');
    await writeFileAtomic(target, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(target)]).toEqual([1, 2, 3]);
    await writeFileAtomic(target, '');
    expect(readFileSync(target, 'utf8')).toBe('');
    expect(readdirSync(root)).toEqual(['model.json']);
  });

  it('handles many concurrent writes to the same file: the result is one whole version', async () => {
    const target = join(root, 'f.txt');
    const versions = Array.from({ length: 20 }, (_, i) => `version ${i} `.repeat(1000));
    await Promise.all(versions.map((v) => writeFileAtomic(target, v)));
    expect(versions).toContain(readFileSync(target, 'utf8'));
    expect(readdirSync(root)).toEqual(['f.txt']);
  });

  it('reports a missing folder as a UserError and leaves nothing behind', async () => {
    const target = join(root, 'missing', 'model.json');
    await expect(writeFileAtomic(target, 'x')).rejects.toThrow(UserError);
    await expect(writeFileAtomic(target, 'x')).rejects.toThrow(/missing\/model\.json: cannot write: folder .* does not exist/);
    mkdirSync(join(root, 'adir'));
    await expect(writeFileAtomic(join(root, 'adir'), 'x')).rejects.toThrow(UserError);
    expect(readdirSync(root)).toEqual(['adir']);
  });

  it('sweeps temp files of dead writers but keeps those of live processes', async () => {
    const target = join(root, 'w.bin');
    const dead = join(root, `.w.bin.tmp-1-${DEAD_PID}-1`);
    const live = join(root, `.w.bin.tmp-1-${process.ppid}-1`);
    const unrelated = join(root, '.other.tmp-1-999999999-1');
    for (const path of [dead, live, unrelated]) writeFileSync(path, 'partial');
    await writeFileAtomic(target, 'new');
    expect(readdirSync(root).sort()).toEqual(['.other.tmp-1-999999999-1', `.w.bin.tmp-1-${process.ppid}-1`, 'w.bin']);
  });
});

describe('replaceDirAtomic', () => {
  it('creates the folder (and its parents) when missing', async () => {
    const dir = join(root, 'runs', 'ckpt');
    await replaceDirAtomic(dir, async (tmp) => writeTree(tmp, { 'a.txt': 'A1' }));
    expect(readTree(dir)).toEqual({ 'a.txt': 'A1' });
    expect(readdirSync(join(root, 'runs'))).toEqual(['ckpt']);
  });

  it('replaces the whole folder: files of the old version do not survive', async () => {
    const dir = join(root, 'ckpt');
    writeTree(dir, { 'a.txt': 'old', 'stale.txt': 'stale' });
    let seenTmp = '';
    await replaceDirAtomic(dir, async (tmp) => {
      seenTmp = tmp;
      expect(dirname(tmp)).toBe(root); // next to dir, on the same file system
      expect(readdirSync(tmp)).toEqual([]);
      writeTree(tmp, { 'a.txt': 'new', 'b.txt': 'B' });
    });
    expect(readTree(dir)).toEqual({ 'a.txt': 'new', 'b.txt': 'B' });
    expect(existsSync(seenTmp)).toBe(false);
    expect(readdirSync(root)).toEqual(['ckpt']);
  });

  it('accepts a trailing slash', async () => {
    const dir = join(root, 'ckpt');
    writeTree(dir, { x: '1' });
    await replaceDirAtomic(`${dir}/`, async (tmp) => writeTree(tmp, { x: '2' }));
    expect(readTree(dir)).toEqual({ x: '2' });
    expect(readdirSync(root)).toEqual(['ckpt']);
  });

  it('leaves the old folder untouched and removes the temp folder when fill throws', async () => {
    const dir = join(root, 'ckpt');
    writeTree(dir, { 'a.txt': 'old' });
    const failure = new Error('disk on fire');
    await expect(
      replaceDirAtomic(dir, async (tmp) => {
        writeTree(tmp, { 'a.txt': 'half' });
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(readTree(dir)).toEqual({ 'a.txt': 'old' });
    expect(readdirSync(root)).toEqual(['ckpt']);
  });

  it('leaves no folder at all when fill throws and there was no old one', async () => {
    const dir = join(root, 'ckpt');
    await expect(replaceDirAtomic(dir, async () => Promise.reject(new Error('nope')))).rejects.toThrow('nope');
    expect(readdirSync(root)).toEqual([]);
  });

  it('cleans leftovers of crashed earlier calls', async () => {
    const dir = join(root, 'ckpt');
    writeTree(dir, { 'a.txt': 'old' });
    writeTree(`${dir}.tmp-1-${DEAD_PID}-1`, { 'a.txt': 'half-written' });
    writeTree(`${dir}.old-1-${DEAD_PID}-2`, { 'a.txt': 'older' });
    writeTree(join(root, 'ckpt-other.tmp-1-999999999-1'), { keep: 'yes' }); // another folder's name
    await replaceDirAtomic(dir, async (tmp) => writeTree(tmp, { 'a.txt': 'new' }));
    expect(readTree(dir)).toEqual({ 'a.txt': 'new' });
    expect(readdirSync(root).sort()).toEqual(['ckpt', 'ckpt-other.tmp-1-999999999-1']);
  });

  it('recovers from a crash inside the rename window', async () => {
    // Simulate being killed between `rename(dir, aside)` and `rename(tmp, dir)`.
    const dir = join(root, 'ckpt');
    writeTree(dir, { 'a.txt': 'complete old' });
    const aside = `${dir}.old-${Date.now()}-${DEAD_PID}-1`;
    renameSync(dir, aside);
    writeTree(`${dir}.tmp-${Date.now()}-${DEAD_PID}-2`, { 'a.txt': 'complete new' });

    expect(resolveCheckpointDir(dir)).toBe(aside);
    expect(readTree(resolveCheckpointDir(dir))).toEqual({ 'a.txt': 'complete old' });

    await replaceDirAtomic(dir, async (tmp) => writeTree(tmp, { 'a.txt': 'next' }));
    expect(resolveCheckpointDir(dir)).toBe(dir);
    expect(readTree(dir)).toEqual({ 'a.txt': 'next' });
    expect(readdirSync(root)).toEqual(['ckpt']);
  });
});

describe('resolveCheckpointDir', () => {
  it('returns dir when it exists, the newest aside folder when not, else dir', () => {
    const dir = join(root, 'ckpt');
    expect(resolveCheckpointDir(dir)).toBe(dir);
    writeTree(`${dir}.old-1000-${DEAD_PID}-1`, { v: 'oldest' });
    writeTree(`${dir}.old-3000-${DEAD_PID}-1`, { v: 'newest' });
    writeTree(`${dir}.old-2000-${DEAD_PID}-9`, { v: 'middle' });
    writeFileSync(`${dir}.old-9000-${DEAD_PID}-1`, 'a file, not a folder');
    writeTree(`${dir}.old-junk`, { v: 'not ours' });
    expect(resolveCheckpointDir(dir)).toBe(`${dir}.old-3000-${DEAD_PID}-1`);
    writeTree(dir, { v: 'current' });
    expect(resolveCheckpointDir(dir)).toBe(dir);
  });
});

// ---------------------------------------------------------------------------------------
// Killing a real writer with SIGKILL
// ---------------------------------------------------------------------------------------

/** Runs a TypeScript snippet in a child node (via tsx) that imports the atomic module. */
function spawnChild(body: string, args: string[]): ChildProcess {
  const script = join(root, `child-${Date.now()}.mts`);
  writeFileSync(script, `import { replaceDirAtomic, writeFileAtomic } from ${JSON.stringify(ATOMIC_MODULE)};\n${body}\n`);
  return spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
}

function exited(child: ChildProcess): Promise<NodeJS.Signals | number | null> {
  return new Promise((done) => child.once('exit', (code, signal) => done(signal ?? code)));
}

/** Polls until `probe` returns a value, failing if the child exits first. */
async function waitFor<T>(child: ChildProcess, probe: () => T | undefined, what: string): Promise<T> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`child exited before ${what}: ${stderr}`);
    await new Promise((wake) => setTimeout(wake, 1));
  }
}

describe('SIGKILL mid-write', () => {
  it('writeFileAtomic: the original file stays intact and readable', async () => {
    const folder = join(root, 'out');
    mkdirSync(folder);
    const target = join(folder, 'weights.bin');
    const original = 'the original checkpoint\n'.repeat(100);
    writeFileSync(target, original);

    // 256 MiB: writing and fsyncing it takes far longer than the parent's 1 ms polling.
    const child = spawnChild(
      `await writeFileAtomic(process.argv[2], new Uint8Array(256 * 1024 * 1024).fill(0x42));`,
      [target],
    );
    const exit = exited(child);
    const temp = await waitFor(
      child,
      () => readdirSync(folder).find((name) => name.startsWith('.weights.bin.tmp-')),
      'creating its temp file',
    );
    child.kill('SIGKILL');
    expect(await exit).toBe('SIGKILL');

    // The kill landed before the rename: the temp file is still there, partly written.
    expect(existsSync(join(folder, temp))).toBe(true);
    expect(statSync(join(folder, temp)).size).toBeLessThan(256 * 1024 * 1024);
    expect(readFileSync(target, 'utf8')).toBe(original);

    // The next write sweeps the dead writer's temp file.
    await writeFileAtomic(target, 'after');
    expect(readFileSync(target, 'utf8')).toBe('after');
    expect(readdirSync(folder)).toEqual(['weights.bin']);
  });

  it('replaceDirAtomic: killed during fill, the old folder stays and the next call cleans up', async () => {
    const dir = join(root, 'ckpt');
    writeTree(dir, { 'weights.bin': 'old weights', 'config.json': '{"old":true}' });
    const ready = join(root, 'child-is-filling');
    const child = spawnChild(
      `import { renameSync, writeFileSync } from 'node:fs';
       import { join } from 'node:path';
       await replaceDirAtomic(process.argv[2], async (tmp) => {
         writeFileSync(join(tmp, 'weights.bin'), 'new weig');
         // Renamed into place so the parent never reads a half-written path.
         writeFileSync(process.argv[3] + '.part', tmp);
         renameSync(process.argv[3] + '.part', process.argv[3]);
         await new Promise(() => setInterval(() => undefined, 1000));
       });`,
      [dir, ready],
    );
    const exit = exited(child);
    const childTmp = await waitFor(child, () => (existsSync(ready) ? readFileSync(ready, 'utf8') : undefined), 'filling');
    child.kill('SIGKILL');
    expect(await exit).toBe('SIGKILL');

    expect(existsSync(childTmp)).toBe(true);
    expect(resolveCheckpointDir(dir)).toBe(dir);
    expect(readTree(dir)).toEqual({ 'config.json': '{"old":true}', 'weights.bin': 'old weights' });

    await replaceDirAtomic(dir, async (tmp) => writeTree(tmp, { 'weights.bin': 'new weights' }));
    expect(existsSync(childTmp)).toBe(false);
    expect(readTree(dir)).toEqual({ 'weights.bin': 'new weights' });
  });
});

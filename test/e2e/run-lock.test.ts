import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, STACK_LINE, start, tempDir } from './cli.js';

/** A pid that was alive a moment ago and is not any more. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  expect(child.status).toBe(0);
  return child.pid as number;
}

describe('one training per run folder', () => {
  it('a second training into the folder of a running one refuses, naming its pid; the first is unharmed', async () => {
    const out = join(tempDir(), 'run');
    const first = start(['train', '-c', 'configs/default.yaml', '--out', out, '--set', 'training.epochs=500']);
    let stderr = '';
    const epochOne = new Promise<void>((resolve) =>
      first.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/^epoch 1 /m.test(stderr)) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => first.on('exit', (code) => resolve(code)));
    await epochOne;
    const lock = JSON.parse(readFileSync(join(out, '.lock'), 'utf8'));
    expect(lock).toEqual({ pid: first.pid, hostname: hostname(), started: expect.any(String) });

    // --force would delete the first run's checkpoints: the lock comes first.
    const second = run(['train', '-c', 'configs/default.yaml', '--out', out, '--force', '--set', 'training.epochs=1']);
    expect(second.status).toBe(2);
    expect(second.stderr).toContain(`${out}: another training is using this folder (pid ${first.pid}, started ${lock.started})`);
    expect(second.stderr).not.toMatch(STACK_LINE);
    const resumed = run(['train', '--resume', out]);
    expect(resumed.status).toBe(2);
    expect(resumed.stderr).toContain(`another training is using this folder (pid ${first.pid}`);
    expect(existsSync(join(out, 'model-last/meta.json'))).toBe(true);

    first.kill('SIGINT');
    expect(await exited).toBe(130);
    // Released on the way out, and the run it protected is intact.
    expect(existsSync(join(out, '.lock'))).toBe(false);
    expect(run(['evaluate', '-m', join(out, 'model-last'), '-d', 'data/dev.txt']).status).toBe(0);
  });

  it('the lock of a run that died (pid gone, same host) is taken over with a note', () => {
    const out = join(tempDir(), 'run');
    mkdirSync(out);
    const pid = deadPid();
    writeFileSync(join(out, '.lock'), JSON.stringify({ pid, hostname: hostname(), started: '2024-01-01T00:00:00.000Z' }));
    const result = run(['train', '-c', 'configs/default.yaml', '--out', out, '--set', 'training.epochs=1']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain(`note: ${join(out, '.lock')}: took over the lock of a training that is no longer running (pid ${pid}, started 2024-01-01T00:00:00.000Z)`);
    expect(existsSync(join(out, '.lock'))).toBe(false);
  });

  it('an unreadable lock file is replaced; a lock from another host is respected', () => {
    const out = join(tempDir(), 'run');
    mkdirSync(out);
    writeFileSync(join(out, '.lock'), '{"pid": 12');
    const garbled = run(['train', '-c', 'configs/default.yaml', '--out', out, '--set', 'training.epochs=1']);
    expect(garbled.status, garbled.stderr).toBe(0);
    expect(garbled.stderr).toContain('replaced an unreadable lock file');

    const other = join(tempDir(), 'run');
    mkdirSync(other);
    writeFileSync(join(other, '.lock'), JSON.stringify({ pid: deadPid(), hostname: 'some-other-host', started: '2024-01-01T00:00:00.000Z' }));
    const refused = run(['train', '-c', 'configs/default.yaml', '--out', other, '--set', 'training.epochs=1']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('another training is using this folder (pid');
    expect(refused.stderr).toContain('on some-other-host');
    expect(refused.stderr).toContain(`if no training is running on some-other-host any more, delete ${join(other, '.lock')}`);
    expect(existsSync(join(other, 'metrics.jsonl'))).toBe(false);
  });

  it('the lock is removed when the training fails', () => {
    const out = join(tempDir(), 'run');
    const result = run(['train', '-c', 'configs/default.yaml', '--out', out, '--set', 'data.train=data/no-such-file.txt']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('no such file');
    expect(existsSync(out)).toBe(true);
    expect(existsSync(join(out, '.lock'))).toBe(false);
  });
});

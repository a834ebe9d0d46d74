import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, start, tempDir } from './cli.js';

/** Sends `signal` once the trainer has reported its second epoch, and waits for the exit. */
function interruptTraining(out: string, signal: NodeJS.Signals): Promise<{ code: number | null; stderr: string }> {
  const child = start(['train', '-c', 'configs/default.yaml', '--out', out, '--set', 'training.epochs=500']);
  let stderr = '';
  let sent = false;
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (!sent && stderr.includes('epoch 2 ')) {
      sent = true;
      child.kill(signal);
    }
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

describe('stopping a training', () => {
  it('Ctrl-C finishes the step, writes a loadable model-last and exits 130', async () => {
    const out = join(tempDir(), 'run');
    const { code, stderr } = await interruptTraining(out, 'SIGINT');
    expect(code).toBe(130);
    expect(stderr).toContain('model-last');
    expect(existsSync(join(out, 'model-last/meta.json'))).toBe(true);
    const scored = run(['evaluate', '-m', join(out, 'model-last'), '-d', 'data/dev.txt', '--json']);
    expect(scored.status).toBe(0);
    expect(JSON.parse(scored.stdout).f1).toBeGreaterThan(0.5);
  });

  it('SIGTERM does the same and exits 143', async () => {
    const out = join(tempDir(), 'run');
    const { code } = await interruptTraining(out, 'SIGTERM');
    expect(code).toBe(143);
    expect(existsSync(join(out, 'model-last/model.safetensors'))).toBe(true);
  });
});

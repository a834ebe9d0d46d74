import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, STACK_LINE, tempDir } from './cli.js';

describe('train --force', () => {
  it('keeps the previous run when the new run stops on bad data (the old run is removed only once the data is read)', () => {
    const dir = tempDir();
    const out = join(dir, 'run');
    const first = run(['train', '--config', 'configs/default.yaml', '--set', 'training.epochs=1', '--out', out]);
    expect(first.status).toBe(0);
    expect(existsSync(join(out, 'model-best', 'meta.json'))).toBe(true);

    const badDev = join(dir, 'bad-dev.txt');
    writeFileSync(badDev, 'EU B-ORG\nrejects\n');
    const second = run(['train', '--config', 'configs/default.yaml', '--set', 'training.epochs=1', '--set', `data.dev=${badDev}`, '--out', out, '--force']);
    expect(second.status).toBe(2);
    expect(second.stderr).toContain(`${badDev}:2`);
    expect(second.stderr).not.toMatch(STACK_LINE);
    for (const name of ['model-best', 'model-last', 'metrics.jsonl']) expect(existsSync(join(out, name))).toBe(true);

    const evaluated = run(['evaluate', '--checkpoint', join(out, 'model-best'), '--data', 'data/dev.txt', '--json']);
    expect(evaluated.status).toBe(0);
  });
});

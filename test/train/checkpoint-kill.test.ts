import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../src/checkpoint/checkpoint.js';
import { loadConfig } from '../../src/config/load.js';
import { resolveCheckpointDir } from '../../src/io/atomic.js';
import { train } from '../../src/train/trainer.js';
import { readTrainingState } from '../../src/train/training-state.js';

/**
 * A process killed with SIGKILL while it writes model-last (weights, meta.json, vocab and
 * the training state) must leave a checkpoint that loads and verifies, whose training state
 * belongs to its weights: the previous one or the new one, never a mix.
 */
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const src = (path: string): string => JSON.stringify(join(REPO, 'src', path));

/**
 * Rewrites checkpoint `dir` (with its training state) over and over, write i with
 * params[0] = i, meta.step = i and position.global_step = i, so that a reader can tell
 * that the three files it finds come from one write. Touches `ready` after the first.
 */
const WRITER = `
import { writeFileSync } from 'node:fs';
import { loadCheckpoint, saveCheckpoint } from ${src('checkpoint/checkpoint.ts')};
import { encodeTrainingState, readTrainingState } from ${src('train/training-state.ts')};
import { noPreprocessing } from ${src('model/preprocess.ts')};
const [dir, ready] = process.argv.slice(2);
const ckpt = await loadCheckpoint(dir);
const state = await readTrainingState(dir, ckpt.meta.weights_sha256);
const { meta, model } = ckpt;
const base = {
  model, spec: meta.model, vocab: ckpt.vocab, labels: ckpt.labels, tag_scheme: meta.tag_scheme,
  word_normalisation: meta.word_normalisation, suffix: ckpt.suffix, prefix: ckpt.prefix,
  preprocessor: model.inputPreprocessor ?? noPreprocessing(model.D), transitions: ckpt.transitions,
  decode: meta.decode, task: meta.task, detector: meta.detector, epoch: meta.epoch, dev: meta.dev, config: meta.config,
};
const first = meta.step + 1;
for (let i = first; ; i++) {
  model.params.data[0] = i;
  state.position.global_step = i;
  await saveCheckpoint(dir, { ...base, step: i }, { extraFiles: (m) => encodeTrainingState(state, m.weights_sha256) });
  if (i === first) writeFileSync(ready, String(i));
}
`;

let root: string;
let lastDir: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'ner-train-kill-'));
  const { config } = await loadConfig({ file: join(REPO, 'configs/default.yaml'), sets: ['training.epochs=1', `output.dir=${join(root, 'run')}`] });
  await train(config);
  lastDir = join(root, 'run/model-last');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function exited(child: ChildProcess): Promise<NodeJS.Signals | number | null> {
  return new Promise((done) => child.once('exit', (code, signal) => done(signal ?? code)));
}

async function waitForFile(child: ChildProcess, path: string, stderr: () => string): Promise<void> {
  for (;;) {
    if (existsSync(path)) return;
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the writer exited before its first write: ${stderr()}`);
    await new Promise((wake) => setTimeout(wake, 5));
  }
}

describe('SIGKILL while model-last is being written', () => {
  it('leaves a checkpoint that loads, verifies, and whose training state is of the same write', async () => {
    let killedMidWrite = 0;
    const rounds = 8;
    for (let round = 0; round < rounds; round++) {
      const ready = join(root, `ready-${round}`);
      const script = join(root, `writer-${round}.mts`);
      writeFileSync(script, WRITER);
      const child = spawn(process.execPath, ['--import', 'tsx', script, lastDir, ready], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exit = exited(child);
      await waitForFile(child, ready, () => stderr);
      // Somewhere in a later write: a write takes a few ms (its fsyncs), so most kills land inside one.
      await new Promise((wake) => setTimeout(wake, 3 + ((round * 37) % 60)));
      child.kill('SIGKILL');
      expect(await exit).toBe('SIGKILL');

      // A kill inside a write leaves the writer's temp folder (or, in the rename window, an aside copy).
      const leftovers = readdirSync(join(root, 'run')).filter((name) => /^model-last\.(tmp|old)-/.test(name));
      if (leftovers.length > 0) killedMidWrite++;

      const checkpoint = await loadCheckpoint(lastDir);
      const state = await readTrainingState(resolveCheckpointDir(lastDir), checkpoint.meta.weights_sha256);
      expect(checkpoint.model.params.data[0]).toBe(checkpoint.meta.step);
      expect(state.position.global_step).toBe(checkpoint.meta.step);
    }
    // The test is only worth something if kills did land part-way through writes.
    expect(killedMidWrite).toBeGreaterThan(0);
  });
});

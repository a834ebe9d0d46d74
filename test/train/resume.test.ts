import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { resumeConfig } from '../../src/train/resume.js';
import { train } from '../../src/train/trainer.js';

/**
 * Resuming is exact for every kind of step and state: the library run is stopped at a
 * chosen step (through its abort signal, as Ctrl-C does) and continued, and must end with
 * the bytes of the run never stopped. test/e2e/interrupt.test.ts does the same with real
 * signals to the CLI.
 */
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const root = mkdtempSync(join(tmpdir(), 'ner-train-resume-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function config(name: string, sets: string[]): Promise<Config> {
  const file = join(REPO, sets.includes('task=entity-detector') ? 'configs/entity-detector.yaml' : 'configs/default.yaml');
  const { config } = await loadConfig({ file, sets: [...sets.filter((s) => s !== 'task=entity-detector'), 'training.epochs=3', `output.dir=${join(root, name)}`] });
  return config;
}

const TIMINGS = new Set(['tokens_per_s', 'epoch_s', 'elapsed_s']);
function metrics(dir: string): unknown[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((line) =>
    Object.fromEntries(Object.entries(JSON.parse(line) as Record<string, unknown>).filter(([key]) => !TIMINGS.has(key))),
  );
}

const VARIANTS: Record<string, string[]> = {
  'learned transitions, RMSProp, suffix features': ['decode.mode=learned', 'optimizer.name=rmsprop', 'optimizer.lr=0.001', 'features.suffix.length=3'],
  // β = 0.999: a rounding difference in the average would last to the end of the run (with 0.9 it fades away).
  'entity detector, momentum, weight average': ['task=entity-detector', 'optimizer.name=momentum', 'optimizer.average=0.999'],
  'whitened inputs, AdaGrad, input dropout, steps schedule': [
    'preprocess.mode=whiten', 'optimizer.name=adagrad', 'model.input_dropout=0.1', 'schedule.name=exponential', 'schedule.unit=steps', 'schedule.k=0.0001',
  ],
  'no shuffling, softmax, frozen embeddings': ['training.shuffle=false', 'objective.loss=softmax', 'embeddings.trainable=false'],
};

describe('a run stopped mid-epoch and resumed ends as the run never stopped', () => {
  for (const [name, sets] of Object.entries(VARIANTS)) {
    it(name, async () => {
      const slug = name.replace(/\W+/g, '-');
      const reference = await config(`${slug}-reference`, sets);
      await train(reference);

      const stopped = await config(`${slug}-stopped`, sets);
      const controller = new AbortController();
      const first = await train(stopped, {
        signal: controller.signal,
        // Abort during epoch 2; the trainer stops at its next check (every 50 steps).
        onEvent: (event) => {
          if (event.type === 'progress' && event.epoch === 2 && event.step >= 50) controller.abort();
        },
      });
      expect(first.interrupted).toBe(true);
      const state = JSON.parse(readFileSync(join(stopped.output.dir, 'model-last/training-state.json'), 'utf8'));
      expect(state.position.epoch).toBe(2);
      expect(state.position.step).toBeGreaterThan(0);

      let from: { epoch: number; step: number } | null = null;
      const second = await train(await resumeConfig(stopped.output.dir), { resume: true, onResume: (point) => (from = point) });
      expect(from).toMatchObject({ epoch: 2, step: state.position.step });
      expect(second.interrupted).toBe(false);
      expect(second.epochs.map((r) => r.epoch)).toEqual([1, 2, 3]);

      for (const file of ['model-last/model.safetensors', 'model-best/model.safetensors', 'model-last/training-state.safetensors']) {
        expect(readFileSync(join(stopped.output.dir, file)).equals(readFileSync(join(reference.output.dir, file))), file).toBe(true);
      }
      expect(metrics(stopped.output.dir)).toEqual(metrics(reference.output.dir));
    });
  }
});

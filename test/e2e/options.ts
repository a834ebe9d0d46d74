import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { EntityScorer } from '../../src/eval/metrics.js';
import { Rng } from '../../src/math/random.js';
import { ROOT, run, tempDir } from './cli.js';

/**
 * Every training option of the lecture notes, each as the --set flags a user would type,
 * trained on configs/default.yaml for a few epochs. The adaptive optimisers get their
 * usual smaller rate; fan-in scaling divides the rate by √D ≈ 12, so it gets a larger one.
 */
export const OPTION_RUNS: Record<string, string[]> = {
  'activation sigmoid': ['model.activation=sigmoid'],
  'activation hardtanh': ['model.activation=hardtanh'],
  'activation softsign': ['model.activation=softsign'],
  'activation relu': ['model.activation=relu'],
  'activation leaky-relu, slope 0.1': ['model.activation=leaky-relu', 'model.leaky_slope=0.1'],
  'dropout 0.5': ['model.dropout=0.5'],
  'input dropout 0.2': ['model.input_dropout=0.2'],
  'init uniform': ['model.init=uniform', 'model.init_scale=0.05'],
  'init normal': ['model.init=normal', 'model.init_scale=0.05'],
  'softmax cross-entropy': ['objective.loss=softmax'],
  'max-margin, Crammer-Singer': ['objective.reduction=max'],
  'max-margin, margin 0.5': ['objective.margin=0.5'],
  'corruption center-word, 3 negatives': ['objective.corruption=center-word', 'objective.negatives=3'],
  'corruption both': ['objective.corruption=both'],
  'l2': ['regularization.l2=0.0001'],
  'l2 with embeddings': ['regularization.l2=0.0001', 'regularization.l2_embeddings=true'],
  'l1': ['regularization.l1=0.00001'],
  'l1 with embeddings': ['regularization.l1=0.00001', 'regularization.l1_embeddings=true'],
  'preprocess center': ['preprocess.mode=center'],
  'preprocess standardize': ['preprocess.mode=standardize'],
  'preprocess whiten': ['preprocess.mode=whiten'],
  'schedule step': ['schedule.name=step', 'schedule.every=1', 'schedule.factor=0.7'],
  'schedule exponential': ['schedule.name=exponential', 'schedule.k=0.2'],
  'schedule inverse': ['schedule.name=inverse', 'schedule.tau=2'],
  'schedule exponential per step': ['schedule.name=exponential', 'schedule.unit=steps', 'schedule.k=0.0002'],
  'fan-in scaling': ['schedule.fan_in_scaling=true', 'optimizer.lr=0.5'],
  'momentum': ['optimizer.name=momentum', 'optimizer.lr=0.005'],
  'nesterov momentum': ['optimizer.name=momentum', 'optimizer.nesterov=true', 'optimizer.lr=0.005'],
  'adagrad': ['optimizer.name=adagrad', 'optimizer.lr=0.05'],
  'rmsprop': ['optimizer.name=rmsprop', 'optimizer.lr=0.001'],
  'adam': ['optimizer.name=adam', 'optimizer.lr=0.001'],
  'gradient clipping': ['optimizer.clip_norm=0.5'],
  'weight averaging': ['optimizer.average=0.99'],
  'O down-weighted': ['objective.o_weight=0.5'],
  'constrained decoding': ['decode.mode=constrained'],
  'learned transitions, structured hinge': ['decode.mode=learned'],
  'learned transitions, sentence log-likelihood': ['decode.mode=learned', 'objective.loss=softmax'],
};

export const EPOCHS = 4;

/**
 * The F1 of guessing: every dev token gets a label drawn from the training label
 * frequencies (seeded), scored by the same conlleval rules. A trained tagger must beat it.
 */
export function chanceF1(): number {
  const sentences = (file: string): string[][] =>
    readFileSync(join(ROOT, file), 'utf8')
      .split(/\n\s*\n/)
      .map((block) => block.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('-DOCSTART-')).map((l) => l.trim().split(/\s+/).at(-1) ?? 'O'))
      .filter((tags) => tags.length > 0);
  const trainTags = sentences('data/train.txt').flat();
  const rng = new Rng(99);
  const scorer = new EntityScorer('iob2');
  for (const gold of sentences('data/dev.txt')) scorer.add(gold, gold.map(() => trainTags[rng.int(trainTags.length)]));
  return scorer.result().f1;
}

/** Trains default.yaml with the flags and returns the --json summary, checking it completed. */
export function trainWith(sets: string[]): { best: { f1: number }; epochs: { lr: number; loss: number }[] } {
  const out = join(tempDir('ner-train-option-'), 'run');
  const args = ['train', '--config', 'configs/default.yaml', '--json', '--out', out, '--set', `training.epochs=${EPOCHS}`];
  const result = run([...args, ...sets.flatMap((s) => ['--set', s])]);
  expect(result.stderr).not.toMatch(/error/i);
  expect(result.status).toBe(0);
  const summary = JSON.parse(result.stdout) as { best: { f1: number }; epochs: { lr: number; loss: number }[]; interrupted: boolean };
  expect(summary.interrupted).toBe(false);
  expect(summary.epochs).toHaveLength(EPOCHS);
  for (const e of summary.epochs) expect(Number.isFinite(e.loss)).toBe(true);
  return summary;
}

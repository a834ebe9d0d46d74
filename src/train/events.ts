import type { Coverage } from '../data/dataset.js';
import type { TagScheme } from '../data/tags.js';
import type { DetectorScores } from '../eval/detector.js';
import type { EntityScores } from '../eval/metrics.js';

/** Dev scores of an epoch: entity scores (tagger) or detector scores (entity detector). */
export type DevScores = EntityScores | DetectorScores;

export function isTaggerScores(scores: DevScores): scores is EntityScores {
  return 'per_type' in scores;
}

/** One line of metrics.jsonl. Timings: tokens_per_s, epoch_s, elapsed_s; everything else is deterministic. */
export interface EpochRecord {
  epoch: number;
  step: number;
  /** Mean objective per training window: data loss plus the weight penalty. */
  loss: number;
  /** Mean weight penalty R(θ) per step (0 without regularisation). */
  penalty: number;
  /** The learning rate of the epoch's last step (after the schedule). */
  lr: number;
  dev_precision: number | null;
  dev_recall: number | null;
  dev_f1: number | null;
  dev_accuracy: number | null;
  /** Entity detector only: AUC-style ranking accuracy on dev, and the threshold chosen on dev. */
  dev_ranking_accuracy?: number;
  dev_threshold?: number;
  best: boolean;
  tokens_per_s: number;
  epoch_s: number;
  elapsed_s: number;
}

export interface DataSummary {
  train: { path: string; sentences: number; tokens: number };
  dev: { path: string; sentences: number; tokens: number } | null;
  scheme: TagScheme;
  labels: string[];
  vocab_size: number;
  /** coverage: the pretrained vectors' coverage, with the token and distinct-word shares of each step of the look-up chain. */
  embeddings: { path: string; words: number; dim: number; duplicates: number; coverage: { train: Coverage; dev: Coverage | null } } | null;
  parameters: number;
}

/** What the trainer reports as it goes. It never prints: the CLI decides how each looks. */
export type TrainEvent =
  | { type: 'reading'; what: 'train' | 'dev' | 'embeddings'; path: string }
  | { type: 'data'; data: DataSummary }
  | { type: 'fitting'; mode: string; windows: number }
  | { type: 'epoch-start'; epoch: number; epochs: number; steps: number }
  | { type: 'progress'; epoch: number; step: number; steps: number; loss: number; tokensPerS: number; lr: number }
  | { type: 'evaluating'; epoch: number }
  | { type: 'epoch-end'; record: EpochRecord; dev: DevScores | null }
  | { type: 'interrupted'; epoch: number; step: number };

export type TrainEventHandler = (event: TrainEvent) => void;

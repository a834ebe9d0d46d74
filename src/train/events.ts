import type { Coverage } from '../data/dataset.js';
import type { TagScheme } from '../data/tags.js';
import type { EntityScores } from '../eval/metrics.js';

/** One line of metrics.jsonl. Timings: tokens_per_s, epoch_s, elapsed_s; everything else is deterministic. */
export interface EpochRecord {
  epoch: number;
  step: number;
  loss: number;
  lr: number;
  dev_precision: number | null;
  dev_recall: number | null;
  dev_f1: number | null;
  dev_accuracy: number | null;
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
  embeddings: { path: string; words: number; dim: number; duplicates: number; coverage: { train: Coverage; dev: Coverage | null } } | null;
  parameters: number;
}

/** What the trainer reports as it goes. It never prints: the CLI decides how each looks. */
export type TrainEvent =
  | { type: 'reading'; what: 'train' | 'dev' | 'embeddings'; path: string }
  | { type: 'data'; data: DataSummary }
  | { type: 'epoch-start'; epoch: number; epochs: number; steps: number }
  | { type: 'progress'; epoch: number; step: number; steps: number; loss: number; tokensPerS: number; lr: number }
  | { type: 'evaluating'; epoch: number }
  | { type: 'epoch-end'; record: EpochRecord; dev: EntityScores | null }
  | { type: 'interrupted'; epoch: number; step: number };

export type TrainEventHandler = (event: TrainEvent) => void;

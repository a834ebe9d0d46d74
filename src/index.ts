/**
 * The library API: everything the CLI does is one of these calls.
 */
export { loadConfig, validateConfig } from './config/load.js';
export type { LoadedConfig } from './config/load.js';
export { ConfigSchema } from './config/schema.js';
export type { Config } from './config/schema.js';
export { train } from './train/trainer.js';
export { resumeConfig } from './train/resume.js';
export type { TrainOptions, TrainResult } from './train/trainer.js';
export type { TrainEvent, EpochRecord } from './train/events.js';
export { evaluate } from './api/evaluate.js';
export type { EvaluateOptions, EvaluateResult } from './api/evaluate.js';
export { Tagger, entitiesOf } from './api/tagger.js';
export { predictStream } from './api/predict.js';
export { loadCheckpoint, saveCheckpoint } from './checkpoint/checkpoint.js';
export { runGradcheck } from './gradcheck/gradcheck.js';
export type { GradcheckReport } from './gradcheck/gradcheck.js';
export { scoreEntities, EntityScorer } from './eval/metrics.js';
export { gatherReport, writeReport } from './report/report.js';
export { kernelInfo, setKernelThreads } from './math/gemm.js';
export { UserError } from './errors.js';

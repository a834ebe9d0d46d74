/**
 * The bench's command line: the peers' flags (--threads, --batch, --mode, --loss, --optim,
 * --act, --reps, --max-seconds, …, comma lists where they take lists) and the cases they
 * expand to, ours and the peers' counterparts.
 */
import { parseArgs } from 'node:util';
import type { ActName, LossName, OptimName } from './bench-workload.js';
import { PEER_WORKLOAD } from './bench-workload.js';

export type Mode = 'train' | 'predict';

/** One of our cases. Predict cases have no loss and no optimiser (null, as in the peers' records). */
export interface BenchCase {
  threads: number;
  mode: Mode;
  batch: number;
  loss: LossName | null;
  optim: OptimName | null;
  act: ActName;
}

/** How every case is timed; the same values go to the peers' drivers. */
export interface TimingOptions {
  reps: number;
  warmupSteps: number;
  maxSeconds: number;
  tokens: number;
  seed: number;
}

export interface BenchOptions extends TimingOptions {
  cases: BenchCase[];
  /** Predict cases time the plain forward pass instead of the pre-computation tables. */
  plainForward: boolean;
  peers: boolean;
  numpy: boolean;
  quietWait: number;
  retries: number;
  busy: number;
  childTimeout: number;
  out: string | null;
  readme: boolean;
  /** Rebuild the report from a saved file instead of running anything. */
  from: string | null;
  /** Internal: run one case in this process (the JSON of a ChildSpec). */
  child: string | null;
  help: boolean;
}

export class ArgumentError extends Error {}

const MODES: readonly Mode[] = ['train', 'predict'];
const LOSSES: readonly LossName[] = ['hinge', 'softmax'];
const OPTIMS: readonly OptimName[] = ['adam', 'adagrad'];
const ACTS: readonly ActName[] = ['tanh', 'hardtanh', 'relu'];

/** Names other than ours that mean the same thing: ner-train's own loss name, and the peers' name for lazy Adam (which is what our adam is). */
const LOSS_ALIASES: Readonly<Record<string, LossName>> = { 'max-margin': 'hinge' };
const OPTIM_ALIASES: Readonly<Record<string, OptimName>> = { sparseadam: 'adam' };

/** The main cases: training at B = 32 and 256 (max-margin, Adam) and tagging at B = 256, each at every thread count. */
export const DEFAULT_SUITE: readonly Omit<BenchCase, 'threads'>[] = [
  { mode: 'train', batch: 32, loss: 'hinge', optim: 'adam', act: 'tanh' },
  { mode: 'train', batch: 256, loss: 'hinge', optim: 'adam', act: 'tanh' },
  { mode: 'predict', batch: 256, loss: null, optim: null, act: 'tanh' },
];

export const USAGE = `Usage: npm run bench -- [options]

Times full training epochs of ner-train's trainer (and the predict path) on the peers'
workload (../shared/bench/README.md), one fresh process per case; one JSON line per case
on stdout, progress and the summary table on stderr.

  --threads LIST       thread counts (default 1,2)
  --batch LIST         minibatch sizes (e.g. 32,256,1)
  --mode LIST          train | predict
  --loss LIST          hinge (= max-margin) | softmax
  --optim LIST         adam | adagrad (embeddings are updated lazily, like SparseAdam)
  --act LIST           tanh | hardtanh | relu
                       without --batch/--mode/--loss/--optim/--act: the default suite
                       (train B=32 and B=256 hinge adam tanh, predict B=256)
  --reps N             timed epochs per case; the median is reported (default 3)
  --warmup-steps N     steps before timing (default 100, as the peers)
  --max-seconds S      time only the first part of an epoch longer than this and
                       extrapolate (default 20; the peers' own default is 60)
  --tokens N           corpus size (default 204567; smaller for a quick try)
  --seed N             corpus and model seed (default 1234)
  --plain-forward      predict with the plain forward pass, not the pre-computation
                       tables that predict and evaluate use
  --peers              also run ../shared/bench/peer_torch.py on the same cases
                       (NER_BENCH_PEERS overrides the folder) and print ratios
  --numpy              also run peer_numpy.py (lazy sparse variants)
  --quiet-wait S       before each case wait up to S seconds for idle CPUs (default 30)
  --retries N          run a disturbed case again up to N times (default 1)
  --busy F             "disturbed": other processes took more than F of the CPUs (default 0.05)
  --child-timeout S    stop a case that runs longer (default 480)
  --out FILE           also write the report (markdown tables + JSON lines) to FILE
  --readme             rewrite README.md's Speed section (between <!-- bench:begin/end -->)
  --from FILE          build the report (and --readme) from the JSON lines in FILE; run nothing
`;

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        threads: { type: 'string' },
        batch: { type: 'string' },
        mode: { type: 'string' },
        loss: { type: 'string' },
        optim: { type: 'string' },
        act: { type: 'string' },
        reps: { type: 'string' },
        'warmup-steps': { type: 'string' },
        'max-seconds': { type: 'string' },
        tokens: { type: 'string' },
        seed: { type: 'string' },
        'plain-forward': { type: 'boolean' },
        peers: { type: 'boolean' },
        numpy: { type: 'boolean' },
        'quiet-wait': { type: 'string' },
        retries: { type: 'string' },
        busy: { type: 'string' },
        'child-timeout': { type: 'string' },
        out: { type: 'string' },
        readme: { type: 'boolean' },
        from: { type: 'string' },
        child: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new ArgumentError(error instanceof Error ? error.message : String(error));
  }
  const v = parsed.values;
  const threads = list('--threads', v.threads ?? '1,2', (s) => integer('--threads', s, 1));
  const listed = [v.batch, v.mode, v.loss, v.optim, v.act].some((x) => x !== undefined);
  const shapes = listed
    ? expandCases({
        modes: list('--mode', v.mode ?? 'train', (s) => oneOf('--mode', s, MODES)),
        batches: list('--batch', v.batch ?? '32', (s) => integer('--batch', s, 1)),
        losses: list('--loss', v.loss ?? 'hinge', (s) => oneOf('--loss', LOSS_ALIASES[s] ?? s, LOSSES)),
        optims: list('--optim', v.optim ?? 'adam', (s) => oneOf('--optim', OPTIM_ALIASES[s] ?? s, OPTIMS)),
        acts: list('--act', v.act ?? 'tanh', (s) => oneOf('--act', s, ACTS)),
      })
    : DEFAULT_SUITE;
  return {
    cases: withThreads(shapes, threads),
    reps: integer('--reps', v.reps ?? '3', 1),
    warmupSteps: integer('--warmup-steps', v['warmup-steps'] ?? '100', 1),
    // 20 s rather than the peers' 60: with today's plain kernels a B=32 epoch takes about a
    // minute, and 20 s of it is still thousands of steps, a stable rate; the default suite
    // then takes minutes, not a quarter of an hour. The peers get the same value.
    maxSeconds: positive('--max-seconds', v['max-seconds'] ?? '20'),
    tokens: integer('--tokens', v.tokens ?? String(PEER_WORKLOAD.tokens), 1),
    seed: integer('--seed', v.seed ?? String(PEER_WORKLOAD.seed), 0),
    plainForward: v['plain-forward'] ?? false,
    peers: v.peers ?? false,
    numpy: v.numpy ?? false,
    quietWait: nonNegative('--quiet-wait', v['quiet-wait'] ?? '30'),
    retries: integer('--retries', v.retries ?? '1', 0),
    busy: nonNegative('--busy', v.busy ?? '0.05'),
    childTimeout: positive('--child-timeout', v['child-timeout'] ?? '480'),
    out: v.out ?? null,
    readme: v.readme ?? false,
    from: v.from ?? null,
    child: v.child ?? null,
    help: v.help ?? false,
  };
}

/**
 * Every combination of the lists, as the peers' drivers expand them: a predict case takes
 * neither a loss nor an optimiser, so those collapse to one case per (batch, act).
 * Order: mode, batch, loss, optim, act; duplicates dropped.
 */
export function expandCases(lists: {
  modes: readonly Mode[];
  batches: readonly number[];
  losses: readonly LossName[];
  optims: readonly OptimName[];
  acts: readonly ActName[];
}): Omit<BenchCase, 'threads'>[] {
  const out: Omit<BenchCase, 'threads'>[] = [];
  const seen = new Set<string>();
  for (const mode of lists.modes)
    for (const batch of lists.batches)
      for (const loss of lists.losses)
        for (const optim of lists.optims)
          for (const act of lists.acts) {
            const shape = mode === 'predict' ? { mode, batch, loss: null, optim: null, act } : { mode, batch, loss, optim, act };
            const key = JSON.stringify(shape);
            if (seen.has(key)) continue;
            seen.add(key);
            out.push(shape);
          }
  return out;
}

/** Each case at each thread count, thread-minor (as the peers order them), so the runs of one case sit together. */
export function withThreads(shapes: readonly Omit<BenchCase, 'threads'>[], threads: readonly number[]): BenchCase[] {
  return shapes.flatMap((shape) => [...new Set(threads)].map((t) => ({ threads: t, ...shape })));
}

function list<T>(flag: string, text: string, parse: (item: string) => T): T[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new ArgumentError(`${flag}: empty item in '${text}'`);
  return [...new Set(items.map(parse))];
}

function integer(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min) throw new ArgumentError(`${flag}: expected an integer >= ${min}, got '${text}'`);
  return n;
}

function positive(flag: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) throw new ArgumentError(`${flag}: expected a number > 0, got '${text}'`);
  return n;
}

function nonNegative(flag: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) throw new ArgumentError(`${flag}: expected a number >= 0, got '${text}'`);
  return n;
}

function oneOf<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  const found = allowed.find((a) => a === text);
  if (found === undefined) throw new ArgumentError(`${flag}: '${text}' is not one of ${allowed.join(', ')}`);
  return found;
}

/**
 * What the bench makes of its records: the timing arithmetic shared with the peers
 * (median, extrapolated partial epochs), the ratios ours / theirs as issue 5 defines
 * them, and the markdown tables for the terminal, --out and README.md.
 */
import { z } from 'zod';

/** A case's record as any of the drivers prints it (ours, peer_torch.py, peer_numpy.py); unknown fields are kept. */
export const BenchRecordSchema = z.looseObject({
  impl: z.string(),
  threads: z.number().int(),
  batch: z.number().int(),
  mode: z.enum(['train', 'predict']),
  loss: z.string().nullable(),
  optim: z.string().nullable(),
  embedding: z.string().nullable().optional(),
  act: z.string().optional(),
  tokens_per_s: z.number(),
  epoch_s: z.number(),
  peak_rss_mb: z.number(),
  extrapolated: z.boolean().optional(),
  other_load_reps: z.array(z.number().nullable()).optional(),
  threads_applied: z.boolean().optional(),
  kernel: z.string().optional(),
  kernel_threads: z.number().int().optional(),
  scorer: z.string().nullable().optional(),
  first_pass_tokens_per_s: z.number().nullable().optional(),
  blas: z.string().optional(),
  // Sizes, for the work per token; every driver prints them.
  hidden: z.number().int().optional(),
  dim: z.number().int().optional(),
  window: z.number().int().optional(),
  classes: z.number().int().optional(),
});
export type BenchRecord = z.infer<typeof BenchRecordSchema>;

/** A driver's record, validated; in the driver's own key order (zod would list the schema's keys first), which is the order people read. */
export function parseRecord(value: unknown): BenchRecord {
  const parsed = BenchRecordSchema.parse(value);
  const ordered: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  return Object.assign(ordered, parsed);
}

/** Where the numbers were measured; a line of its own in --out files. */
export interface MachineInfo {
  cpu: string;
  cpus: number;
  node: string;
  date: string;
}

export const OURS = 'ner-train';

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * How much of an epoch to time, as the peers decide it: all of it, unless at the warm-up's
 * step time it would take longer than maxSeconds; then the first ⌊maxSeconds/step⌋ steps
 * (at least one), and epoch_s is extrapolated from their rate.
 */
export function extrapolation(stepS: number, stepsPerEpoch: number, batch: number, tokens: number, maxSeconds: number): { steps: number; tokensTimed: number } {
  let steps = stepsPerEpoch;
  if (stepS * stepsPerEpoch > maxSeconds) steps = Math.max(1, Math.floor(maxSeconds / stepS));
  return { steps, tokensTimed: Math.min(tokens, steps * batch) };
}

/**
 * Floating-point operations per token in the matrix products, as the peers' README counts
 * them: forward 2·(H·D + K·H); training adds the two backward products of each layer, 3×
 * in all. Null when the record lacks the sizes.
 */
export function flopsPerToken(r: BenchRecord): number | null {
  const { hidden: H, dim, window: w, classes: K } = r;
  if (H === undefined || dim === undefined || w === undefined || K === undefined) return null;
  return (r.mode === 'train' ? 3 : 1) * 2 * (H * dim * w + K * H);
}

/**
 * The rate in GFLOP/s of the dense products it stands for: a measure against the
 * machine's float32 peak (../shared/bench/gemm_peak.py). For tagging through the
 * pre-computation tables fewer operations are actually done; the figure is then the dense
 * equivalent.
 */
export function gflops(r: BenchRecord): number | null {
  const flops = flopsPerToken(r);
  return flops === null ? null : (r.tokens_per_s * flops) / 1e9;
}

/** Parses every line that looks like a JSON object; the rest (progress, blank lines) is skipped. Machine lines go apart. */
export function parseRecordLines(text: string): { records: BenchRecord[]; machine: MachineInfo | null } {
  const records: BenchRecord[] = [];
  let machine: MachineInfo | null = null;
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('{')) continue;
    const value: unknown = JSON.parse(trimmed);
    const asMachine = MachineLineSchema.safeParse(value);
    if (asMachine.success) {
      machine = asMachine.data.machine;
      continue;
    }
    records.push(parseRecord(value));
  }
  return { records, machine };
}

const MachineLineSchema = z.strictObject({
  machine: z.strictObject({ cpu: z.string(), cpus: z.number(), node: z.string(), date: z.string() }),
});

export function implFamily(impl: string): 'ours' | 'torch' | 'numpy' | 'other' {
  if (impl === OURS) return 'ours';
  if (impl.startsWith('torch')) return 'torch';
  if (impl.startsWith('numpy')) return 'numpy';
  return 'other';
}

/**
 * Peer optimisers that count as the same method as ours. Our Adam updates embedding rows
 * lazily; torch's best is defined over dense Adam and SparseAdam alike, so both compare.
 * AdaGrad's dense and sparse variants are the same maths.
 */
const PEER_OPTIMS: Readonly<Record<string, readonly string[]>> = {
  adam: ['adam', 'sparseadam'],
  adagrad: ['adagrad'],
};

/** Whether a peer record times the same workload as our case: mode, batch, activation, and for training the loss and the optimiser family. */
export function sameWorkload(ours: BenchRecord, peer: BenchRecord): boolean {
  if (ours.mode !== peer.mode || ours.batch !== peer.batch || (ours.act ?? 'tanh') !== (peer.act ?? 'tanh')) return false;
  if (ours.mode === 'predict') return true;
  return ours.loss === peer.loss && ours.optim !== null && peer.optim !== null && (PEER_OPTIMS[ours.optim] ?? [ours.optim]).includes(peer.optim);
}

function fastest(records: readonly BenchRecord[]): BenchRecord | null {
  return records.reduce<BenchRecord | null>((best, r) => (best === null || r.tokens_per_s > best.tokens_per_s ? r : best), null);
}

/** One of our cases next to its peers. */
export interface Comparison {
  ours: BenchRecord;
  /** The fastest torch variant (dense or sparse) at the same thread count. */
  torchSameThreads: BenchRecord | null;
  /** torch's best: over every thread count and variant (issue 5's yardstick). */
  torchBest: BenchRecord | null;
  numpyBest: BenchRecord | null;
}

export function compare(records: readonly BenchRecord[]): Comparison[] {
  const peers = records.filter((r) => implFamily(r.impl) !== 'ours');
  return records
    .filter((r) => implFamily(r.impl) === 'ours')
    .map((ours) => {
      const same = peers.filter((p) => sameWorkload(ours, p));
      const torch = same.filter((p) => implFamily(p.impl) === 'torch');
      return {
        ours,
        torchSameThreads: fastest(torch.filter((p) => p.threads === ours.threads)),
        torchBest: fastest(torch),
        numpyBest: fastest(same.filter((p) => implFamily(p.impl) === 'numpy')),
      };
    });
}

export function ratio(ours: BenchRecord, theirs: BenchRecord | null): number | null {
  return theirs === null || theirs.tokens_per_s <= 0 ? null : ours.tokens_per_s / theirs.tokens_per_s;
}

/** Issue 5's targets: ours (best thread count) over torch's best. */
export interface Target {
  label: string;
  mode: 'train' | 'predict';
  batch: number;
  loss: string | null;
  optim: string | null;
  atLeast: number;
}

export const TARGETS: readonly Target[] = [
  { label: 'train B=32, max-margin, Adam', mode: 'train', batch: 32, loss: 'hinge', optim: 'adam', atLeast: 1.5 },
  { label: 'train B=256, max-margin, Adam', mode: 'train', batch: 256, loss: 'hinge', optim: 'adam', atLeast: 1.0 },
  { label: 'tagging B=256', mode: 'predict', batch: 256, loss: null, optim: null, atLeast: 2.0 },
];

export interface TargetOutcome {
  target: Target;
  ours: BenchRecord | null;
  torchBest: BenchRecord | null;
  numpyBest: BenchRecord | null;
  ratio: number | null;
}

export function targetOutcomes(records: readonly BenchRecord[]): TargetOutcome[] {
  const comparisons = compare(records).filter((c) => (c.ours.act ?? 'tanh') === 'tanh');
  return TARGETS.map((target) => {
    const matching = comparisons.filter(
      (c) => c.ours.mode === target.mode && c.ours.batch === target.batch && (target.mode === 'predict' || (c.ours.loss === target.loss && c.ours.optim === target.optim)),
    );
    const best = matching.reduce<Comparison | null>((b, c) => (b === null || c.ours.tokens_per_s > b.ours.tokens_per_s ? c : b), null);
    return {
      target,
      ours: best?.ours ?? null,
      torchBest: best?.torchBest ?? null,
      numpyBest: best?.numpyBest ?? null,
      ratio: best ? ratio(best.ours, best.torchBest) : null,
    };
  });
}

// ---------------------------------------------------------------------------------
// Markdown

const rate = (x: number): string => Math.round(x).toLocaleString('en-US');
const times = (x: number | null): string => (x === null ? '–' : `${x.toFixed(2)}×`);

function variant(r: BenchRecord): string {
  if (r.mode === 'predict') return r.scorer ? `forward (${r.scorer})` : 'forward';
  return r.embedding ? `${r.optim ?? '?'} (${r.embedding})` : (r.optim ?? '?');
}

function loadNote(r: BenchRecord): string {
  const reps = (r.other_load_reps ?? []).filter((x): x is number => x !== null);
  return reps.length === 0 ? '–' : Math.max(...reps).toFixed(2);
}

function peerCell(r: BenchRecord | null): string {
  if (r === null) return '–';
  return `${rate(r.tokens_per_s)} (${r.mode === 'predict' ? '' : `${r.optim ?? ''}, `}T=${r.threads})`;
}

/** Every record, one row each. */
export function resultsTable(records: readonly BenchRecord[]): string {
  const rows = records.map((r) => {
    const notes: string[] = [];
    if (r.extrapolated) notes.push('extrapolated');
    if (r.kernel) notes.push(`${r.kernel} kernels`);
    if (typeof r.first_pass_tokens_per_s === 'number') notes.push(`tables warm; first pass, filling them: ${rate(r.first_pass_tokens_per_s)}`);
    if (r.threads_applied === false) notes.push(`ran on ${r.kernel_threads ?? 1} thread(s)`);
    if (r.blas) notes.push(r.blas);
    const g = gflops(r);
    return `| ${r.impl} | ${r.mode} | ${r.batch} | ${r.loss ?? '–'} | ${variant(r)} | ${r.act ?? 'tanh'} | ${r.threads} | ${rate(r.tokens_per_s)} | ${r.epoch_s.toFixed(2)} | ${g === null ? '–' : g.toFixed(1)} | ${r.peak_rss_mb.toFixed(0)} | ${loadNote(r)} | ${notes.join('; ')} |`;
  });
  return [
    '| impl | mode | B | loss | optimiser (embedding) | act | threads | tokens/s | epoch s | GFLOP/s | peak RSS MB | other load | notes |',
    '|---|---|---:|---|---|---|---:|---:|---:|---:|---:|---:|---|',
    ...rows,
  ].join('\n');
}

/** Our cases against torch at the same thread count, torch's best and numpy's best. */
export function ratioTable(records: readonly BenchRecord[]): string {
  const rows = compare(records).map(({ ours, torchSameThreads, torchBest, numpyBest }) =>
    `| ${ours.mode} | ${ours.batch} | ${ours.loss ?? '–'} | ${ours.optim ?? '–'} | ${ours.act ?? 'tanh'} | ${ours.threads} | ${rate(ours.tokens_per_s)} | ${peerCell(torchSameThreads)} | ${times(ratio(ours, torchSameThreads))} | ${peerCell(torchBest)} | **${times(ratio(ours, torchBest))}** | ${peerCell(numpyBest)} | ${times(ratio(ours, numpyBest))} |`,
  );
  return [
    '| mode | B | loss | optimiser | act | threads | ner-train tokens/s | torch, same threads | ours / torch | torch best | ours / torch best | numpy best | ours / numpy best |',
    '|---|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

/** Issue 5's three targets: met or not, from this run. */
export function targetTable(records: readonly BenchRecord[]): string {
  const rows = targetOutcomes(records).map(({ target, ours, torchBest, numpyBest, ratio: r }) => {
    const verdict = r === null ? 'not measured' : r >= target.atLeast ? 'met' : 'not yet';
    const oursCell = ours ? `${rate(ours.tokens_per_s)} (T=${ours.threads})` : '–';
    const numpy = ours && numpyBest ? ` | ${peerCell(numpyBest)} | ${times(ratio(ours, numpyBest))}` : ' | – | –';
    return `| ${target.label} | ${oursCell} | ${peerCell(torchBest)} | **${times(r)}** | ≥ ${target.atLeast}× | ${verdict}${numpy} |`;
  });
  return [
    '| case | ner-train best | torch best | ours / torch best | target | | numpy best | ours / numpy best |',
    '|---|---:|---:|---:|---:|---|---:|---:|',
    ...rows,
  ].join('\n');
}

export function machineLine(machine: MachineInfo, records: readonly BenchRecord[]): string {
  const torch = records.find((r) => implFamily(r.impl) === 'torch');
  const numpy = records.find((r) => implFamily(r.impl) === 'numpy');
  const parts = [`${machine.cpu}, ${machine.cpus} CPUs`, `Node ${machine.node}`];
  if (torch) parts.push(`${torch.impl.replace('torch-', 'PyTorch ')}${torch.blas ? ` with ${torch.blas}` : ''}`);
  if (numpy) parts.push(numpy.impl.replace('numpy-', 'numpy '));
  return `Measured ${machine.date} on ${parts.join('; ')}.`;
}

/** Above this share of the CPUs taken by other processes, a timing counts as disturbed (the peers' --busy default). */
export const DISTURBED = 0.05;

/** A warning when other processes took a noticeable share of the machine during some runs; null when none did. */
export function disturbedNote(records: readonly BenchRecord[]): string | null {
  const loads = records.map((r) => Math.max(0, ...(r.other_load_reps ?? []).filter((x): x is number => x !== null)));
  const disturbed = loads.filter((x) => x > DISTURBED).length;
  if (disturbed === 0) return null;
  const worst = Math.max(...loads);
  return `**Disturbed:** other processes used more than ${DISTURBED} of the CPUs (up to ${worst.toFixed(2)}) during ${disturbed} of these ${records.length} runs (column "other load"); those rates are lower than the machine gives, two-thread ones most of all.`;
}

/** The whole report: what --out writes, what goes between the README markers, and what the terminal shows. */
export function markdownReport(records: readonly BenchRecord[], machine: MachineInfo): string {
  const hasPeers = records.some((r) => implFamily(r.impl) !== 'ours');
  const note = disturbedNote(records);
  const sections = note ? [machineLine(machine, records), note] : [machineLine(machine, records)];
  if (hasPeers) sections.push(targetTable(records), ratioTable(records));
  sections.push(resultsTable(records));
  return sections.join('\n\n');
}

/**
 * The peers of ../shared/bench (peer_torch.py, peer_numpy.py) run on the same cases as
 * ours: which of their configurations each of our cases needs, their command lines, and
 * their JSON lines read back.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BenchCase, BenchOptions } from './bench-args.js';
import { parseRecord, type BenchRecord } from './bench-report.js';

export const ROOT = resolve(import.meta.dirname, '../..');

/** Debian's torch lives in the system interpreter, not in a pyenv/venv python3. */
export const PYTHON = '/usr/bin/python3';

export type PeerName = 'torch' | 'numpy';

export const PEER_SCRIPTS: Readonly<Record<PeerName, string>> = { torch: 'peer_torch.py', numpy: 'peer_numpy.py' };

export function peersDir(): string {
  return resolve(process.env.NER_BENCH_PEERS ?? join(ROOT, '../shared/bench'));
}

/** Why a peer cannot run here, or null when it can: its script must exist and its module import. */
export function peerUnavailable(peer: PeerName): string | null {
  const script = join(peersDir(), PEER_SCRIPTS[peer]);
  if (!existsSync(script)) return `${script} not found (set NER_BENCH_PEERS to the folder holding it)`;
  const probe = spawnSync(PYTHON, ['-c', `import ${peer}`], { stdio: 'ignore', timeout: 120_000 });
  if (probe.error) return `${PYTHON} cannot run: ${probe.error.message}`;
  return probe.status === 0 ? null : `${PYTHON} -c "import ${peer}" fails`;
}

/** One configuration of a peer driver, in its own vocabulary. */
export interface PeerCase {
  peer: PeerName;
  threads: number;
  mode: BenchCase['mode'];
  batch: number;
  loss: BenchCase['loss'];
  /** adam | sparseadam | adagrad (null for predict). */
  optim: string | null;
  /** dense | sparse embedding gradient (null for predict). */
  embedding: 'dense' | 'sparse' | null;
  act: BenchCase['act'];
}

/**
 * The peer configurations that our `cases` are compared with. torch: both its Adam
 * variants (dense Adam, SparseAdam) or both AdaGrad variants, at threads 1 and 2 and any
 * other count we ran, since issue 5's yardstick is torch's best over all of those. numpy:
 * only its lazy sparse variants (the ones that match ours and that are its fastest).
 */
export function peerCases(cases: readonly BenchCase[], peer: PeerName): PeerCase[] {
  const threads = [...new Set([1, 2, ...cases.map((c) => c.threads)])].sort((a, b) => a - b);
  const out: PeerCase[] = [];
  const seen = new Set<string>();
  for (const c of cases) {
    const variants: { optim: string | null; embedding: PeerCase['embedding'] }[] =
      c.mode === 'predict' ? [{ optim: null, embedding: null }] : trainVariants(c.optim ?? 'adam', peer);
    for (const t of threads)
      for (const v of variants) {
        const pc: PeerCase = { peer, threads: t, mode: c.mode, batch: c.batch, loss: c.mode === 'predict' ? null : c.loss, optim: v.optim, embedding: v.embedding, act: c.act };
        const key = JSON.stringify(pc);
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(pc);
      }
  }
  return out;
}

function trainVariants(optim: string, peer: PeerName): { optim: string; embedding: 'dense' | 'sparse' }[] {
  if (optim === 'adam') {
    const sparse = { optim: 'sparseadam', embedding: 'sparse' as const };
    return peer === 'torch' ? [{ optim: 'adam', embedding: 'dense' }, sparse] : [sparse];
  }
  return peer === 'torch' ? [{ optim, embedding: 'dense' }, { optim, embedding: 'sparse' }] : [{ optim, embedding: 'sparse' }];
}

/** The driver's command line for one configuration; timing options are ours, so both sides time alike. */
export function peerArgs(pc: PeerCase, options: Pick<BenchOptions, 'reps' | 'warmupSteps' | 'maxSeconds' | 'tokens' | 'quietWait' | 'retries' | 'busy' | 'childTimeout'>): string[] {
  const args = [
    join(peersDir(), PEER_SCRIPTS[pc.peer]),
    '--threads', String(pc.threads),
    '--batch', String(pc.batch),
    '--mode', pc.mode,
    '--act', pc.act,
    '--reps', String(options.reps),
    '--warmup-steps', String(options.warmupSteps),
    '--max-seconds', String(options.maxSeconds),
    '--tokens', String(options.tokens),
    '--quiet-wait', String(options.quietWait),
    '--retries', String(options.retries),
    '--busy', String(options.busy),
    '--child-timeout', String(options.childTimeout),
  ];
  if (pc.mode === 'train') args.push('--loss', pc.loss ?? 'hinge', '--optim', pc.optim ?? 'adam', '--embedding', pc.embedding ?? 'dense');
  return args;
}

/** Runs one peer configuration; its progress goes to our stderr, its records come back parsed. */
export async function runPeer(pc: PeerCase, options: BenchOptions): Promise<BenchRecord[]> {
  const child = spawn(PYTHON, peerArgs(pc, options), { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (stdout += chunk));
  // The driver stops its own children after --child-timeout per attempt; this is the backstop.
  const limitMs = (options.retries + 1) * (options.childTimeout + options.quietWait + 60) * 1000;
  const timer = setTimeout(() => child.kill('SIGTERM'), limitMs);
  const code = await new Promise<number | null>((done, fail) => {
    child.on('error', fail);
    child.on('close', done);
  }).finally(() => clearTimeout(timer));
  const records = stdout
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => parseRecord(JSON.parse(line)));
  if (code !== 0 && records.length === 0) throw new Error(`${PEER_SCRIPTS[pc.peer]} exited with ${code}`);
  return records;
}

export function describePeerCase(pc: PeerCase): string {
  const training = pc.mode === 'train' ? ` ${pc.loss} ${pc.optim} (${pc.embedding})` : '';
  return `${pc.peer} ${pc.mode} B=${pc.batch} T=${pc.threads}${training} ${pc.act}`;
}

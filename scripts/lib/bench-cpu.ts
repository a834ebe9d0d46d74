/**
 * How much of the machine other processes took while a case was timed, measured the way
 * the peers measure it (/proc/stat against this process's own CPU time), so that a
 * disturbed measurement shows in its record instead of passing for a slow one.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/** CPU seconds: busy time of the whole machine (steal excluded), stolen time, and this process's own time. */
export interface CpuCounters {
  busy: number;
  steal: number;
  own: number;
}

/**
 * Clock ticks per second of /proc/stat. Node has no sysconf; USER_HZ is 100 on every
 * Linux architecture Node runs on (the kernel fixes it for the ABI).
 */
const USER_HZ = 100;

/** The aggregate "cpu" line of /proc/stat: user nice system idle iowait irq softirq steal … → busy and steal ticks. */
export function parseProcStat(text: string): { busy: number; steal: number } {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (line === undefined) throw new Error('/proc/stat has no aggregate cpu line');
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (v.length < 8 || v.some((x) => !Number.isFinite(x))) throw new Error(`/proc/stat: unexpected cpu line '${line}'`);
  const total = v.reduce((a, b) => a + b, 0);
  const [, , , idle, iowait, , , steal] = v;
  return { busy: total - idle - iowait - steal, steal };
}

/** Null where /proc/stat does not exist (not Linux): the share is then reported as null. */
export function cpuCounters(): CpuCounters | null {
  let text: string;
  try {
    text = readFileSync('/proc/stat', 'utf8');
  } catch {
    return null;
  }
  const { busy, steal } = parseProcStat(text);
  const usage = process.cpuUsage();
  return { busy: busy / USER_HZ, steal: steal / USER_HZ, own: (usage.user + usage.system) / 1e6 };
}

/**
 * Shares of the machine's CPUs used by other processes and stolen by the hypervisor over
 * `wall` seconds: (machine busy − own) / (wall · cpus). Tick granularity (10 ms) makes
 * short intervals noisy; the peers round to 0.001 and so do we.
 */
export function othersShare(before: CpuCounters, after: CpuCounters, wall: number, cpus: number): { other: number; steal: number } {
  const span = Math.max(wall, 1e-9) * cpus;
  const busy = after.busy - before.busy;
  const own = after.own - before.own;
  return { other: round3(Math.max(0, (busy - own) / span)), steal: round3(Math.max(0, (after.steal - before.steal) / span)) };
}

export function machineCpus(): number {
  return availableParallelism();
}

/**
 * Waits until other processes use less than `busy` of the CPUs over one second, or until
 * `limitS` seconds have passed; returns the last share seen (null without /proc/stat).
 */
export async function waitForQuiet(limitS: number, busy: number, log: (line: string) => void): Promise<number | null> {
  const deadline = Date.now() + limitS * 1000;
  for (;;) {
    const before = cpuCounters();
    const t0 = performance.now();
    await sleep(1000);
    const after = cpuCounters();
    if (before === null || after === null) return null;
    const { other } = othersShare(before, after, (performance.now() - t0) / 1000, machineCpus());
    if (other < busy || Date.now() >= deadline) return other;
    log(`  waiting: other processes use ${Math.round(other * 100)}% of the CPUs`);
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

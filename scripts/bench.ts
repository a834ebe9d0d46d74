/**
 * `npm run bench`: ner-train's training and tagging speed on the peers' workload
 * (../shared/bench/README.md), side by side with PyTorch (and numpy) on this machine —
 * issue 5's yardstick.
 *
 *   npm run bench                                   # default suite, ours only
 *   npm run bench -- --peers                        # and peer_torch.py on the same cases, with ratios
 *   npm run bench -- --batch 32,256 --mode train,predict --threads 1,2 --peers --out runs/bench.md
 *   npm run bench -- --from runs/bench.md --readme  # README's Speed section from a saved run
 *
 * Each case runs in a fresh process (see lib/bench-child.ts) that builds the real
 * training setup (src/train/setup.ts) on a synthetic corpus (lib/bench-workload.ts).
 * One JSON line per case on stdout (ours and the peers'); progress and the markdown
 * summary on stderr. `--help` lists the flags.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { ArgumentError, parseBenchArgs, USAGE, type BenchCase, type BenchOptions } from './lib/bench-args.js';
import { runCase } from './lib/bench-case.js';
import { ChildSpecSchema, describeCase, runOurCase } from './lib/bench-child.js';
import { describePeerCase, peerCases, peerUnavailable, runPeer, type PeerName } from './lib/bench-peers.js';
import { markdownReport, parseRecordLines, type BenchRecord, type MachineInfo } from './lib/bench-report.js';
import { writeReadmeTable } from './lib/conll-runs.js';

const log = (line: string): void => void process.stderr.write(`${line}\n`);

async function main(argv: readonly string[]): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchArgs(argv);
  } catch (error) {
    if (!(error instanceof ArgumentError)) throw error;
    log(`bench: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (options.child !== null) {
    const spec = ChildSpecSchema.parse(JSON.parse(options.child));
    process.stdout.write(`${JSON.stringify(runCase(spec.case, spec.timing, spec.options, log))}\n`);
    return 0;
  }
  if (options.from !== null) {
    const saved = parseRecordLines(readFileSync(options.from, 'utf8'));
    report(saved.records, saved.machine ?? thisMachine(), options);
    return 0;
  }
  return runAll(options);
}

async function runAll(options: BenchOptions): Promise<number> {
  const peers: PeerName[] = [];
  for (const [peer, wanted] of [['torch', options.peers], ['numpy', options.numpy]] as const) {
    if (!wanted) continue;
    const why = peerUnavailable(peer);
    if (why === null) peers.push(peer);
    else log(`bench: ${why}: no ${peer} peer in this run, ner-train only`);
  }
  const records: BenchRecord[] = [];
  let failures = 0;
  const emit = (record: BenchRecord): void => {
    records.push(record);
    process.stdout.write(`${JSON.stringify(record)}\n`);
  };
  // A case at every thread count, then its peers: the runs compared sit close in time,
  // so a change in the machine's load hits both sides alike.
  for (const group of groupByShape(options.cases)) {
    for (const c of group) {
      log(`# ${describeCase(c)}`);
      const record = await runOurCase(c, options, log);
      if (record) emit(record);
      else failures++;
    }
    for (const peer of peers) {
      for (const pc of peerCases(group, peer)) {
        log(`# ${describePeerCase(pc)}`);
        try {
          const got = await runPeer(pc, options);
          got.forEach(emit);
          if (got.length === 0) failures++;
        } catch (error) {
          log(`  ${error instanceof Error ? error.message : String(error)}`);
          failures++;
        }
      }
    }
  }
  report(records, thisMachine(), options);
  return failures > 0 ? 1 : 0;
}

/** Cases that differ only in their thread count, together, in the order given. */
function groupByShape(cases: readonly BenchCase[]): BenchCase[][] {
  const groups = new Map<string, BenchCase[]>();
  for (const c of cases) {
    const key = JSON.stringify({ ...c, threads: 0 });
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return [...groups.values()];
}

function report(records: readonly BenchRecord[], machine: MachineInfo, options: BenchOptions): void {
  const markdown = markdownReport(records, machine);
  log(`\n${markdown}\n`);
  if (options.out !== null) {
    const lines = [JSON.stringify({ machine }), ...records.map((r) => JSON.stringify(r))];
    mkdirSync(dirname(options.out), { recursive: true });
    writeFileSync(options.out, `# ner-train bench\n\n${markdown}\n\n\`\`\`jsonl\n${lines.join('\n')}\n\`\`\`\n`);
    log(`bench: wrote ${options.out}`);
  }
  if (options.readme) {
    writeReadmeTable('bench', markdown);
    log('bench: rewrote the Speed section of README.md');
  }
}

function thisMachine(): MachineInfo {
  let cpu = cpus()[0]?.model ?? 'unknown CPU';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line) cpu = line.slice(line.indexOf(':') + 1).trim();
  } catch {
    // Not Linux: os.cpus() named it.
  }
  return { cpu, cpus: cpus().length, node: process.version, date: new Date().toISOString().slice(0, 10) };
}

process.exitCode = await main(process.argv.slice(2));

import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../../scripts/lib/bench-args.js';
import { othersShare, parseProcStat } from '../../scripts/lib/bench-cpu.js';
import { describePeerCase, peerArgs, peerCases } from '../../scripts/lib/bench-peers.js';

describe('peerCases', () => {
  it('gives torch both Adam variants at threads 1 and 2 for every training case, one forward pass per predict case', () => {
    const { cases } = parseBenchArgs([]);
    expect(peerCases(cases, 'torch').map(describePeerCase)).toEqual([
      'torch train B=32 T=1 hinge adam (dense) tanh',
      'torch train B=32 T=1 hinge sparseadam (sparse) tanh',
      'torch train B=32 T=2 hinge adam (dense) tanh',
      'torch train B=32 T=2 hinge sparseadam (sparse) tanh',
      'torch train B=256 T=1 hinge adam (dense) tanh',
      'torch train B=256 T=1 hinge sparseadam (sparse) tanh',
      'torch train B=256 T=2 hinge adam (dense) tanh',
      'torch train B=256 T=2 hinge sparseadam (sparse) tanh',
      'torch predict B=256 T=1 tanh',
      'torch predict B=256 T=2 tanh',
    ]);
  });

  it('runs torch at 1 and 2 threads even when we ran one, since its best is over both; numpy only lazily', () => {
    const { cases } = parseBenchArgs(['--threads', '1', '--optim', 'adagrad', '--loss', 'softmax']);
    expect(peerCases(cases, 'torch').map(describePeerCase)).toEqual([
      'torch train B=32 T=1 softmax adagrad (dense) tanh',
      'torch train B=32 T=1 softmax adagrad (sparse) tanh',
      'torch train B=32 T=2 softmax adagrad (dense) tanh',
      'torch train B=32 T=2 softmax adagrad (sparse) tanh',
    ]);
    expect(peerCases(parseBenchArgs(['--threads', '4', '--batch', '32']).cases, 'numpy').map(describePeerCase)).toEqual([
      'numpy train B=32 T=1 hinge sparseadam (sparse) tanh',
      'numpy train B=32 T=2 hinge sparseadam (sparse) tanh',
      'numpy train B=32 T=4 hinge sparseadam (sparse) tanh',
    ]);
  });

  it('passes our timing options on, in the drivers\' flags', () => {
    const options = parseBenchArgs(['--reps', '2', '--max-seconds', '5', '--tokens', '1000', '--quiet-wait', '0']);
    const [train] = peerCases(options.cases, 'torch');
    const args = peerArgs(train, options);
    expect(args[0]).toMatch(/peer_torch\.py$/);
    const flags = Object.fromEntries(Array.from({ length: (args.length - 1) / 2 }, (_, i) => [args[1 + 2 * i], args[2 + 2 * i]]));
    expect(flags).toEqual({
      '--threads': '1', '--batch': '32', '--mode': 'train', '--act': 'tanh', '--reps': '2', '--warmup-steps': '100', '--max-seconds': '5',
      '--tokens': '1000', '--quiet-wait': '0', '--retries': '1', '--busy': '0.05', '--child-timeout': '480',
      '--loss': 'hinge', '--optim': 'adam', '--embedding': 'dense',
    });
    const predict = peerCases(parseBenchArgs(['--mode', 'predict']).cases, 'torch')[0];
    expect(peerArgs(predict, options)).not.toContain('--loss');
  });
});

describe('CPU share of other processes', () => {
  it('reads busy and steal ticks from the aggregate cpu line', () => {
    const stat = 'cpu  100 5 50 1000 20 3 2 7 0 0\ncpu0 50 2 25 500 10 1 1 3 0 0\n';
    expect(parseProcStat(stat)).toEqual({ busy: 100 + 5 + 50 + 3 + 2, steal: 7 });
    expect(() => parseProcStat('intr 1 2 3')).toThrow(/no aggregate cpu line/);
  });

  it('is (machine busy − own) / (wall · cpus), never negative', () => {
    // 10 s on 2 CPUs: the machine was busy 15 CPU-s, 10 of them ours → others took a quarter.
    expect(othersShare({ busy: 0, steal: 0, own: 0 }, { busy: 15, steal: 1, own: 10 }, 10, 2)).toEqual({ other: 0.25, steal: 0.05 });
    // Tick rounding can make own exceed the machine's count.
    expect(othersShare({ busy: 0, steal: 0, own: 0 }, { busy: 9.99, steal: 0, own: 10 }, 10, 2).other).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { ArgumentError, parseBenchArgs } from '../../scripts/lib/bench-args.js';

const short = (cases: ReturnType<typeof parseBenchArgs>['cases']): string[] =>
  cases.map((c) => `${c.mode} B=${c.batch} T=${c.threads}${c.loss ? ` ${c.loss}` : ''}${c.optim ? ` ${c.optim}` : ''} ${c.act}`);

describe('parseBenchArgs', () => {
  it('without case flags runs the issue\'s main cases at threads 1 and 2, with the peers\' timing defaults', () => {
    const options = parseBenchArgs([]);
    expect(short(options.cases)).toEqual([
      'train B=32 T=1 hinge adam tanh',
      'train B=32 T=2 hinge adam tanh',
      'train B=256 T=1 hinge adam tanh',
      'train B=256 T=2 hinge adam tanh',
      'predict B=256 T=1 tanh',
      'predict B=256 T=2 tanh',
    ]);
    expect(options).toMatchObject({ reps: 3, warmupSteps: 100, maxSeconds: 20, tokens: 204_567, seed: 1234, peers: false, numpy: false, out: null, readme: false, from: null, child: null });
  });

  it('expands comma lists into every combination, as the peers do; predict takes no loss or optimiser', () => {
    const options = parseBenchArgs(['--batch', '32,256', '--mode', 'train,predict', '--threads', '1,2', '--loss', 'hinge,softmax']);
    expect(short(options.cases)).toEqual([
      'train B=32 T=1 hinge adam tanh',
      'train B=32 T=2 hinge adam tanh',
      'train B=32 T=1 softmax adam tanh',
      'train B=32 T=2 softmax adam tanh',
      'train B=256 T=1 hinge adam tanh',
      'train B=256 T=2 hinge adam tanh',
      'train B=256 T=1 softmax adam tanh',
      'train B=256 T=2 softmax adam tanh',
      'predict B=32 T=1 tanh',
      'predict B=32 T=2 tanh',
      'predict B=256 T=1 tanh',
      'predict B=256 T=2 tanh',
    ]);
  });

  it('fills the lists not given with train, 32, hinge, adam, tanh', () => {
    expect(short(parseBenchArgs(['--optim', 'adam,adagrad', '--threads', '1']).cases)).toEqual([
      'train B=32 T=1 hinge adam tanh',
      'train B=32 T=1 hinge adagrad tanh',
    ]);
    expect(short(parseBenchArgs(['--act', 'hardtanh,relu', '--threads', '2']).cases)).toEqual([
      'train B=32 T=2 hinge adam hardtanh',
      'train B=32 T=2 hinge adam relu',
    ]);
  });

  it('takes ner-train\'s and the peers\' names for the same thing, and drops repeats', () => {
    const options = parseBenchArgs(['--loss', 'max-margin,hinge', '--optim', 'sparseadam', '--threads', '1,1', '--batch', '1']);
    expect(short(options.cases)).toEqual(['train B=1 T=1 hinge adam tanh']);
  });

  it('reads the timing, peer and output flags', () => {
    const options = parseBenchArgs([
      '--reps', '5', '--warmup-steps', '20', '--max-seconds', '2.5', '--tokens', '1000', '--seed', '0', '--peers', '--numpy',
      '--quiet-wait', '0', '--retries', '0', '--busy', '0.1', '--child-timeout', '60', '--out', 'x.md', '--readme',
    ]);
    expect(options).toMatchObject({ reps: 5, warmupSteps: 20, maxSeconds: 2.5, tokens: 1000, seed: 0, peers: true, numpy: true, quietWait: 0, retries: 0, busy: 0.1, childTimeout: 60, out: 'x.md', readme: true });
  });

  it.each([
    [['--batch', '0'], /--batch: expected an integer >= 1, got '0'/],
    [['--batch', '32,x'], /--batch: expected an integer/],
    [['--batch', '2.5'], /--batch: expected an integer/],
    [['--threads', '1,,2'], /--threads: empty item/],
    [['--mode', 'eval'], /--mode: 'eval' is not one of train, predict/],
    [['--loss', 'crf'], /--loss: 'crf' is not one of hinge, softmax/],
    [['--optim', 'sgd'], /--optim: 'sgd' is not one of adam, adagrad/],
    [['--max-seconds', '0'], /--max-seconds: expected a number > 0/],
    [['--busy=-1'], /--busy: expected a number >= 0/],
    [['--reps', '0'], /--reps: expected an integer >= 1/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['stray'], /positional/i],
  ])('rejects %j', (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(ArgumentError);
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });
});

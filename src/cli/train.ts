import { Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { resolveCheckpointDir } from '../io/atomic.js';
import { UserError } from '../errors.js';
import { setOption } from './options.js';

interface TrainFlags {
  config?: string;
  resume?: string;
  set: string[];
  out?: string;
  force?: boolean;
  json?: boolean;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a window-based NER tagger as a config file says, or continue a stopped run')
    .addOption(new Option('-c, --config <file>', 'config file (YAML or JSON); `ner-train init-config` prints one'))
    .addOption(new Option('--resume <run-dir>', "continue the run in RUN-DIR from its model-last, with the run's own config"))
    .addOption(setOption())
    .addOption(new Option('-o, --out <dir>', 'run folder for checkpoints and metrics.jsonl (overrides output.dir)'))
    .addOption(new Option('--force', 'replace a previous run in the output folder'))
    .addOption(new Option('--json', 'print the result as one JSON object on stdout'))
    .addHelpText(
      'after',
      `
Writes to the run folder: model-best/ (best dev F1), model-last/ (last epoch, with the
state to resume from), metrics.jsonl (one line per epoch). Progress goes to stderr.
Ctrl-C or SIGTERM stops after the current step, writes model-last/, prints the command
that resumes and exits 130 (SIGTERM: 143); a second Ctrl-C quits at once.
--resume continues exactly where the run stopped (same result as a run never stopped);
it takes the config saved in model-last/, so it refuses --config, --out and --force, and
accepts --set training.epochs=N (train longer) and --set training.threads=N only.
A run folder is locked while a training uses it: a second one refuses (exit 2).

Examples:
  ner-train train --config configs/default.yaml
  ner-train train --config configs/conll2003.yaml --set training.epochs=3 --out runs/try
  ner-train train --resume runs/try --set training.epochs=5`,
    )
    .action(async (flags: TrainFlags) => {
      if (flags.resume !== undefined) {
        const clash = [flags.config !== undefined && '--config', flags.out !== undefined && '--out', flags.force && '--force'].filter(Boolean);
        if (clash.length > 0) {
          throw new UserError(`--resume cannot be combined with ${clash.join(', ')}: a resumed run keeps its own config and folder`, {
            hint: 'to train longer pass --set training.epochs=N; to train differently start a new run with --config',
          });
        }
      } else if (!flags.config) {
        throw new UserError('train needs --config FILE (or --resume RUN-DIR)', { hint: 'run `ner-train init-config > my.yaml` for a complete config to start from' });
      }
      const [{ loadConfig }, { train }, { resumeConfig }, { terminal, displayPath }, view] = await Promise.all([
        import('../config/load.js'),
        import('../train/trainer.js'),
        import('../train/resume.js'),
        import('./terminal.js'),
        import('./train-view.js'),
      ]);
      const config = flags.resume !== undefined ? await resumeConfig(flags.resume, flags.set) : (await loadConfig({ file: flags.config, sets: flags.set })).config;
      if (flags.out !== undefined) config.output.dir = resolve(flags.out);
      const term = terminal();
      const resumeCommand = `ner-train train --resume ${shellQuote(displayPath(config.output.dir))}`;
      const interrupt = interruptOnSignals(term.err, () => {
        // Quitting at once: whatever model-last was already written is intact (replaced atomically).
        if (existsSync(resolveCheckpointDir(join(config.output.dir, 'model-last')))) term.err.write(`resume with: ${resumeCommand}\n`);
      });
      try {
        const result = await train(config, {
          force: flags.force ?? false,
          resume: flags.resume !== undefined,
          signal: interrupt.signal,
          onEvent: view.trainView(term),
          onResume: (from) => {
            const where = from.step === 0 ? `at the start of epoch ${from.epoch}` : `in epoch ${from.epoch} after step ${from.step}`;
            term.err.write(`resuming ${displayPath(config.output.dir)} ${where} (global step ${from.globalStep})\n`);
          },
          onNote: (message) => term.err.write(`note: ${message}\n`),
        });
        if (flags.json) {
          term.out.write(`${JSON.stringify(resultJson(result, resumeCommand))}\n`);
        } else {
          term.out.write(view.formatTrainSummary(result, term));
        }
        if (result.interrupted) {
          term.err.write(`stopped early; the last checkpoint is ${displayPath(result.outDir)}/model-last\n`);
          term.err.write(`resume with: ${resumeCommand}\n`);
          process.exitCode = interrupt.exitCode();
        }
      } finally {
        interrupt.dispose();
      }
    });
}

/** A path as a POSIX shell reads it back: bare when it has only safe characters, else single-quoted. */
function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * First Ctrl-C (or SIGTERM): ask the trainer to stop after its current step and write
 * model-last. A second one exits at once (after `onQuit`); checkpoints are replaced
 * atomically, so whatever was already written stays loadable, and the run's lock is
 * released by its exit listener.
 */
function interruptOnSignals(err: NodeJS.WritableStream, onQuit: () => void): { signal: AbortSignal; exitCode: () => number; dispose: () => void } {
  const controller = new AbortController();
  let code = 130;
  const handler = (signal: NodeJS.Signals): void => {
    const exit = signal === 'SIGTERM' ? 143 : 130;
    if (controller.signal.aborted) {
      err.write('\nstopping now\n');
      onQuit();
      process.exit(exit);
    }
    code = exit;
    err.write(`\n${signal === 'SIGINT' ? 'Ctrl-C' : signal}: finishing this step and saving model-last (press Ctrl-C again to quit at once)\n`);
    controller.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    exitCode: () => code,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

function resultJson(result: import('../train/trainer.js').TrainResult, resumeCommand: string): object {
  const from = result.resumedFrom;
  return {
    out_dir: result.outDir,
    interrupted: result.interrupted,
    resume_command: result.interrupted ? resumeCommand : null,
    resumed_from: from ? { epoch: from.epoch, step: from.step, global_step: from.globalStep } : null,
    best_epoch: result.bestEpoch,
    best: result.best,
    epochs: result.epochs,
    data: result.data,
    elapsed_s: result.elapsed_s,
  };
}

import { CommanderError } from 'commander';
import { UserError } from '../errors.js';

/**
 * The one place that decides how a failure ends the process. A UserError (bad argument,
 * config, data file or checkpoint) prints its message and hint, no stack, exit 2 (or the
 * code it carries). Anything else is a bug in ner-train: the stack is printed, exit 1.
 */
export function reportError(error: unknown, err: NodeJS.WritableStream = process.stderr): number {
  if (error instanceof CommanderError) {
    // Commander already printed its message (and help where asked); only the code is ours.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
    return error.exitCode === 0 ? 0 : 2;
  }
  if (error instanceof UserError) {
    err.write(`ner-train: ${error.message}\n`);
    if (error.hint) err.write(`hint: ${error.hint}\n`);
    return error.exitCode;
  }
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  err.write(`ner-train: internal error (a bug; please report it with the command you ran)\n${stack}\n`);
  return 1;
}

/**
 * ner-train's own warnings (process warnings whose code starts NER_TRAIN_, e.g. a dev type
 * the training file lacks) print as one `ner-train: warning: …` line, like the errors;
 * Node's default printer, which adds the process id and a --trace-warnings tip, keeps
 * every other warning.
 */
export function printOwnWarnings(err: NodeJS.WritableStream = process.stderr): void {
  const defaults = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: unknown }) => {
    if (typeof warning.code === 'string' && warning.code.startsWith('NER_TRAIN_')) err.write(`ner-train: warning: ${warning.message}\n`);
    else for (const listener of defaults) listener(warning);
  });
}

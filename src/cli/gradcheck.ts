import { Command, Option } from 'commander';
import { setOption } from './options.js';

interface GradcheckFlags {
  config?: string;
  set: string[];
  json?: boolean;
}

export function registerGradcheck(program: Command): void {
  program
    .command('gradcheck')
    .description('compare every analytic gradient with central differences in float64 (exit 1 if any relative error ≥ 1e-6)')
    .addOption(new Option('-c, --config <file>', 'take the window size, caps feature, margin, leaky slope and seed from this config'))
    .addOption(setOption())
    .addOption(new Option('--json', 'print {"passed","max_rel_error","checks":[{"activation","loss","dropout","param","max_rel_error"}]}'))
    .addHelpText(
      'after',
      `
Checks W, b, U, c and every embedding table for each activation × loss, with
dropout off and on (a fixed mask), on a small random instance.
Exit codes: 0 all below the tolerance; 1 some gradient is wrong; 2 bad arguments.`,
    )
    .action(async (flags: GradcheckFlags) => {
      const [{ loadConfig }, { runGradcheck }, { terminal, table }] = await Promise.all([
        import('../config/load.js'),
        import('../gradcheck/gradcheck.js'),
        import('./terminal.js'),
      ]);
      const { config } = await loadConfig({ ...(flags.config ? { file: flags.config } : {}), sets: flags.set, requireTrain: false });
      const report = runGradcheck({
        seed: config.seed,
        halfWidth: Math.min(config.model.window, 2),
        capsDim: config.features.caps.dim > 0 ? 2 : 0,
        margin: config.objective.margin,
        leakySlope: config.model.leaky_slope,
      });
      const term = terminal();
      if (flags.json) {
        term.out.write(`${JSON.stringify(report)}\n`);
      } else {
        const params = [...new Set(report.checks.map((c) => c.param))];
        const cases = new Map<string, Map<string, number>>();
        for (const c of report.checks) {
          const key = `${c.activation} / ${c.loss}${c.dropout ? ' / dropout' : ''}`;
          if (!cases.has(key)) cases.set(key, new Map());
          cases.get(key)?.set(c.param, c.max_rel_error);
        }
        const rows = [...cases].map(([key, errors]) => [key, ...params.map((p) => errors.get(p)?.toExponential(1) ?? '-')]);
        term.out.write(`max relative error per parameter (central differences, ε = ${report.epsilon}, float64)\n`);
        term.out.write(`${table(['activation / loss', ...params], rows)}\n`);
        const verdict = `max relative error ${report.max_rel_error.toExponential(2)} (tolerance ${report.tolerance})`;
        term.out.write(report.passed ? `${term.color.green('passed')}: ${verdict}\n` : `${term.color.red('FAILED')}: ${verdict}\n`);
      }
      if (!report.passed) process.exitCode = 1;
    });
}

import type { Command } from 'commander';

export function registerInitConfig(program: Command): void {
  program
    .command('init-config')
    .description('print a complete, commented default config (YAML) to stdout')
    .addHelpText('after', '\nExample:\n  ner-train init-config > my-config.yaml')
    .action(async () => {
      const { defaultConfigYaml } = await import('../config/default-yaml.js');
      process.stdout.write(defaultConfigYaml());
    });
}

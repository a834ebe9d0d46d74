import { z } from 'zod';
import { ConfigSchema } from './schema.js';

/**
 * The config's JSON Schema, derived from ConfigSchema, for editors: with
 * `# yaml-language-server: $schema=schema.json` at the top of a config, VS Code and
 * other YAML-aware editors complete keys and flag typos as the user types.
 */
export function configJsonSchema(): string {
  const schema = z.toJSONSchema(ConfigSchema, { io: 'input' });
  return `${JSON.stringify({ ...schema, title: 'ner-train config' }, null, 2)}\n`;
}

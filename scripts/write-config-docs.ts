// Regenerates what is derived from the config schema (src/config/schema.ts):
// configs/schema.json for editors and the configuration table in README.md.
// Tests fail when either is stale: npx tsx scripts/write-config-docs.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { configJsonSchema } from '../src/config/json-schema.js';
import { withReference } from '../src/config/reference.js';

const schema = new URL('../configs/schema.json', import.meta.url);
writeFileSync(schema, configJsonSchema());
const readme = new URL('../README.md', import.meta.url);
writeFileSync(readme, withReference(readFileSync(readme, 'utf8')));
process.stdout.write('wrote configs/schema.json and the configuration table of README.md\n');

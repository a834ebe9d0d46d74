// Writes configs/schema.json from the zod schema. A test fails when the committed file is
// stale, so run this after changing src/config/schema.ts: npx tsx scripts/write-config-schema.ts
import { writeFileSync } from 'node:fs';
import { configJsonSchema } from '../src/config/json-schema.js';

const target = new URL('../configs/schema.json', import.meta.url);
writeFileSync(target, configJsonSchema());
process.stdout.write(`wrote ${target.pathname.split('/').slice(-2).join('/')}\n`);

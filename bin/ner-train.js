#!/usr/bin/env node
// Thin shim: the CLI lives in the bundle that `npm run build` (run by `npm ci`) writes.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(bundle))) {
  process.stderr.write('ner-train: the CLI is not built yet\nhint: run `npm run build` (or `npm ci`) in the ner-train folder\n');
  process.exit(1);
}
await import(bundle.href);

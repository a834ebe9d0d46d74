// Bundles the CLI into dist/ with esbuild. Runs on `npm run build` and on `npm ci`
// (the `prepare` script), so a fresh clone has a working `ner-train` after one install.
import { build } from 'esbuild';

await build({
  entryPoints: { cli: 'src/cli/main.ts', index: 'src/index.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Dependencies stay in node_modules: they are installed with the package anyway,
  // and keeping them out keeps the bundle small and the build fast.
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});

// Bundles the CLI into dist/ with esbuild and assembles the WebAssembly SIMD kernels.
// Runs on `npm run build` and on `npm ci` (the `prepare` script), so a fresh clone has a
// working `ner-train` after one install.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

// The kernels' source is TypeScript (src/math/kernels/wat.ts generates the text that wabt
// assembles): compile the assembler to a throwaway module and run it. It writes the binary
// as the generated module src/math/kernels/ner-kernels.generated.ts (git-ignored), which
// the bundle below then includes like any other source.
const cache = `${root}node_modules/.cache/ner-train`;
mkdirSync(cache, { recursive: true });
const assembler = `${cache}/assemble-kernels.mjs`;
await build({
  entryPoints: [`${root}src/math/kernels/assemble.ts`],
  outfile: assembler,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
const { writeKernelsModule } = await import(pathToFileURL(assembler).href);
await writeKernelsModule(`${root}src/math/kernels/ner-kernels.generated.ts`);

const bundle = await build({
  entryPoints: { cli: 'src/cli/main.ts', index: 'src/index.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Dependencies stay in node_modules: they are installed with the package anyway,
  // and keeping them out keeps the bundle small and the build fast.
  packages: 'external',
  // The CLI imports each command's code lazily; splitting puts it into shared chunks so
  // `ner-train --help` does not load the trainer.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
});

// Chunk names carry a content hash, so every change leaves the old chunks behind: remove
// those this build did not write, or dist/ (and `npm pack`) grows with each build.
const written = new Set(Object.keys(bundle.metafile.outputs).map((file) => resolve(root, file)));
const chunks = `${root}dist/chunks`;
for (const name of existsSync(chunks) ? readdirSync(chunks) : []) {
  const file = resolve(chunks, name);
  if (!written.has(file)) rmSync(file, { force: true });
}

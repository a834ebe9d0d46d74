// vitest globalSetup: assembles the WebAssembly kernels (src/math/kernels/wat.ts) into the
// generated module the library imports, so that a lone `npx vitest run …` tests the
// kernels of the current source even without `npm run build` first. Cheap (well under a
// second) and a no-op when the module is already up to date.
import { fileURLToPath } from 'node:url';
import { writeKernelsModule } from '../src/math/kernels/assemble.js';

export default async function setup(): Promise<void> {
  await writeKernelsModule(fileURLToPath(new URL('../src/math/kernels/ner-kernels.generated.ts', import.meta.url)));
}

// Finds the compiled script of an engine thread: next to this file when running from dist/,
// else in the build (when the engine runs from TypeScript sources, as under jest).

import fs from 'node:fs';
import path from 'node:path';

export function threadScript(name: string): string {
  const sibling = path.join(__dirname, `${name}.js`);
  if (fs.existsSync(sibling)) return sibling;
  const built = path.join(__dirname, '..', 'dist', 'core', `${name}.js`);
  if (fs.existsSync(built)) return built;
  throw new Error(`[engine] the thread script ${name}.js is missing; run \`npm run build\` first`);
}

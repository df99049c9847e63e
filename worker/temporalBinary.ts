// Locates the official Temporal CLI executable (`temporal`) that runs the local dev server:
// $MERIDIAN_TEMPORAL_BIN, else the project's .tools/venv (installed by `npm run setup`), else PATH.

import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const PACKAGE_NAME = 'meridian-backup';

/** The folder holding this project's package.json, found from this file (in source or dist/). */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return dir;
      } catch {
        // not our manifest; keep walking up
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`Cannot find the ${PACKAGE_NAME} package root above ${__dirname}.`);
    dir = parent;
  }
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Absolute path of the `temporal` executable; throws one clear sentence when there is none. */
export function temporalBinary(): string {
  const fromEnv = process.env.MERIDIAN_TEMPORAL_BIN;
  if (fromEnv) {
    if (isExecutable(fromEnv)) return path.resolve(fromEnv);
    throw new Error(`MERIDIAN_TEMPORAL_BIN points to ${fromEnv}, which is not an executable file.`);
  }
  const local = path.join(packageRoot(), '.tools', 'venv', 'bin', 'temporal');
  if (isExecutable(local)) return local;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, 'temporal'))) return path.join(dir, 'temporal');
  }
  throw new Error('The Temporal CLI is not installed: run `npm run setup` (or set MERIDIAN_TEMPORAL_BIN).');
}

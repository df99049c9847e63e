// The version `meridian --version` prints: the one in the project's package.json.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../worker/temporalBinary.js';

export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

// A worker's configuration for tests that run a real `meridian worker` (or server): the
// repositories it serves written to $MERIDIAN_HOME/repositories.json, and its source and restore
// roots in the environment.

import fs from 'node:fs';
import path from 'node:path';

export interface TestWorkerConfig {
  /** Repository URLs (or NAME → URL) the worker serves, all with the environment's passphrase. */
  repositories: (string | { name: string; url: string })[];
  /** Where backups may read and restores may write. */
  roots: string[];
}

/** `env` with MERIDIAN_SOURCE_ROOTS and MERIDIAN_RESTORE_ROOTS set, after writing its MERIDIAN_HOME's repositories.json. */
export function withWorkerConfig(env: NodeJS.ProcessEnv, config: TestWorkerConfig): NodeJS.ProcessEnv {
  const home = env.MERIDIAN_HOME;
  if (!home) throw new Error('withWorkerConfig: MERIDIAN_HOME is not set');
  const entries = config.repositories.map((r) => (typeof r === 'string' ? [r, {}] : [r.name, { url: r.url }]));
  fs.mkdirSync(home, { recursive: true });
  fs.writeFileSync(path.join(home, 'repositories.json'), JSON.stringify(Object.fromEntries(entries), null, 2));
  const roots = config.roots.join(path.delimiter);
  return { ...env, MERIDIAN_SOURCE_ROOTS: roots, MERIDIAN_RESTORE_ROOTS: roots };
}

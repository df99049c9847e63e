// MERIDIAN_HOME: the directory of this user's Meridian files (meridian.yaml, repositories.json,
// the embedded Temporal server's state); default ~/.meridian.

import os from 'node:os';
import path from 'node:path';

export function meridianHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.MERIDIAN_HOME ?? path.join(os.homedir(), '.meridian');
}

// Who runs this `meridian` command, as manual failovers and runbook approvals record it:
// MERIDIAN_IDENTITY when set, else the operating system's user name.

import os from 'node:os';

export function cliIdentity(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MERIDIAN_IDENTITY) return env.MERIDIAN_IDENTITY;
  try {
    return os.userInfo().username;
  } catch {
    return env.USER || env.LOGNAME || 'unknown';
  }
}

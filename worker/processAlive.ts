// Whether a process id names a live process on this host (a process we may not signal is alive too).
// A zombie (exited, not yet reaped by its parent) is not alive: it holds no resources and will
// never exit again, so a caller waiting for it to end must not wait forever.

import { readFileSync } from 'node:fs';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/** Linux /proc: the state letter follows the parenthesised command name in /proc/PID/stat. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

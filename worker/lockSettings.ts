// The worker's repository lock settings, from its environment: how often its operations refresh
// their locks (MERIDIAN_LOCK_REFRESH_SECONDS) and how long it sees another's lock unchanged before
// calling it stale (MERIDIAN_LOCK_STALE_SECONDS); defaults 30 s and 5 min (core/locks.ts).

import { RepositoryError } from '../core/errors.js';
import { checkTimings, DEFAULT_LOCK_TIMINGS, LockTimings } from '../core/locks.js';

/** The lock timings of the environment (seconds, fractions allowed); a malformed one is a one-line invalid-argument error. */
export function lockTimingsFromEnv(env: NodeJS.ProcessEnv = process.env): LockTimings {
  const seconds = (variable: string, fallbackMs: number) => {
    const text = env[variable];
    if (text === undefined || text === '') return fallbackMs;
    const value = Number(text);
    if (!(Number.isFinite(value) && value > 0)) throw new RepositoryError('invalid-argument', `${variable} must be a number of seconds above 0 (got "${text}")`);
    return value * 1000;
  };
  const timings = { refreshMs: seconds('MERIDIAN_LOCK_REFRESH_SECONDS', DEFAULT_LOCK_TIMINGS.refreshMs), staleMs: seconds('MERIDIAN_LOCK_STALE_SECONDS', DEFAULT_LOCK_TIMINGS.staleMs) };
  try {
    checkTimings(timings);
  } catch {
    throw new RepositoryError(
      'invalid-argument',
      `MERIDIAN_LOCK_STALE_SECONDS (${timings.staleMs / 1000}) must be at least twice MERIDIAN_LOCK_REFRESH_SECONDS (${timings.refreshMs / 1000})`,
    );
  }
  return timings;
}

// How much one worker takes on at once, from its environment: the activities it runs at the same
// time (MERIDIAN_WORKER_ACTIVITIES, default 4; every backup, restore, verify, prune and each
// journal's watcher, which holds one for as long as it watches) and the encoder threads of each
// backup (MERIDIAN_ENCODER_THREADS, default one per core; 0 encodes on the activity's own thread).

import { RepositoryError } from '../core/errors.js';

export interface WorkerCapacity {
  /** Activities the worker runs at once (the Temporal worker's maxConcurrentActivityTaskExecutions). */
  maxActivities: number;
  /** Encoder threads per backup; undefined: one per core. */
  encoderThreads?: number;
}

export const DEFAULT_MAX_ACTIVITIES = 4;

/** The capacity the environment sets; a malformed value is a one-line invalid-argument error naming its variable. */
export function workerCapacityFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerCapacity {
  const maxActivities = wholeNumber(env, 'MERIDIAN_WORKER_ACTIVITIES', 1, 1000);
  const encoderThreads = wholeNumber(env, 'MERIDIAN_ENCODER_THREADS', 0, 1024);
  return { maxActivities: maxActivities ?? DEFAULT_MAX_ACTIVITIES, ...(encoderThreads !== undefined ? { encoderThreads } : {}) };
}

function wholeNumber(env: NodeJS.ProcessEnv, variable: string, min: number, max: number): number | undefined {
  const text = env[variable];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!(/^\d+$/.test(text) && value >= min && value <= max)) throw new RepositoryError('invalid-argument', `${variable} must be a whole number from ${min} to ${max} (got "${text}")`);
  return value;
}

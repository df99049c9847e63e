// Keeps an activity's heartbeat alive with its latest progress, even while the engine is busy
// in a phase that reports nothing (loading the index, listing snapshots), and exposes the
// activity's cancellation as an AbortSignal for the engine.

import { Context } from '@temporalio/activity';
import { withFailureMapping } from './failures.js';

export interface HeartbeatLoop<P> {
  update(progress: P): void;
  stop(): void;
  readonly signal: AbortSignal;
}

export function startHeartbeats<P>(initial: P, intervalMs = 5_000): HeartbeatLoop<P> {
  const ctx = Context.current();
  let latest = initial;
  ctx.heartbeat(latest);
  const timer = setInterval(() => ctx.heartbeat(latest), intervalMs);
  return {
    update(progress) {
      latest = progress;
      ctx.heartbeat(progress);
    },
    stop() {
      clearInterval(timer);
    },
    signal: ctx.cancellationSignal,
  };
}

/**
 * Runs an activity body with heartbeats of its progress (and its attempt), its cancellation as a
 * signal, and its errors mapped to Temporal failures (activities/failures.ts).
 */
export async function runWithHeartbeats<T, P extends object>(body: (report: (p: P) => void, signal: AbortSignal) => Promise<T>): Promise<T> {
  const attempt = Context.current().info.attempt;
  const previous = Context.current().info.heartbeatDetails as P | undefined;
  if (previous) Context.current().log.info('resuming after an interrupted attempt', { attempt, previous });
  const beats = startHeartbeats<object>({ attempt, phase: 'starting' });
  try {
    return await withFailureMapping(() => body((p) => beats.update({ ...p, attempt }), beats.signal));
  } finally {
    beats.stop();
  }
}

// Keeps an activity's heartbeat alive with its latest progress, even while the engine is busy
// in a phase that reports nothing (loading the index, listing snapshots), and exposes the
// activity's cancellation as an AbortSignal for the engine.

import { Context } from '@temporalio/activity';

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

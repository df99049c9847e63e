// The live progress of a running operation, as the HTTP API and the CLI's progress line show it:
// the workflow's progress query merged with its running activity's latest heartbeat. Pure, so the
// SDK path (api/operations.ts) and the CLI's own gRPC calls (cli/wire/) merge alike.

/** A running activity as Temporal describes it: its heartbeat's details, its attempt, its last failure. */
export interface RunningActivity {
  details?: unknown;
  attempt?: number;
  lastFailure?: string;
}

/**
 * The progress query's answer with the running activity's heartbeat, attempt and last failure,
 * if any, on top. The activity's own `phase` (e.g. verify's 'trees' or 'packs') becomes
 * `activityPhase`: the workflow's `phase` (running, completed, failed) is the operation's and must
 * not be overwritten.
 */
export function operationProgress(query: unknown, activity: RunningActivity | undefined): Record<string, unknown> {
  const queried = typeof query === 'object' && query !== null ? (query as Record<string, unknown>) : {};
  if (!activity) return { ...queried };
  const { phase, ...details } = typeof activity.details === 'object' && activity.details !== null ? (activity.details as Record<string, unknown>) : {};
  return {
    ...queried,
    ...details,
    ...(phase !== undefined ? { activityPhase: phase } : {}),
    activityAttempt: activity.attempt || 1,
    ...(activity.lastFailure ? { lastFailure: activity.lastFailure } : {}),
  };
}

// How Meridian names what it creates in Temporal for the schedules of `meridian.yaml`: the
// Schedule id of each entry (`meridian:<name>`, the prefix that marks the Schedules `meridian
// apply` owns and may update or delete) and the workflow ids of the runs they start. Free of
// Node imports, so workflows may use it too.

/** Every Schedule `meridian apply` creates has an id with this prefix; no other Schedule is touched. */
export const SCHEDULE_ID_PREFIX = 'meridian:';

/** Memo key on each owned Schedule's action: a digest of the entry it was applied from (apply compares it). */
export const SCHEDULE_DIGEST_MEMO = 'meridianScheduleDigest';

export function scheduleId(name: string): string {
  return `${SCHEDULE_ID_PREFIX}${name}`;
}

/** The `meridian.yaml` name of an owned Schedule id; undefined for a Schedule Meridian does not own. */
export function scheduleName(id: string): string | undefined {
  return id.startsWith(SCHEDULE_ID_PREFIX) ? id.slice(SCHEDULE_ID_PREFIX.length) : undefined;
}

/** What a Schedule's runs do: back a source up, scrub a repository, ask a replica set for a pass, or maintain an immutable repository. */
export type ScheduleKind = 'backup' | 'scrub' | 'replication' | 'immutable';

/** The Schedule of an immutable repository's maintenance (one per repository with `immutable:`). */
export function immutableScheduleName(repository: string): string {
  return `immutable-${repository}`;
}

/** Base workflow id of a schedule's runs (Temporal appends each run's scheduled time); a replica set's runs are named by the set. */
export function scheduledRunWorkflowId(kind: ScheduleKind, name: string): string {
  return `scheduled-${kind}:${name}`;
}

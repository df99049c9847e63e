// The workflows of asynchronous replication. replicationWorkflow is the one long-running execution of
// a replica set (`replication:<set>`): it collapses the requests for a pass (backups of the primary,
// the set's Schedule, `replication run`) and runs the passes one after another, each pass one
// replicateToReplica activity per replica in parallel; it keeps what it knows of each replica
// (queried by `replication status`), retries a failing or deferred replica on a backoff timer (a
// replica that starts failing raises replication-failed, once until it passes again), and
// continues as new before its history grows large. replicationTickWorkflow is what the set's
// Schedule starts; replicationVerifyWorkflow compares every replica with the primary.

import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  TimeoutFailure,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { PassResult } from '../core/replicationTypes.js';
import { REPLICA_COMPARE_OPTIONS, REPLICA_SET_LOOKUP_OPTIONS, REPLICATION_PASS_OPTIONS } from './activityOptions.js';
import { SEARCH_ATTRIBUTE_KEYS } from './catalog.js';
import { BackgroundEvents, RaisedEvent, raisesEvents, runEventId } from './notifications.js';
import { innermostMessage } from './operations.js';
import {
  ReplicaSetDescription,
  ReplicaState,
  replicateNowUpdate,
  replicateSignal,
  ReplicateRequest,
  ReplicationState,
  replicationStatusQuery,
  ReplicationVerifyInput,
  ReplicationVerifyOutput,
  ReplicationWorkflowInput,
} from './replicationDefs.js';
import { replicationSearchAttributes, triggerReplication } from './replicationTrigger.js';
import { progressQuery, WorkflowProgress } from './shared.js';

const { replicateToReplica } = proxyActivities<Activities>(REPLICATION_PASS_OPTIONS);
const { compareReplica } = proxyActivities<Activities>(REPLICA_COMPARE_OPTIONS);
const { describeReplicaSet } = proxyLocalActivities<Activities>(REPLICA_SET_LOOKUP_OPTIONS);

/** Passes per run before continuing as new (with the state), unless Temporal suggests it sooner. */
export const PASSES_PER_RUN = 100;
/** The longest wait between retries of a failing replica. */
const MAX_RETRY_MS = 15 * 60_000;

/** When a failing or deferred replica is tried again, and how many times in a row it failed. */
interface Retry {
  failures: number;
  dueAt: number;
}

export async function replicationWorkflow(input: ReplicationWorkflowInput): Promise<void> {
  const { set } = input;
  const state: ReplicationState = input.carried ?? { set, passes: 0, replicas: [] };
  // A fresh start (a backup's trigger, the Schedule's, `meridian apply`) passes at once.
  let pending: { full: boolean } | undefined = input.pending ?? (input.carried ? undefined : { full: false });
  let nextPassWaiters: ((results: PassResult[]) => void)[] = [];
  const retries = new Map<string, Retry>();

  setHandler(replicationStatusQuery, () => state);
  // Backups that signal before the set's members are known count once they are.
  let early: ReplicateRequest[] | undefined = input.carried ? undefined : [];
  setHandler(replicateSignal, (request: ReplicateRequest) => {
    pending = { full: (pending?.full ?? false) || request.full === true };
    if (early) early.push(request);
    else noteBackup(state, request);
  });
  setHandler(replicateNowUpdate, (options) => {
    pending = { full: (pending?.full ?? false) || options?.full === true };
    return new Promise<PassResult[]>((resolve) => nextPassWaiters.push(resolve));
  });
  upsertSearchAttributes(replicationSearchAttributes(set));

  let described = await describeReplicaSet({ set });
  describeSelf(described);
  adoptMembers(state, described);
  for (const request of early ?? []) noteBackup(state, request);
  early = undefined;
  // Replicas that were failing or deferred when the last run continued as new: try them now.
  for (const replica of state.replicas) {
    if (replica.state === 'failing' || replica.state === 'deferred') retries.set(replica.name, { failures: 1, dueAt: Date.now() });
  }

  const raised = new BackgroundEvents();
  let passesThisRun = 0;
  for (;;) {
    if (passesThisRun >= PASSES_PER_RUN || workflowInfo().continueAsNewSuggested) {
      // An update waiting for the next pass is a handler that has not finished: it gets its pass first.
      await condition(() => nextPassWaiters.length > 0 || allHandlersFinished());
      await raised.settled();
      if (nextPassWaiters.length === 0) await continueAsNew<typeof replicationWorkflow>({ set, carried: state, ...(pending ? { pending } : {}) });
    }
    const dueAt = Math.min(...[...retries.values()].map((retry) => retry.dueAt));
    if (pending === undefined) {
      if (Number.isFinite(dueAt)) await condition(() => pending !== undefined, Math.max(1, dueAt - Date.now()));
      else await condition(() => pending !== undefined);
    }

    let names: string[];
    let full = false;
    let waiters: ((results: PassResult[]) => void)[] = [];
    if (pending !== undefined) {
      full = pending.full;
      pending = undefined;
      waiters = nextPassWaiters;
      nextPassWaiters = [];
      described = await describeAgain(set, described);
      adoptMembers(state, described);
      names = state.replicas.map((replica) => replica.name);
    } else {
      for (const name of retries.keys()) if (!state.replicas.some((replica) => replica.name === name)) retries.delete(name);
      names = [...retries.entries()].filter(([, retry]) => retry.dueAt <= Date.now()).map(([name]) => name);
      if (names.length === 0) continue;
    }

    const results = await runPass(set, state, names, full, described.retryFloorMs, retries, raised);
    passesThisRun += 1;
    for (const resolve of waiters) resolve(results);
    // A pass that stopped on its time budget goes on at once.
    if (results.some((result) => result.partial)) pending ??= { full: false };
  }
}

/** One pass over `names`, in parallel; every replica's state updated from its outcome. */
async function runPass(set: string, state: ReplicationState, names: string[], full: boolean, retryFloorMs: number, retries: Map<string, Retry>, raised: BackgroundEvents): Promise<PassResult[]> {
  state.passes += 1;
  const pass = state.passes;
  const replicas = names.map((name) => state.replicas.find((replica) => replica.name === name)!);
  const failingBefore = new Set(replicas.filter((replica) => replica.state === 'failing').map((replica) => replica.name));
  for (const replica of replicas) replica.state = 'copying';
  setCurrentDetails(`replication of set ${set}: pass ${pass} copying to ${names.join(', ')}`);
  const results = await Promise.all(
    replicas.map(async (replica): Promise<PassResult> => {
      const started = Date.now();
      try {
        const result = await replicateToReplica({ set, replica: replica.name, ...(full ? { full: true } : {}) });
        passed(replica, result, retries, retryFloorMs);
        return result;
      } catch (err) {
        if (isCancellation(err)) throw err;
        return failed(replica, err, retries, retryFloorMs, Date.now() - started);
      }
    }),
  );
  state.lastPassAt = new Date().toISOString();
  const newlyFailing = results.filter((result) => result.failed !== undefined && !failingBefore.has(result.replica));
  if (newlyFailing.length > 0 && raisesEvents()) {
    for (const result of newlyFailing) raised.raise(replicationFailedEvent(set, pass, result));
  }
  setCurrentDetails(`replication of set ${set}: pass ${pass} done at ${state.lastPassAt}: ${state.replicas.map(describeReplica).join('; ')}`);
  return results;
}

/** replication-failed: once when a replica starts failing (not at each retry while it keeps failing). */
function replicationFailedEvent(set: string, pass: number, result: PassResult): RaisedEvent {
  return {
    id: runEventId(`${result.replica}:pass-${pass}:failed`),
    kind: 'replication-failed',
    subject: set,
    summary: `replication of set ${set} to ${result.replica} failed: ${result.failed}`,
    details: { set, replica: result.replica, pass },
  };
}

function passed(replica: ReplicaState, result: PassResult, retries: Map<string, Retry>, retryFloorMs: number): void {
  const now = new Date().toISOString();
  replica.reachable = true;
  replica.lastContactAt = now;
  replica.lastPass = result;
  if (result.deferred !== undefined) {
    replica.state = 'deferred';
    replica.reason = result.deferred;
    // A deferred pass still measured what the replica lacks.
    replica.behind = result.behind;
    scheduleRetry(replica.name, retries, retryFloorMs);
    return;
  }
  replica.state = 'idle';
  replica.behind = result.behind;
  replica.lastSuccessAt = now;
  delete replica.reason;
  delete replica.lastError;
  retries.delete(replica.name);
}

function failed(replica: ReplicaState, err: unknown, retries: Map<string, Retry>, retryFloorMs: number, durationMs: number): PassResult {
  const now = new Date().toISOString();
  const message = innermostMessage(err);
  replica.state = 'failing';
  replica.reachable = !unreachable(err);
  replica.lastContactAt = now;
  replica.lastError = { message, at: now };
  delete replica.reason;
  scheduleRetry(replica.name, retries, retryFloorMs);
  const none = { files: 0, bytes: 0 };
  return {
    replica: replica.name,
    kind: 'incremental',
    failed: message,
    copied: { ...none, byType: { keys: 0, data: 0, index: 0, snapshots: 0, journal: 0, wal: 0 } },
    skippedPresent: 0,
    deleted: none,
    pending: none,
    behind: replica.behind,
    durationMs,
  };
}

/** A storage that did not answer, or an attempt that timed out: the replica (or the primary) was not reached. */
function unreachable(err: unknown): boolean {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof TimeoutFailure || (cause instanceof ApplicationFailure && cause.type === 'storage-unavailable');
}

/** The next retry: the floor, doubling with each failure in a row, at most 15 minutes. */
function scheduleRetry(name: string, retries: Map<string, Retry>, floorMs: number): void {
  const failures = (retries.get(name)?.failures ?? 0) + 1;
  retries.set(name, { failures, dueAt: Date.now() + Math.min(MAX_RETRY_MS, floorMs * 2 ** (failures - 1)) });
}

/** A backup committed on the primary: every replica that does not already hold it is one snapshot further behind. */
function noteBackup(state: ReplicationState, request: ReplicateRequest): void {
  if (request.reason !== 'backup' || request.snapshotId === undefined) return;
  for (const replica of state.replicas) {
    if (request.heldBy?.includes(replica.name)) continue;
    const behind = replica.behind;
    replica.behind = {
      ...behind,
      snapshots: behind.snapshots + 1,
      bytes: behind.bytes + (request.bytesAdded ?? 0),
      ...(request.committedAt !== undefined ? { oldestMissingAt: behind.oldestMissingAt ?? request.committedAt, newestMissingAt: request.committedAt } : {}),
    };
  }
}

/**
 * The set as the worker describes it now, or `last` when that fails (the failover monitor it asks
 * for the active member not answering): the pass goes on and the next one asks again.
 */
async function describeAgain(set: string, last: ReplicaSetDescription): Promise<ReplicaSetDescription> {
  try {
    return await describeReplicaSet({ set });
  } catch (err) {
    if (isCancellation(err)) throw err;
    setCurrentDetails(`replication of set ${set}: describing the set failed, the last description stays: ${innermostMessage(err)}`);
    return last;
  }
}

/** The set's replicas as the worker's configuration names them now: new ones added (never run), removed ones dropped. */
function adoptMembers(state: ReplicationState, described: ReplicaSetDescription): void {
  state.replicas = described.replicas.map(
    (name) => state.replicas.find((replica) => replica.name === name) ?? { name, state: 'never-run', reachable: null, behind: { snapshots: 0, files: 0, bytes: 0 } },
  );
}

function describeSelf(described: ReplicaSetDescription): void {
  upsertSearchAttributes([{ key: SEARCH_ATTRIBUTE_KEYS.repository, value: described.primary }]);
  const summary = `replication of set ${described.set} from ${described.primary} to ${described.replicas.join(', ')}`;
  upsertMemo({ operation: 'replication', repository: described.primary, subject: described.set, summary });
  setCurrentDetails(`${summary}: starting`);
}

function describeReplica(replica: ReplicaState): string {
  const behind = replica.behind.snapshots > 0 ? `, ${replica.behind.snapshots} snapshots behind` : '';
  const why = replica.state === 'failing' ? `: ${replica.lastError?.message ?? ''}` : replica.state === 'deferred' ? `: ${replica.reason ?? ''}` : '';
  return `${replica.name} ${replica.state}${behind}${why}`;
}

/** What the set's Schedule (`meridian:replication-<set>`) starts: it asks the set's workflow for a pass, starting it if needed. */
export async function replicationTickWorkflow(input: { set: string }): Promise<void> {
  await triggerReplication(input.set, { reason: 'schedule' });
}

/** `meridian replication verify`: every replica of the set (or the one named) compared with the primary by full listings. */
export async function replicationVerifyWorkflow(input: ReplicationVerifyInput): Promise<ReplicationVerifyOutput> {
  const info = workflowInfo();
  const progress: WorkflowProgress = { operation: 'replication-verify', phase: 'running', startedAt: new Date(info.startTime).toISOString() };
  setHandler(progressQuery, () => progress);
  upsertSearchAttributes([
    { key: SEARCH_ATTRIBUTE_KEYS.operation, value: 'replication-verify' },
    { key: SEARCH_ATTRIBUTE_KEYS.source, value: input.set },
  ]);
  const started = Date.now();
  try {
    const described = await describeReplicaSet({ set: input.set });
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTE_KEYS.repository, value: described.primary }]);
    if (input.replica !== undefined && !described.replicas.includes(input.replica)) {
      throw ApplicationFailure.create({ type: 'not-found', nonRetryable: true, message: `"${input.replica}" is not a replica of set ${input.set} (its replicas: ${described.replicas.join(', ')})` });
    }
    const names = input.replica !== undefined ? [input.replica] : described.replicas;
    setCurrentDetails(`comparing ${names.join(', ')} with ${described.primary}`);
    const replicas = await Promise.all(names.map((replica) => compareReplica({ set: input.set, replica })));
    const differences = replicas.reduce((sum, diff) => sum + diff.differences, 0);
    const output: ReplicationVerifyOutput = {
      workflowId: info.workflowId,
      set: input.set,
      ok: differences === 0 && replicas.every((diff) => diff.configMatches),
      differences,
      replicas,
      durationMs: Date.now() - started,
    };
    progress.phase = 'completed';
    progress.result = output;
    setCurrentDetails(`${names.join(', ')} compared with ${described.primary}: ${differences} differences`);
    return output;
  } catch (err) {
    progress.phase = 'failed';
    progress.error = innermostMessage(err);
    setCurrentDetails(`verify of set ${input.set} failed: ${progress.error}`);
    throw err;
  }
}

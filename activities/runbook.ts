// The activities of runbook executions (workflows/runbook.ts): the runbook read from the worker's
// configuration at the start (a local activity, recorded in history), and the automated actions
// that are not an existing operation's workflow: an HTTP request and a shell command (each carrying
// the step's idempotency key), the newest snapshot matching a step's criteria (optionally the newest
// that passes a deep verify), the comparison of a restored tree with its source, and the cluster's
// failover / failback / replicate Updates (worker/cluster.ts) with the step's key as the update id.

import { execFile } from 'node:child_process';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { verify } from '../core/checker.js';
import { RepositoryError } from '../core/errors.js';
import { listAlerts, RansomwareAlert } from '../core/ransomwareAlerts.js';
import type { Repository } from '../core/repository.js';
import { listSnapshots, Snapshot } from '../core/snapshots.js';
import { compareTrees, TreeComparison } from '../core/treeCompare.js';
import { compareWithSnapshot } from './restoredTree.js';
import { resolveRunbook } from '../runbooks/catalog.js';
import { prepareRunbook } from '../runbooks/parameters.js';
import { displayUrl, hasCredentials } from '../runbooks/urls.js';
import { boundedMessage } from '../workflows/failurePolicy.js';
import type { ResolvedRunbook, RunbookParams } from '../workflows/runbookDefs.js';
import { withFailureMapping } from './failures.js';
import { runWithHeartbeats } from './heartbeats.js';
import type { ActivityDeps } from './index.js';
import { withRepository } from './repositoryRun.js';

export interface LoadRunbookInput {
  runbook: string;
  params: RunbookParams;
}
/** The runbook with its parameters substituted, and the execution's parameter values (defaults included). */
export interface LoadedRunbook {
  resolved: ResolvedRunbook;
  params: RunbookParams;
}

export interface HttpStepInput {
  url: string;
  method: string;
  body?: string;
  /** Expected status; default any 2xx. */
  expectStatus?: number;
  idempotencyKey: string;
  timeoutMs: number;
}

export interface CommandStepInput {
  command: string;
  idempotencyKey: string;
  timeoutMs: number;
}

export interface FindSnapshotInput {
  repo: string;
  /** Only snapshots taken before this time (ISO 8601 with a zone). */
  before?: string;
  /**
   * Only snapshots taken before the oldest open ransomware alert of the matching snapshots
   * (core/ransomwareAlerts.ts), and before `before` too when given; with neither, the step fails.
   */
  beforeAlert?: boolean;
  /** Only snapshots of this source path. */
  source?: string;
  host?: string;
  /** The newest candidate that passes a deep verify of its own data (read-only: never with dryRun). */
  deepVerify?: boolean;
  /** A runbook's dry run: list without taking a lock, verify nothing. */
  dryRun?: boolean;
  /** Where the snapshot found is to be restored: refused when it is the snapshot's source path or inside it (that tree may still be compromised). */
  restoreTarget?: string;
}
export interface FoundSnapshot {
  snapshotId: string;
  time: string;
  source: string;
  /** Candidates deep-verified and found damaged before this one. */
  rejected: number;
}

/** The target compared with a source directory, or (snapshot) with that snapshot of repo. */
export interface CompareStepInput {
  repo: string;
  source?: string;
  snapshot?: string;
  target: string;
}

export interface ClusterStepInput {
  action: 'failover' | 'failback' | 'replicate';
  /** The failover entry (failover, failback) or the replica set (replicate). */
  name: string;
  to?: string;
  reason?: string;
  full?: boolean;
  by: string;
  updateId: string;
}

/** MERIDIAN_RUNBOOK_COMMANDS=1 in the worker's environment lets runbooks run shell commands on it. */
export function commandsAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.MERIDIAN_RUNBOOK_COMMANDS === '1';
}

export function createRunbookActivities(deps: ActivityDeps) {
  return {
    /** The runbook as this worker's configuration resolves it now, its parameters checked and substituted. */
    async loadRunbook(input: LoadRunbookInput): Promise<LoadedRunbook> {
      return withFailureMapping(async () => {
        const resolved = resolveRunbook(deps.workerConfig, input.runbook);
        const { runbook, params } = prepareRunbook(input.runbook, resolved.runbook, input.params);
        return { resolved: { ...resolved, runbook }, params };
      });
    },

    /** One request with the step's Idempotency-Key (the same on every retry of this attempt). */
    async runbookHttp(input: HttpStepInput): Promise<{ status: number }> {
      return runWithHeartbeats(async (_report, cancellation) => {
        const where = `${input.method} ${displayUrl(input.url)}`;
        if (hasCredentials(input.url)) throw ApplicationFailure.nonRetryable(`${where}: the URL has credentials in it (user:password@); refused`, 'invalid-argument');
        let response: Response;
        try {
          response = await fetch(input.url, {
            method: input.method,
            headers: { 'Idempotency-Key': input.idempotencyKey, ...(input.body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
            body: input.body,
            signal: AbortSignal.any([AbortSignal.timeout(input.timeoutMs), cancellation]),
          });
          await response.body?.cancel();
        } catch (err) {
          // Never fetch's own message: it may quote the whole URL, query tokens included.
          throw ApplicationFailure.retryable(`${where} failed: ${failureKind(err)}`, 'runbook-http');
        }
        const expected = input.expectStatus === undefined ? response.status >= 200 && response.status < 300 : response.status === input.expectStatus;
        if (!expected) {
          const message = `${where} answered ${response.status}, expected ${input.expectStatus ?? '2xx'}`;
          // A server error may pass; anything else will answer the same again.
          throw response.status >= 500 ? ApplicationFailure.retryable(message, 'runbook-http') : ApplicationFailure.nonRetryable(message, 'runbook-http');
        }
        return { status: response.status };
      });
    },

    /** `sh -c COMMAND` with MERIDIAN_IDEMPOTENCY_KEY set; refused unless the worker allows commands. */
    async runbookCommand(input: CommandStepInput): Promise<{ exitCode: number }> {
      if (!commandsAllowed()) throw ApplicationFailure.nonRetryable('this worker runs no runbook commands: start it with MERIDIAN_RUNBOOK_COMMANDS=1 to allow them', 'refused');
      return runWithHeartbeats(
        (_report, cancellation) =>
          new Promise((resolve, reject) => {
            execFile('/bin/sh', ['-c', input.command], { env: { ...process.env, MERIDIAN_IDEMPOTENCY_KEY: input.idempotencyKey }, timeout: input.timeoutMs, signal: cancellation }, (err, _stdout, stderr) => {
              if (!err) return resolve({ exitCode: 0 });
              const firstLine = String(stderr).split('\n').find((line) => line.trim() !== '') ?? err.message;
              reject(ApplicationFailure.nonRetryable(boundedMessage(`command exited with ${String(err.code ?? err.signal ?? 'an error')}: ${firstLine.slice(0, 200)}`), 'runbook-command'));
            });
          }),
      );
    },

    /** The newest snapshot matching the criteria (before an open ransomware alert, with beforeAlert); with deepVerify, the newest whose data passes a deep verify. */
    async findRunbookSnapshot(input: FindSnapshotInput): Promise<FoundSnapshot> {
      return runWithHeartbeats(async (report, cancellation) => {
        const before = input.before ? Date.parse(input.before) : undefined;
        if (before !== undefined && Number.isNaN(before)) throw new RepositoryError('invalid-argument', `before "${input.before}" is not a time (ISO 8601 with a zone)`);
        const source = input.source ? path.resolve(input.source) : undefined;
        const lock = input.dryRun ? ('none' as const) : { operation: 'verify' };
        return withRepository(deps, { repo: input.repo, lock }, cancellation, async (repo, signal) => {
          const matching = (await listSnapshots(repo)).filter((s) => (source === undefined || s.source === source) && (!input.host || s.host === input.host));
          const alert = input.beforeAlert ? await oldestOpenAlert(repo, matching) : undefined;
          if (input.beforeAlert && alert === undefined && before === undefined) {
            throw new RepositoryError('not-found', `no open ransomware alert${source ? ` of ${source}` : ''} in ${input.repo}, and no time given: pass the time the attack began as before`);
          }
          const bound = Math.min(before ?? Infinity, alert ? Date.parse(alert.time) : Infinity);
          const candidates = matching.filter((s) => Date.parse(s.time) < bound).reverse();
          let rejected = 0;
          for (const snapshot of candidates) {
            if (input.deepVerify && !input.dryRun) {
              report({ phase: 'verify', snapshot: snapshot.id, rejected });
              const outcome = await verify(repo, { snapshot: snapshot.id, level: 'deep', signal });
              if (!outcome.ok) {
                rejected++;
                continue;
              }
            }
            if (input.restoreTarget !== undefined) refuseTargetInside(input.restoreTarget, snapshot.source);
            return { snapshotId: snapshot.id, time: snapshot.time, source: snapshot.source, rejected };
          }
          const boundText = alert && Date.parse(alert.time) === bound ? `before the ransomware alert of ${alert.snapshotId.slice(0, 8)} (${alert.time})` : before !== undefined && `before ${input.before}`;
          const criteria = [boundText, source && `of ${source}`, input.host && `of host ${input.host}`].filter(Boolean).join(' ');
          throw new RepositoryError('not-found', `no snapshot${criteria ? ` ${criteria}` : ''}${rejected > 0 ? ` passes a deep verify (${rejected} damaged)` : ''} in ${input.repo}`);
        });
      });
    },

    /** The target tree compared with the source directory or with the snapshot; paths admitted by the worker's roots (source: backups, target: restores). */
    async compareRunbookTrees(input: CompareStepInput): Promise<TreeComparison> {
      return runWithHeartbeats(async (_report, cancellation) => {
        const { snapshot, source } = input;
        if ((snapshot === undefined) === (source === undefined)) throw new RepositoryError('invalid-argument', 'a compare step needs params.source (a directory) or params.snapshot (a snapshot of params.repo), not both');
        let comparison: TreeComparison;
        if (snapshot !== undefined) {
          comparison = await withRepository(deps, { repo: input.repo, target: input.target, lock: { operation: 'verify' } }, cancellation, (repo, signal) => compareWithSnapshot(repo, snapshot, input.target, signal));
        } else {
          await deps.authority.admit({ repo: input.repo, source, target: input.target, workflowId: Context.current().info.workflowExecution?.workflowId });
          comparison = await compareTrees(source!, input.target, cancellation);
        }
        if (!comparison.identical) {
          throw ApplicationFailure.nonRetryable(boundedMessage(`${input.target} differs from ${snapshot !== undefined ? `snapshot ${snapshot}` : source} in ${comparison.differences} entries: ${comparison.firstDifferences.join('; ')}`), 'runbook-compare');
        }
        return comparison;
      });
    },

    /**
     * A failover, failback or replicate step through the cluster's Updates, keyed by the step's update
     * id. The wait for the Update's result ends with the activity's cancellation (a worker shutting
     * down must not wait for a switch whose activities it no longer takes); the retry asks again
     * with the same id and gets the same switch's result.
     */
    async runbookCluster(input: ClusterStepInput): Promise<Record<string, unknown>> {
      return runWithHeartbeats(async (_report, cancellation) => {
        const cluster = deps.cluster;
        if (!cluster) throw new RepositoryError('refused', `a ${input.action} step needs a worker connected to the Temporal cluster (meridian worker or meridian server), not a command's own worker`);
        const request = { ...(input.to ? { to: input.to } : {}), ...(input.reason ? { reason: input.reason } : {}), by: input.by };
        const update: Promise<Record<string, unknown>> =
          input.action === 'replicate'
            ? cluster.replicateNow(input.name, input.full ?? false, input.updateId).then((passes) => ({ replicas: passes.length }))
            : (input.action === 'failover' ? cluster.failover(input.name, request, input.updateId) : cluster.failback(input.name, request, input.updateId)).then((accepted) => ({ ...accepted }));
        const cancelled = new Promise<never>((_resolve, reject) => {
          const stop = () => reject(cancellation.reason ?? new Error('cancelled'));
          if (cancellation.aborted) stop();
          else cancellation.addEventListener('abort', stop, { once: true });
        });
        return Promise.race([update, cancelled]);
      });
    },
  };
}

/** Refuses a restore target that is the snapshot's source path or inside it. */
function refuseTargetInside(target: string, source: string): void {
  const relative = path.relative(source, path.resolve(target));
  if (relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative))) {
    throw new RepositoryError('invalid-argument', `the restore target ${target} is ${relative === '' ? '' : 'inside '}the snapshot's source path ${source}: restore into an isolated directory elsewhere`);
  }
}

/** What went wrong with a request, without its message: the error's name and the cause's code (ECONNREFUSED, ENOTFOUND, …). */
function failureKind(err: unknown): string {
  const { name, cause } = (typeof err === 'object' && err !== null ? err : {}) as { name?: unknown; cause?: { code?: unknown; name?: unknown } };
  const kind = typeof name === 'string' ? name : 'an error';
  const code = typeof cause?.code === 'string' ? cause.code : typeof cause?.name === 'string' ? cause.name : undefined;
  return code !== undefined ? `${kind} (${code})` : kind;
}

/** The oldest ransomware alert not acknowledged among `snapshots`; undefined when none is open. */
async function oldestOpenAlert(repo: Repository, snapshots: Snapshot[]): Promise<RansomwareAlert | undefined> {
  return (await listAlerts(repo, snapshots)).find((alert) => alert.acknowledged === undefined);
}

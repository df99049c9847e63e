// Worker-process metrics of operations, recorded by an activity interceptor: each attempt of an
// operation's main activity (backup, restore, verify, forget, prune, scrub, unlock, repair,
// replication pass) is counted by operation and outcome and timed; a backup's added bytes and the
// problems verify and scrub find are recorded from results. Labels are operation words and
// repository names of meridian.yaml, never snapshot ids, paths or URLs.

import { CancelledFailure } from '@temporalio/common';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, ActivityInterceptorsFactory, Next } from '@temporalio/worker';
import { Counter, Histogram } from 'prom-client';
import { isRepositoryName } from '../storage/open.js';
import { meridianRegistry } from './registry.js';

/** Activity type → the operation it does the work of. Other activities (lookups, notifications) are not counted. */
const OPERATION_OF_ACTIVITY: Readonly<Record<string, string>> = {
  backupSnapshot: 'backup',
  restoreSnapshot: 'restore',
  verifyRepository: 'verify',
  forgetSnapshots: 'forget',
  pruneRepository: 'prune',
  scrubRepository: 'scrub',
  unlockRepository: 'unlock',
  repairIndex: 'repair',
  repairSnapshots: 'repair',
  replicateToReplica: 'replication',
};

const operations = new Counter({
  name: 'meridian_operations_total',
  help: 'Attempts of operations run by this worker, by operation and outcome (success, failure, cancelled).',
  labelNames: ['operation', 'outcome'] as const,
  registers: [meridianRegistry],
});

const durations = new Histogram({
  name: 'meridian_operation_duration_seconds',
  help: 'Duration of the operation attempts run by this worker, whatever their outcome.',
  labelNames: ['operation'] as const,
  buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 12 * 3600],
  registers: [meridianRegistry],
});

const addedBytes = new Histogram({
  name: 'meridian_backup_added_bytes',
  help: 'Bytes a successful backup added to its repository (after deduplication, before compression).',
  buckets: [0, 1024, 1024 ** 2, 16 * 1024 ** 2, 128 * 1024 ** 2, 1024 ** 3, 8 * 1024 ** 3, 64 * 1024 ** 3],
  registers: [meridianRegistry],
});

const problems = new Counter({
  name: 'meridian_verify_problems_total',
  help: 'Problems found by verify and scrub runs of this worker (a scrub run reports at most 20), by repository name ("unnamed" for a URL).',
  labelNames: ['repository'] as const,
  registers: [meridianRegistry],
});

/** The repository label of an input: its name in meridian.yaml, never a URL or path. */
function repositoryLabel(args: unknown[]): string {
  const repo = (args[0] as { repo?: unknown } | undefined)?.repo;
  return typeof repo === 'string' && isRepositoryName(repo) ? repo : 'unnamed';
}

function record(operation: string, args: unknown[], result: unknown): void {
  if (operation === 'backup') addedBytes.observe((result as { bytesAdded?: number }).bytesAdded ?? 0);
  if (operation === 'verify' || operation === 'scrub') {
    const found = (result as { problems?: unknown[] }).problems?.length ?? 0;
    problems.inc({ repository: repositoryLabel(args) }, found);
  }
}

/** The worker's activity interceptor: counts and times the operations' activities. */
export const operationMetricsInterceptor: ActivityInterceptorsFactory = (ctx) => {
  const operation = OPERATION_OF_ACTIVITY[ctx.info.activityType];
  if (operation === undefined) return {};
  const inbound: ActivityInboundCallsInterceptor = {
    async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
      const stopTimer = durations.startTimer({ operation });
      try {
        const result = await next(input);
        operations.inc({ operation, outcome: 'success' });
        record(operation, input.args, result);
        return result;
      } catch (err) {
        operations.inc({ operation, outcome: err instanceof CancelledFailure || ctx.cancellationSignal.aborted ? 'cancelled' : 'failure' });
        throw err;
      } finally {
        stopTimer();
      }
    },
  };
  return { inbound };
};

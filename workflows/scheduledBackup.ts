// scheduledBackupWorkflow: one run of a backup schedule (a Temporal Schedule that `meridian apply`
// made starts it). It backs up, then forgets by the schedule's policy over this source's snapshots
// only (the host and source the new snapshot records), then prunes every `prune.every`-th run, and
// returns counts. Runs are counted from the last completed run's result, which a Schedule hands to
// each run (`workflowInfo().lastResult`); a failed run does not count. When a step fails it raises
// backup-failed (prune-failed for its prune) to the schedule's `notify` channels (every channel that
// wants it without a list) and fails, so the run reads failed in Temporal UI; its child backup
// leaves the telling to it, a suspected-ransomware event of the backup too. Only the first failure in a row is told: a run whose Schedule hands it
// the previous run's failure (`workflowInfo().lastFailure`) fails silently, so a schedule stuck
// failing does not page every run; recovery is told by the SLA events.
//
// The backup runs as a child backupWorkflow, not as an activity of this workflow: it then is a
// backup like any other in Temporal UI, `temporal workflow list` and Meridian's listings (searchable
// as MeridianOperation=backup, with its own progress query and current details), and this
// workflow's history stays a few events. Forget and prune are this workflow's own activities
// (with the data-plane options every operation uses): a forget filtered to one source is not an
// operation anyone starts by hand, and they are short next to the backup.

import { executeChild, isCancellation, ParentClosePolicy, patched, proxyActivities, setCurrentDetails, setHandler, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { dataPlaneOptions } from './activityOptions.js';
import { operationSearchAttributes, repositoryLabel, SEARCH_ATTRIBUTE_KEYS } from './catalog.js';
import { isLegacyTarget, notifyScheduledRun, raiseEvent, raisesEvents, runEventId } from './notifications.js';
import { backupWorkflow, innermostMessage, RANSOMWARE_ALERT_PATCH, suspicionEvent } from './operations.js';
import { progressQuery, ScheduledBackupInput, ScheduledBackupOutput, WorkflowProgress } from './shared.js';
import { operationWorkflowId } from './workflowIds.js';

/** Patch id of telling only the first failed run in a row (runs recorded before it told every one). */
export const FIRST_FAILURE_PATCH = 'scheduled-backup-first-failure-only';

export async function scheduledBackupWorkflow(input: ScheduledBackupInput): Promise<ScheduledBackupOutput> {
  const info = workflowInfo();
  const run = ((info.lastResult as ScheduledBackupOutput | undefined)?.run ?? 0) + 1;
  const { repo, path } = input.backup;
  const repository = repositoryLabel(repo);
  const summary = `scheduled backup "${input.schedule}" of ${path} into ${repository}, run ${run}`;
  const progress: WorkflowProgress = { operation: 'scheduled-backup', phase: 'running', startedAt: new Date(info.startTime).toISOString() };
  setHandler(progressQuery, () => progress);
  upsertSearchAttributes([
    { key: SEARCH_ATTRIBUTE_KEYS.operation, value: 'scheduled-backup' },
    { key: SEARCH_ATTRIBUTE_KEYS.repository, value: repository },
    { key: SEARCH_ATTRIBUTE_KEYS.source, value: path },
  ]);
  upsertMemo({ operation: 'scheduled-backup', repository, subject: path, schedule: input.schedule, summary });

  const { forgetSnapshots, pruneRepository } = proxyActivities<Activities>(dataPlaneOptions(input.backup.dataTaskQueue));
  let step = 'backup';
  try {
    setCurrentDetails(`${summary}: backing up`);
    const backup = await executeChild(backupWorkflow, {
      args: [input.backup],
      workflowId: operationWorkflowId('backup', repo, path, new Date(info.startTime)),
      typedSearchAttributes: operationSearchAttributes('backup', input.backup),
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    });
    const { warnings: _skippedFiles, ...backupCounts } = backup;
    const output: ScheduledBackupOutput = { run, backup: backupCounts };
    // The child tells nobody (a scheduled run tells its schedule's channels); a list of legacy targets has no such event.
    if (backup.suspectedRansomware && raisesEvents() && !input.notify?.some(isLegacyTarget) && patched(RANSOMWARE_ALERT_PATCH)) {
      await raiseEvent(suspicionEvent(input.backup, backup), input.notify);
    }

    if (input.retention) {
      step = 'forget';
      setCurrentDetails(`${summary}: snapshot ${backup.snapshotId.slice(0, 8)} saved; forgetting by the schedule's policy`);
      const { kept, removed, durationMs } = await forgetSnapshots({ repo, ...input.retention, filter: { host: backup.host, paths: [backup.source] }, dataTaskQueue: input.backup.dataTaskQueue });
      output.forget = { kept, removed, durationMs };
    }

    if (input.prune && run % input.prune.every === 0) {
      step = 'prune';
      setCurrentDetails(`${summary}: pruning (every ${input.prune.every} runs)`);
      output.prune = await pruneRepository({ repo, maxUnusedPercent: input.prune.maxUnusedPercent, dataTaskQueue: input.backup.dataTaskQueue });
    }

    progress.phase = 'completed';
    progress.result = output;
    setCurrentDetails(`${summary}: completed: snapshot ${backup.snapshotId.slice(0, 8)}${output.forget ? `, ${output.forget.removed} forgotten, ${output.forget.kept} kept` : ''}${output.prune ? ', pruned' : ''}`);
    return output;
  } catch (err) {
    progress.phase = 'failed';
    progress.error = innermostMessage(err);
    setCurrentDetails(`${summary}: ${step} failed: ${progress.error}`);
    // An operator's cancel is no failure to be told about (and leaves no time to tell).
    const failingAlready = info.lastFailure !== undefined && patched(FIRST_FAILURE_PATCH);
    if (!isCancellation(err) && !failingAlready) {
      const message = `scheduled backup "${input.schedule}" of ${path} into ${repository}: ${step} failed: ${progress.error}`;
      await notifyScheduledRun(
        input.notify,
        { kind: 'scheduled-backup-failed', schedule: input.schedule, repository, message },
        { id: runEventId('failed'), kind: step === 'prune' ? 'prune-failed' : 'backup-failed', subject: path, summary: message, details: { schedule: input.schedule, repository, step } },
      );
    }
    throw err;
  }
}

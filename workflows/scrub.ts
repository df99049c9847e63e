// scrubWorkflow: one run of a scrub schedule. It takes the cursor from the last completed run's
// result (a Temporal Schedule hands each run its previous completed run's output; the first run,
// or one started by hand, begins at subset 1), deep-verifies that share of the packs through the
// scrubRepository activity and returns the next cursor. Damage found does not fail the run (a
// failed run would not pass its cursor on): it completes with ok: false, the problems and a
// damage-found event to the schedule's channels. A run that cannot scrub at all fails (and raises
// verify-failed);
// the next run then starts again from the last completed run's cursor.

import { proxyActivities, setCurrentDetails, setHandler, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { dataPlaneOptions } from './activityOptions.js';
import { repositoryLabel, SEARCH_ATTRIBUTE_KEYS } from './catalog.js';
import { notifyScheduledRun, runEventId } from './notifications.js';
import { innermostMessage } from './operations.js';
import { progressQuery, ScrubInput, ScrubOutput, WorkflowProgress } from './shared.js';

export async function scrubWorkflow(input: ScrubInput): Promise<ScrubOutput> {
  const info = workflowInfo();
  const cursor = (info.lastResult as ScrubOutput | undefined)?.cursor;
  const repository = repositoryLabel(input.repo);
  const summary = `scrub of ${repository} (1/${input.cycle} of the packs per run)`;
  const progress: WorkflowProgress = { operation: 'scrub', phase: 'running', startedAt: new Date(info.startTime).toISOString() };
  setHandler(progressQuery, () => progress);
  upsertSearchAttributes([
    { key: SEARCH_ATTRIBUTE_KEYS.operation, value: 'scrub' },
    { key: SEARCH_ATTRIBUTE_KEYS.repository, value: repository },
  ]);
  upsertMemo({ operation: 'scrub', repository, summary, ...(input.schedule ? { schedule: input.schedule } : {}) });
  // The engine restarts a cursor of another cycle at subset 1 (and warns); so do the details here.
  const from = cursor?.cycle === input.cycle ? cursor : { subset: 1, after: undefined };
  setCurrentDetails(`${summary}: running, subset ${from.subset}/${input.cycle}${from.after ? ` after pack ${from.after.slice(0, 12)}` : ''}`);

  const { scrubRepository } = proxyActivities<Activities>(dataPlaneOptions(input.dataTaskQueue));
  let run;
  try {
    run = await scrubRepository({ repo: input.repo, cycle: input.cycle, ...(input.budgetBytes !== undefined ? { budgetBytes: input.budgetBytes } : {}), ...(cursor ? { cursor } : {}) });
  } catch (err) {
    progress.phase = 'failed';
    progress.error = innermostMessage(err);
    setCurrentDetails(`${summary}: failed: ${progress.error}`);
    const message = `scrub of ${repository} failed: ${progress.error}`;
    await notifyScheduledRun(
      input.notify,
      { kind: 'scrub-failed', schedule: input.schedule ?? info.workflowId, repository, message },
      { id: runEventId('failed'), kind: 'verify-failed', subject: repository, summary: message, details: { operation: 'scrub', ...(input.schedule ? { schedule: input.schedule } : {}) } },
    );
    throw err;
  }

  const output: ScrubOutput = {
    ok: run.ok,
    subset: run.subset,
    checked: { packs: run.checked.packs, bytes: run.checked.bytes },
    problems: run.problems,
    cursor: run.next,
    cycleStretched: run.cycleStretched,
    warnings: run.warnings,
    durationMs: run.durationMs,
  };
  const read = `subset ${run.subset.n}/${run.subset.t}: ${run.checked.packs} packs, ${run.checked.bytes} bytes read${run.cycleStretched ? ', budget reached (the rest next run)' : ''}`;
  if (run.ok) {
    setCurrentDetails(`${summary}: completed, ${read}`);
  } else {
    const first = run.problems[0]!;
    const found = `found ${run.problems.length === 1 ? 'a problem' : 'problems'} in ${read}`;
    setCurrentDetails(`${summary}: completed with problems: ${found}; first: ${first.message}`);
    const message = `scrub of ${repository} ${found}; first: ${first.message}`;
    output.notification = await notifyScheduledRun(
      input.notify,
      { kind: 'scrub-found-damage', schedule: input.schedule ?? info.workflowId, repository, message },
      { id: runEventId('damage'), kind: 'damage-found', subject: repository, summary: message, details: { operation: 'scrub', problems: run.problems.length, ...(input.schedule ? { schedule: input.schedule } : {}) } },
    );
  }
  progress.phase = 'completed';
  progress.result = output;
  return output;
}

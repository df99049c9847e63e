// The file-set journal of one source (`journal:<repository>:<source>`, started by `meridian
// journal` or `meridian apply`): runs the watcher activity (activities/journalWatcher.ts) on the
// source host's task queue in rounds of about JOURNAL_ROUND_SECONDS, each writing a segment per
// interval, and continues as new every ROUNDS_PER_RUN rounds (or sooner when Temporal suggests it)
// so its history stays bounded. A failed round is recorded in lastError and the next one starts
// after an interval (it rescans: nothing is lost). Stopped by cancellation: the round in progress
// writes what it collected, then the workflow ends.

import { CancelledFailure, isCancellation, makeContinueAsNewFunc, proxyActivities, setCurrentDetails, setHandler, sleep, upsertMemo, upsertSearchAttributes, workflowInfo, defineQuery } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { dataPlaneOptions } from './activityOptions.js';
import { repositoryLabel, SEARCH_ATTRIBUTE_KEYS } from './catalog.js';
import { JOURNAL_ROUND_SECONDS, type JournalInput, type JournalProgress } from './journalDefs.js';
import { innermostMessage } from './operations.js';

/** Watcher rounds per run before continuing as new. */
export const ROUNDS_PER_RUN = 100;

/** What the journal has done so far (every run of it). */
export const journalProgressQuery = defineQuery<JournalProgress>('journalProgress');

export async function journalWorkflow(input: JournalInput): Promise<JournalProgress> {
  const { carried, ...settings } = input;
  const progress: JournalProgress = carried ?? { segments: 0, bytesAdded: 0 };
  // One retry within a round: the workflow's own loop retries after that, with a rescan.
  const { watchJournal } = proxyActivities<Activities>({
    ...dataPlaneOptions(settings.dataTaskQueue),
    retry: { maximumAttempts: 2, initialInterval: '1 second' },
  });
  setHandler(journalProgressQuery, () => progress);
  const summary = `journal of ${settings.source} into ${repositoryLabel(settings.repo)} every ${settings.intervalSeconds}s`;
  upsertSearchAttributes([
    { key: SEARCH_ATTRIBUTE_KEYS.operation, value: 'journal' },
    { key: SEARCH_ATTRIBUTE_KEYS.repository, value: repositoryLabel(settings.repo) },
    { key: SEARCH_ATTRIBUTE_KEYS.source, value: settings.source },
  ]);
  upsertMemo({ operation: 'journal', summary });
  const rounds = Math.max(1, Math.ceil(JOURNAL_ROUND_SECONDS / settings.intervalSeconds));
  try {
    for (let round = 0; round < ROUNDS_PER_RUN && !workflowInfo().continueAsNewSuggested; round += 1) {
      setCurrentDetails(details(summary, progress));
      try {
        const done = await watchJournal({ repo: settings.repo, source: settings.source, host: settings.host, excludes: settings.excludes, intervalSeconds: settings.intervalSeconds, rounds });
        progress.segments += done.segments;
        progress.bytesAdded += done.bytesAdded;
        if (done.lastUntil !== undefined) progress.lastUntil = done.lastUntil;
        if (done.rescans.length > 0) progress.lastRescan = done.rescans.at(-1);
        delete progress.lastError;
      } catch (err) {
        if (isCancellation(err)) throw err;
        progress.lastError = innermostMessage(err);
        await sleep(settings.intervalSeconds * 1000);
      }
    }
  } catch (err) {
    if (err instanceof CancelledFailure || isCancellation(err)) return progress; // stopped: a journal ends by cancellation
    throw err;
  }
  return await makeContinueAsNewFunc<typeof journalWorkflow>({ memo: workflowInfo().memo ?? {} })({ ...settings, carried: progress });
}

function details(summary: string, p: JournalProgress): string {
  return `${summary}: ${p.segments} segments${p.lastUntil ? `, covered until ${p.lastUntil}` : ''}${p.lastError ? `; last round failed: ${p.lastError}` : ''}`;
}

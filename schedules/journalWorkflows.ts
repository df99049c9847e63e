// The file-set journals (`journal:<repository>:<source>`, workflows/journal.ts) as `meridian apply`
// keeps them: one for every source with a `journal:` entry, started when none runs, restarted
// (stopped, then started) when its settings changed, stopped when its entry left a file that apply
// started it from. A journal is stopped by cancellation, so it writes what it collected first
// (terminated when it has not ended soon after: no worker polls its queue).
// `meridian journal` starts and stops one by hand with the same functions.

import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { MeridianConfig } from '../config/schema.js';
import { repositoryLabel } from '../workflows/catalog.js';
import { DEFAULT_JOURNAL_INTERVAL_SECONDS, journalWorkflowId, type JournalInput } from '../workflows/journalDefs.js';
import { MANAGED_BY } from './applyPlan.js';
import { canonicalJson } from './desired.js';
import { runningWorkflow, startLongRunning, stopLongRunning } from './longRunningWorkflows.js';

/** The workflow type of a journal. */
export const JOURNAL_WORKFLOW = 'journalWorkflow';
/** The memo key of the settings a journal was started with. */
export const JOURNAL_SETTINGS_MEMO = 'journalSettings';

export type JournalAction = 'start' | 'running' | 'restart' | 'stop';

export interface JournalPlanEntry {
  source: string;
  workflowId: string;
  action: JournalAction;
  why: string;
  settings?: JournalInput;
}

/** The journal of source `name` of `config`. */
export function journalSettings(config: MeridianConfig, name: string): JournalInput {
  const entry = config.sources[name]!;
  const intervalMs = entry.journal?.interval;
  return {
    repo: entry.repository,
    source: path.resolve(entry.path),
    ...(entry.host !== undefined ? { host: entry.host } : {}),
    ...(entry.exclude !== undefined ? { excludes: entry.exclude } : {}),
    intervalSeconds: intervalMs !== undefined ? intervalMs / 1000 : DEFAULT_JOURNAL_INTERVAL_SECONDS,
    ...(entry.taskQueue !== undefined ? { dataTaskQueue: entry.taskQueue } : {}),
  };
}

/** The workflow id of a journal's settings. */
export function journalIdOf(settings: Pick<JournalInput, 'repo' | 'source'>): string {
  return journalWorkflowId(repositoryLabel(settings.repo), settings.source);
}

/** What apply does to the journals of `config` (read from `configFile`), sorted by workflow id. */
export async function planJournals(client: Client, config: MeridianConfig, configFile: string): Promise<JournalPlanEntry[]> {
  const wanted = Object.keys(config.sources).filter((name) => config.sources[name]!.journal !== undefined);
  const entries = await Promise.all(
    wanted.map(async (source): Promise<JournalPlanEntry> => {
      const settings = journalSettings(config, source);
      const workflowId = journalIdOf(settings);
      const running = await runningWorkflow(client, workflowId);
      if (!running) return { source, workflowId, action: 'start', why: 'not running', settings };
      if (canonicalJson(running.memo[JOURNAL_SETTINGS_MEMO] ?? null) === canonicalJson(settings)) return { source, workflowId, action: 'running', why: 'matches meridian.yaml', settings };
      return { source, workflowId, action: 'restart', why: 'meridian.yaml changed its settings', settings };
    }),
  );
  const ids = new Set(entries.map((e) => e.workflowId));
  for await (const info of client.workflow.list({ query: `WorkflowType = '${JOURNAL_WORKFLOW}' AND ExecutionStatus = 'Running'` })) {
    const memo = info.memo ?? {};
    if (memo.managedBy !== MANAGED_BY || memo.config !== configFile || ids.has(info.workflowId)) continue;
    entries.push({ source: String((memo[JOURNAL_SETTINGS_MEMO] as JournalInput | undefined)?.source ?? info.workflowId), workflowId: info.workflowId, action: 'stop', why: 'its journal entry is no longer in meridian.yaml' });
  }
  return entries.sort((a, b) => (a.workflowId < b.workflowId ? -1 : a.workflowId > b.workflowId ? 1 : 0));
}

/** Starts, restarts and stops as planned. */
export async function executeJournals(client: Client, plan: readonly JournalPlanEntry[], taskQueue: string, configFile: string): Promise<void> {
  for (const entry of plan) {
    if (entry.action === 'stop' || entry.action === 'restart') await stopJournal(client, entry.workflowId);
    if (entry.action === 'start' || entry.action === 'restart') await startJournal(client, taskQueue, entry.settings!, { managedBy: MANAGED_BY, config: configFile });
  }
}

/** Starts the journal unless it runs; its memo records its settings. */
export async function startJournal(client: Client, taskQueue: string, settings: JournalInput, memo: Record<string, unknown> = {}): Promise<string> {
  const workflowId = journalIdOf(settings);
  const staticSummary = `journal of ${settings.source} into ${repositoryLabel(settings.repo)}`;
  await startLongRunning(client, taskQueue, { workflowType: JOURNAL_WORKFLOW, workflowId, input: settings, memo: { ...memo, [JOURNAL_SETTINGS_MEMO]: settings }, staticSummary });
  return workflowId;
}

/** How long a stopped journal has to write its last segment before it is terminated. */
export const STOP_GRACE_MS = 15_000;

/**
 * Cancels the journal and waits until it wrote its last segment and ended, terminating it after
 * STOP_GRACE_MS (no worker polls, or the segment is stuck); false when none ran.
 */
export async function stopJournal(client: Client, workflowId: string): Promise<boolean> {
  if (!(await runningWorkflow(client, workflowId))) return false;
  const handle = client.workflow.getHandle(workflowId);
  await handle.cancel();
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), STOP_GRACE_MS)));
  const ended = await Promise.race([handle.result().then(() => 'ended' as const, () => 'ended' as const), graceOver]);
  clearTimeout(timer);
  if (ended === 'late') await stopLongRunning(client, workflowId, `stopped: it did not end within ${STOP_GRACE_MS / 1000}s of its cancellation`);
  return true;
}

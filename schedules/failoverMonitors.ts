// The failover monitor of each `failover:` entry (`failover:<name>`) as `meridian apply` keeps it:
// started when none runs, signalled to reload its configuration when the entry changed (its state
// — active region, streaks, events — stays), terminated when its entry left the file. Apply marks
// the monitors it starts with a memo naming itself and the file, plus a digest of the entry; only a
// monitor it started from this same file is ever stopped, and a reload's signal carries the new
// digest so a second apply of the same file changes nothing. A monitor whose query shows a switch
// in progress is never stopped (kept: a later apply stops it).

import type { Client } from '@temporalio/client';
import type { MeridianConfig } from '../config/schema.js';
import { FAILOVER_DIGEST_MEMO, failoverStatusQuery, failoverWorkflowId, reloadFailoverSignal, type FailoverWorkflowInput } from '../workflows/failoverDefs.js';
import { MANAGED_BY } from './applyPlan.js';
import { canonicalJson, sha256 } from './desired.js';
import { lastSignalled, runningWorkflow, startLongRunning, stopLongRunning } from './longRunningWorkflows.js';

/** The workflow type of a failover monitor (workflows/failover.ts). */
export const FAILOVER_MONITOR_WORKFLOW = 'failoverMonitorWorkflow';

/** keep: its entry left meridian.yaml but a switch is in progress, so it is not stopped now. */
export type FailoverMonitorAction = 'start' | 'running' | 'reload' | 'stop' | 'keep';

/** How long apply waits for a monitor to answer whether a switch is in progress (no answer: it is stopped as planned). */
const SWITCH_QUERY_TIMEOUT_MS = 5_000;

export interface FailoverMonitorPlanEntry {
  name: string;
  workflowId: string;
  action: FailoverMonitorAction;
  /** Why, in a few words. */
  why: string;
  /** The digest of the entry as the file has it (absent for a stop). */
  digest?: string;
}

/** The digest of a failover entry together with the regions of its set's repositories (what the monitor reads). */
export function failoverDigest(config: MeridianConfig, name: string): string {
  const entry = config.failover[name]!;
  const set = config.replication[entry.replication];
  const members = set ? [set.primary, ...set.replicas].map((m) => [m, config.repositories[m]?.region ?? null]) : [];
  return sha256(canonicalJson({ entry, members }));
}

/** What apply does to the monitors of `config` (read from `configFile`), sorted by name. */
export async function planFailoverMonitors(client: Client, config: MeridianConfig, configFile: string): Promise<FailoverMonitorPlanEntry[]> {
  const names = Object.keys(config.failover);
  const wanted = await Promise.all(
    names.map(async (name): Promise<FailoverMonitorPlanEntry> => {
      const workflowId = failoverWorkflowId(name);
      const digest = failoverDigest(config, name);
      const applied = await appliedDigest(client, workflowId);
      if (applied === undefined) return { name, workflowId, action: 'start', why: 'not running', digest };
      if (applied === digest) return { name, workflowId, action: 'running', why: 'matches meridian.yaml', digest };
      return { name, workflowId, action: 'reload', why: 'meridian.yaml changed it', digest };
    }),
  );
  const left = (await ownedMonitors(client, configFile)).filter((name) => !names.includes(name));
  const stops = await Promise.all(
    left.map(async (name): Promise<FailoverMonitorPlanEntry> => {
      const workflowId = failoverWorkflowId(name);
      const switching = await switchInProgress(client, workflowId);
      if (switching !== undefined) return { name, workflowId, action: 'keep', why: `its entry is no longer in meridian.yaml, but ${switching}: not stopped, apply again once it is done` };
      return { name, workflowId, action: 'stop', why: 'its entry is no longer in meridian.yaml' };
    }),
  );
  return [...wanted, ...stops].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Starts, signals and terminates as planned. */
export async function executeFailoverMonitors(client: Client, plan: readonly FailoverMonitorPlanEntry[], taskQueue: string, configFile: string): Promise<void> {
  for (const entry of plan) {
    if (entry.action === 'start') {
      const input: FailoverWorkflowInput = { name: entry.name };
      const memo = { managedBy: MANAGED_BY, config: configFile, [FAILOVER_DIGEST_MEMO]: entry.digest };
      await startLongRunning(client, taskQueue, { workflowType: FAILOVER_MONITOR_WORKFLOW, workflowId: entry.workflowId, input, memo, staticSummary: `failover monitor ${entry.name}` });
    } else if (entry.action === 'reload') {
      await client.workflow.getHandle(entry.workflowId).signal(reloadFailoverSignal, { digest: entry.digest! });
    } else if (entry.action === 'stop') {
      await stopLongRunning(client, entry.workflowId, 'its failover entry was removed from meridian.yaml (meridian apply)');
    }
  }
}

/**
 * The digest of the entry the running monitor was last given: the latest reload signal's of its
 * current run (a signal no worker has handled yet counts), else its memo's (set at start, upserted
 * by the monitor on each reload, carried over continue-as-new); undefined when none runs. A monitor
 * not started by apply has none: '' (a reload is planned).
 */
async function appliedDigest(client: Client, workflowId: string): Promise<string | undefined> {
  const running = await runningWorkflow(client, workflowId);
  if (!running) return undefined;
  const sent = (await lastSignalled(client, workflowId, running.runId, reloadFailoverSignal.name)) as { digest?: unknown } | undefined;
  const digest = sent?.digest ?? running.memo[FAILOVER_DIGEST_MEMO];
  return typeof digest === 'string' ? digest : '';
}

/** `a failover from eu to us is in progress` when the monitor's query shows one; undefined when it shows none or does not answer in time. */
async function switchInProgress(client: Client, workflowId: string): Promise<string | undefined> {
  try {
    const state = await client.withDeadline(Date.now() + SWITCH_QUERY_TIMEOUT_MS, () => client.workflow.getHandle(workflowId).query(failoverStatusQuery));
    return state.switching ? `a ${state.switching.kind} from ${state.switching.from} to ${state.switching.to} is in progress` : undefined;
  } catch {
    return undefined;
  }
}

/** The names of the running monitors that apply started from `configFile`. */
async function ownedMonitors(client: Client, configFile: string): Promise<string[]> {
  const names: string[] = [];
  for await (const info of client.workflow.list({ query: `WorkflowType = '${FAILOVER_MONITOR_WORKFLOW}' AND ExecutionStatus = 'Running'` })) {
    const memo = info.memo ?? {};
    if (memo.managedBy === MANAGED_BY && memo.config === configFile && info.workflowId.startsWith('failover:')) names.push(info.workflowId.slice('failover:'.length));
  }
  return names;
}

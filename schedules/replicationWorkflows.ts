// The long-running workflow of each replica set (`replication:<set>`) as `meridian apply` keeps
// it: started for every set of meridian.yaml that has none running, left alone when one runs
// (its state and pending passes stay), and terminated when its set left the file. A set that
// left is known by its Schedule, which apply made and now deletes: a set workflow that apply never
// owned (started by the backups of a worker with another meridian.yaml) is never stopped by it.

import type { Client } from '@temporalio/client';
import { REPLICATION_WORKFLOW, replicationSummary, replicationWorkflowId, type ReplicationWorkflowInput } from '../workflows/replicationDefs.js';
import { runningWorkflow, startLongRunning, stopLongRunning } from './longRunningWorkflows.js';
import type { ExistingSchedule } from './plan.js';

/** The workflow type of a replica set's long-running workflow (workflows/replication.ts). */

export type ReplicationWorkflowAction = 'start' | 'running' | 'stop';

export interface ReplicationWorkflowPlanEntry {
  set: string;
  workflowId: string;
  action: ReplicationWorkflowAction;
  /** Why, in a few words. */
  why: string;
}

/**
 * What apply does to the set workflows: `sets` are the file's replica sets; `schedules` the owned
 * Schedules that exist (a replica set's names its set). Sorted by set.
 */
export async function planReplicationWorkflows(client: Client, sets: readonly string[], schedules: readonly ExistingSchedule[]): Promise<ReplicationWorkflowPlanEntry[]> {
  const wanted = new Set(sets);
  const left = new Set(schedules.flatMap((s) => (s.replicationSet !== undefined && !wanted.has(s.replicationSet) ? [s.replicationSet] : [])));
  const entries = await Promise.all([
    ...sets.map(async (set): Promise<ReplicationWorkflowPlanEntry> => {
      const workflowId = replicationWorkflowId(set);
      const running = await isRunning(client, workflowId);
      return { set, workflowId, action: running ? 'running' : 'start', why: running ? 'already running' : 'not running' };
    }),
    ...[...left].map(async (set): Promise<ReplicationWorkflowPlanEntry | undefined> => {
      const workflowId = replicationWorkflowId(set);
      return (await isRunning(client, workflowId)) ? { set, workflowId, action: 'stop', why: 'its set is no longer in meridian.yaml' } : undefined;
    }),
  ]);
  return entries.filter((e): e is ReplicationWorkflowPlanEntry => e !== undefined).sort((a, b) => (a.set < b.set ? -1 : a.set > b.set ? 1 : 0));
}

/** Starts and terminates as planned; a workflow started meanwhile by a backup's trigger is taken as it is. */
export async function executeReplicationWorkflows(client: Client, plan: readonly ReplicationWorkflowPlanEntry[], taskQueue: string): Promise<void> {
  for (const entry of plan) {
    if (entry.action === 'start') {
      const input: ReplicationWorkflowInput = { set: entry.set };
      await startLongRunning(client, taskQueue, { workflowType: REPLICATION_WORKFLOW, workflowId: entry.workflowId, input, staticSummary: replicationSummary(entry.set) });
    } else if (entry.action === 'stop') {
      await stopLongRunning(client, entry.workflowId, 'its replica set was removed from meridian.yaml (meridian apply)');
    }
  }
}

async function isRunning(client: Client, workflowId: string): Promise<boolean> {
  return (await runningWorkflow(client, workflowId)) !== undefined;
}

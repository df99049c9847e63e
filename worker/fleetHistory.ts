// What the SLA monitor's observation reads from Temporal visibility: the measured recoveries
// (completed restore workflows of a repository, CloseTime − StartTime; succeeded executions of
// recovery runbooks, their memo's rtoSeconds) and the snapshots the newest completed verify of a
// repository found damaged (its result). Newest first, a bounded number each.

import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { VerifyOutput } from '../workflows/shared.js';
import { SEARCH_ATTRIBUTES } from '../workflows/catalog.js';

/** A measured recovery: a restore (of `snapshot`, as its input named it) or a runbook execution. */
export interface Recovery {
  kind: 'restore' | 'runbook';
  /** When it finished. */
  at: string;
  /** When it started (a restore of `latest` meant the newest snapshot then). */
  startedAt: string;
  seconds: number;
  workflowId: string;
  /** A restore's snapshot reference (an id, a prefix or `latest`); a runbook's name. */
  ref: string;
  /** A restore's repository, as visibility labels it. */
  repository?: string;
}

export interface FleetHistory {
  /** Completed restores from any of `repositoryLabels` and succeeded recovery executions of `runbooks`, newest first. */
  recoveries(repositoryLabels: readonly string[], runbooks: readonly string[]): Promise<Recovery[]>;
  /** The snapshot ids that the newest completed verify from any of `repositoryLabels` found damaged. */
  damagedSnapshots(repositoryLabels: readonly string[]): Promise<string[]>;
}

/** Recoveries read per kind (the newest ones decide). */
const RECOVERIES_READ = 20;

function quoted(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function inList(values: readonly string[]): string {
  return `(${values.map(quoted).join(', ')})`;
}

async function newest(client: Client, query: string, count: number): Promise<WorkflowExecutionInfo[]> {
  const found: WorkflowExecutionInfo[] = [];
  for await (const info of client.workflow.list({ query, pageSize: count })) {
    found.push(info);
    if (found.length >= count) break;
  }
  return found;
}

function seconds(info: WorkflowExecutionInfo): number {
  return Math.max(0, Math.round(((info.closeTime?.getTime() ?? info.startTime.getTime()) - info.startTime.getTime()) / 1000));
}

export function fleetHistory(client: Client): FleetHistory {
  return {
    async recoveries(repositoryLabels, runbooks) {
      const restores =
        repositoryLabels.length === 0
          ? []
          : await newest(client, `WorkflowType = 'restoreWorkflow' AND ExecutionStatus = 'Completed' AND ${SEARCH_ATTRIBUTES.repository} IN ${inList(repositoryLabels)}`, RECOVERIES_READ);
      const executions =
        runbooks.length === 0
          ? []
          : await newest(client, `${SEARCH_ATTRIBUTES.operation} = 'runbook' AND ${SEARCH_ATTRIBUTES.runbookStatus} = 'succeeded' AND ${SEARCH_ATTRIBUTES.runbook} IN ${inList(runbooks)}`, RECOVERIES_READ);
      const recoveries: Recovery[] = [];
      for (const info of restores) {
        const ref = info.searchAttributes?.[SEARCH_ATTRIBUTES.source]?.[0];
        const repository = info.searchAttributes?.[SEARCH_ATTRIBUTES.repository]?.[0];
        if (typeof ref !== 'string' || typeof repository !== 'string' || !info.closeTime) continue;
        recoveries.push({ kind: 'restore', at: info.closeTime.toISOString(), startedAt: info.startTime.toISOString(), seconds: seconds(info), workflowId: info.workflowId, ref, repository });
      }
      for (const info of executions) {
        const rto = info.memo?.rtoSeconds;
        const runbook = info.searchAttributes?.[SEARCH_ATTRIBUTES.runbook]?.[0];
        if (typeof rto !== 'number' || typeof runbook !== 'string' || !info.closeTime) continue;
        recoveries.push({ kind: 'runbook', at: info.closeTime.toISOString(), startedAt: info.startTime.toISOString(), seconds: rto, workflowId: info.workflowId, ref: runbook });
      }
      return recoveries.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
    },

    async damagedSnapshots(repositoryLabels) {
      if (repositoryLabels.length === 0) return [];
      const [latest] = await newest(client, `WorkflowType = 'verifyWorkflow' AND ExecutionStatus = 'Completed' AND ${SEARCH_ATTRIBUTES.repository} IN ${inList(repositoryLabels)}`, 1);
      if (!latest) return [];
      const report = (await client.workflow.getHandle(latest.workflowId, latest.runId).result()) as VerifyOutput | undefined;
      return [...new Set((report?.problems ?? []).flatMap((p) => (p.snapshot !== undefined ? [p.snapshot] : [])))];
    },
  };
}

// The running and recent operations (backups, restores, verifies, …) found in Temporal visibility
// by their workflow types (workflows/catalog.ts), with the live progress of the running ones and
// the search attributes that say what each is about; and a source's latest backup. Read by the
// dashboard; a listing never touches storage.

import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { describeOperation, operationStatus, type OperationStatus } from '../api/operations.js';
import { OPERATION_NAMES, OPERATIONS, operationOfWorkflowType, SEARCH_ATTRIBUTE_KEYS, type Operation } from '../workflows/catalog.js';

export interface OperationListing {
  workflowId: string;
  operation: Operation;
  status: OperationStatus;
  repository?: string;
  /** What it is about: a backup's source path, a restore's snapshot, 'all'. */
  subject?: string;
  startedAt: string;
  closedAt?: string;
  /** Running ones: the workflow's progress merged with the activity's heartbeat (api/operations.ts). */
  progress?: Record<string, unknown>;
}

const OPERATION_TYPES = OPERATION_NAMES.map((operation) => `'${OPERATIONS[operation].workflowType}'`).join(', ');
/** How many closed runs a listing reads at most. */
const RECENT_LIMIT = 25;

/** Every running operation (with progress) and the newest closed ones, newest first. */
export async function recentOperations(client: Client, limit = RECENT_LIMIT): Promise<{ running: OperationListing[]; recent: OperationListing[] }> {
  const [running, closed] = await Promise.all([
    listOperations(client, `WorkflowType IN (${OPERATION_TYPES}) AND ExecutionStatus = 'Running'`, 100),
    listOperations(client, `WorkflowType IN (${OPERATION_TYPES}) AND ExecutionStatus != 'Running'`, limit),
  ]);
  await Promise.all(running.map(async (listing) => {
    const view = await describeOperation(client, listing.workflowId).catch(() => undefined);
    if (view?.progress !== undefined) listing.progress = view.progress as Record<string, unknown>;
  }));
  return { running, recent: closed };
}

/**
 * The newest backup of a source (any outcome): its path into its repository, so a backup of the same
 * path into another repository is not taken for it; undefined when visibility knows none.
 */
export async function latestBackup(client: Client, sourcePath: string, repository: string): Promise<OperationListing | undefined> {
  const query = `WorkflowType = '${OPERATIONS.backup.workflowType}' AND ${SEARCH_ATTRIBUTE_KEYS.source.name} = ${quote(sourcePath)} AND ${SEARCH_ATTRIBUTE_KEYS.repository.name} = ${quote(repository)}`;
  return (await listOperations(client, query, RECENT_LIMIT))[0];
}

/** A string literal of a visibility query. */
function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Up to `limit` runs matching `query`, newest start first. */
async function listOperations(client: Client, query: string, limit: number): Promise<OperationListing[]> {
  const found: OperationListing[] = [];
  for await (const info of client.workflow.list({ query, pageSize: limit })) {
    const listing = listingOf(info);
    if (listing) found.push(listing);
    if (found.length >= limit) break;
  }
  return found.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

function listingOf(info: WorkflowExecutionInfo): OperationListing | undefined {
  const operation = operationOfWorkflowType(info.type);
  if (!operation) return undefined;
  const repository = info.typedSearchAttributes.get(SEARCH_ATTRIBUTE_KEYS.repository);
  const subject = info.typedSearchAttributes.get(SEARCH_ATTRIBUTE_KEYS.source);
  return {
    workflowId: info.workflowId,
    operation,
    status: operationStatus(info.status.name),
    ...(repository !== undefined ? { repository } : {}),
    ...(subject !== undefined ? { subject } : {}),
    startedAt: info.startTime.toISOString(),
    ...(info.closeTime ? { closedAt: info.closeTime.toISOString() } : {}),
  };
}

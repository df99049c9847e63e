// The names and shapes of runbook executions shared by the workflow, its activities, the CLI and the
// API: one workflow per execution (`runbook:<name>:<id>`), the state of every step answered by a
// query, and the Updates that approve or reject a manual step. The runbook itself is read from the
// worker's configuration when the execution starts; an input only names it and gives parameters.

import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Runbook } from '../config/runbookSchema.js';

export function runbookWorkflowId(runbook: string, executionId: string): string {
  return `runbook:${runbook}:${executionId}`;
}

export type RunbookParams = Record<string, string | number | boolean>;

export interface RunbookInput {
  runbook: string;
  params: RunbookParams;
  dryRun?: boolean;
  /** Who started it (API token name, CLI user). */
  startedBy?: string;
}

export type StepStatus = 'pending' | 'running' | 'waiting-for-approval' | 'succeeded' | 'failed' | 'skipped';
export type ExecutionStatus = 'running' | 'waiting-for-approval' | 'succeeded' | 'failed' | 'cancelled';

export interface StepDecision {
  approved: boolean;
  by: string;
  note?: string;
  at: string;
}

export interface StepState {
  name: string;
  kind: 'automated' | 'manual';
  action?: string;
  status: StepStatus;
  attempts: number;
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  /** A short JSON-able summary of what the step did (ids and counters, never bytes or secrets). */
  result?: Record<string, unknown>;
  error?: string;
  /** Manual steps: the decision, who made it and their note. */
  decision?: StepDecision;
  /** Manual steps: when the wait for a decision ends (then onTimeout applies). */
  approvalDeadline?: string;
  /** Manual steps: who may decide now (approvers, plus escalateTo after an escalation). */
  approvers?: string[];
  /** --dry-run: what the step would do, and how long it is expected to take. */
  plan?: { wouldDo: string; expectedMs: number };
}

export interface RunbookExecutionState {
  runbook: string;
  description: string;
  workflowId: string;
  params: RunbookParams;
  dryRun: boolean;
  startedBy?: string;
  status: ExecutionStatus;
  steps: StepState[];
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
  /** Why the execution failed before or outside a step (the runbook could not be loaded, a parameter is wrong). */
  error?: string;
  /** The execution ended in a recovery (a restore, failover or failback step succeeded): its total duration is the measured RTO. */
  rtoSeconds?: number;
}

export const runbookStatusQuery = defineQuery<RunbookExecutionState>('runbookStatus');

export interface StepDecisionRequest {
  step: string;
  /** The authenticated identity (API token name, CLI user); set by the API and the CLI, never by the body. */
  by: string;
  note?: string;
}

/** Approves a step waiting for approval. Rejected (validator, no trace in history) when the step is not waiting, already decided, or `by` is not an approver. */
export const approveStepUpdate = defineUpdate<StepState, [StepDecisionRequest]>('approveStep');
export const rejectStepUpdate = defineUpdate<StepState, [StepDecisionRequest]>('rejectStep');

/** A runbook as the worker resolves it (a meridian.yaml entry, a file of the runbooks directory, or a built-in template). */
export interface ResolvedRunbook {
  name: string;
  origin: 'config' | 'file' | 'template';
  runbook: Runbook;
}

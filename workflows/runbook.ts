// A runbook execution (`runbook:<name>:<id>`): reads its runbook once, through a local activity
// (recorded, so a configuration change never alters a running execution), then runs its steps in
// order. An automated step's side effect is keyed by `<workflowId>:<step>:<attempt>` (child workflow
// id, Idempotency-Key, update id), so a worker killed anywhere never repeats one; onFailure retries,
// continues or aborts. A manual step waits for the approveStep / rejectStep Update up to its
// approval timeout, then follows onTimeout. A query answers every step's state; search attributes
// and the memo keep executions findable by runbook and status. A dry run performs only the reads.
// A step waiting for approval (and again when it escalates) and the execution's end are raised as events (runbook-waiting, -finished).

import {
  ApplicationFailure,
  condition,
  isCancellation,
  patched,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { RunbookStep } from '../config/runbookSchema.js';
import { resolveStepReferences } from '../runbooks/stepReferences.js';
import { REPLICA_SET_LOOKUP_OPTIONS } from './activityOptions.js';
import { SEARCH_ATTRIBUTE_KEYS } from './catalog.js';
import { BackgroundEvents, RaisedEvent, raisesEvents } from './notifications.js';
import { innermostMessage } from './operations.js';
import { approveStepUpdate, ExecutionStatus, rejectStepUpdate, RunbookExecutionState, RunbookInput, runbookStatusQuery, StepDecisionRequest, StepState } from './runbookDefs.js';
import { performStep, planStep, READ_ONLY_ACTIONS, StepResult } from './runbookSteps.js';

const { loadRunbook } = proxyLocalActivities<Activities>(REPLICA_SET_LOOKUP_OPTIONS);

/** A manual step's wait for a decision when it sets no approvalTimeout: 7 days. */
const DEFAULT_APPROVAL_TIMEOUT_MS = 7 * 86_400_000;
/** Steps whose success makes the execution a recovery, whose duration is its measured RTO. */
const RECOVERY_ACTIONS: ReadonlySet<string> = new Set(['restore', 'failover', 'failback']);

type Outcome = 'next' | 'abort';

export async function runbookWorkflow(input: RunbookInput): Promise<RunbookExecutionState> {
  const info = workflowInfo();
  const state: RunbookExecutionState = {
    runbook: input.runbook,
    description: '',
    workflowId: info.workflowId,
    params: input.params,
    dryRun: input.dryRun === true,
    ...(input.startedBy !== undefined ? { startedBy: input.startedBy } : {}),
    status: 'running',
    steps: [],
    startedAt: new Date(info.startTime).toISOString(),
  };
  setHandler(runbookStatusQuery, () => state);
  const decide = (approved: boolean) => (request: StepDecisionRequest): StepState => {
    const step = state.steps.find((s) => s.name === request.step)!;
    step.decision = { approved, by: request.by, ...(request.note !== undefined ? { note: request.note } : {}), at: new Date().toISOString() };
    return { ...step };
  };
  setHandler(approveStepUpdate, decide(true), { validator: (request) => validateDecision(state, request) });
  setHandler(rejectStepUpdate, decide(false), { validator: (request) => validateDecision(state, request) });

  // Told while the execution goes on (a decision may come while a webhook is retried), settled before it ends.
  const raised = new BackgroundEvents();
  const tells = raisesEvents();
  let published: ExecutionStatus | undefined;
  const publish = (status: ExecutionStatus) => {
    state.status = status;
    const running = state.steps.find((s) => s.status === 'running' || s.status === 'waiting-for-approval');
    setCurrentDetails(`runbook ${input.runbook}${state.dryRun ? ' (dry run)' : ''}: ${status}${running ? `, step ${running.name}` : ''}`);
    if (status === published) return;
    published = status;
    upsertSearchAttributes([
      { key: SEARCH_ATTRIBUTE_KEYS.operation, value: 'runbook' },
      { key: SEARCH_ATTRIBUTE_KEYS.runbook, value: input.runbook },
      { key: SEARCH_ATTRIBUTE_KEYS.runbookStatus, value: status },
    ]);
  };
  publish('running');
  upsertMemo({ operation: 'runbook', runbook: input.runbook, summary: `runbook ${input.runbook}${state.dryRun ? ' (dry run)' : ''}` });

  const finish = (status: ExecutionStatus) => {
    state.endedAt = new Date().toISOString();
    state.durationMs = Date.parse(state.endedAt) - Date.parse(state.startedAt);
    const recovered = state.steps.some((s) => s.status === 'succeeded' && s.action !== undefined && RECOVERY_ACTIONS.has(s.action));
    if (status === 'succeeded' && recovered && !state.dryRun) {
      state.rtoSeconds = Math.round(state.durationMs / 1000);
      upsertMemo({ rtoSeconds: state.rtoSeconds });
    }
    publish(status);
    if (tells) raised.raise(finishedEvent(state));
  };
  const waiting = (step: StepState, what: WaitingWhat) => {
    if (tells) raised.raise(waitingEvent(state, step, what));
  };

  try {
    const loaded = await loadRunbook({ runbook: input.runbook, params: input.params });
    const { runbook } = loaded.resolved;
    state.description = runbook.description;
    state.params = loaded.params;
    state.steps = runbook.steps.map((step) => ({ name: step.name, kind: step.kind, ...(step.action !== undefined ? { action: step.action } : {}), status: 'pending', attempts: 0 }));
    const results: Record<string, StepResult | undefined> = {};
    for (const [i, step] of runbook.steps.entries()) {
      const stepState = state.steps[i]!;
      const outcome = state.dryRun
        ? await dryRunStep(step, stepState, results)
        : step.kind === 'manual'
          ? await waitForDecision(step, stepState, publish, waiting)
          : await runAutomated(step, stepState, results, publish);
      results[step.name] = stepState.result;
      if (outcome === 'abort') {
        finish('failed');
        throw ApplicationFailure.nonRetryable(`runbook ${input.runbook} failed at step ${step.name}: ${stepState.error ?? 'failed'}`, 'runbook-failed');
      }
      publish('running');
    }
    finish('succeeded');
    await raised.settled();
    return state;
  } catch (err) {
    if (isCancellation(err)) {
      for (const step of state.steps) {
        if (step.status === 'running' || step.status === 'waiting-for-approval') endStep(step, 'failed', 'cancelled');
      }
      finish('cancelled');
    } else if (state.status === 'running') {
      state.error = innermostMessage(err);
      finish('failed');
    }
    await raised.settled();
    throw err;
  }
}

/** runbook-finished: succeeded (info), or failed or cancelled (warning), with the step it ended at. */
function finishedEvent(state: RunbookExecutionState): RaisedEvent {
  const { workflowId } = workflowInfo();
  const failedStep = state.steps.find((s) => s.status === 'failed');
  const how = state.status === 'succeeded' ? 'succeeded' : `${state.status}${failedStep ? ` at step ${failedStep.name}` : ''}${state.error ?? failedStep?.error ? `: ${state.error ?? failedStep?.error}` : ''}`;
  return {
    id: `${workflowId}:finished`,
    kind: 'runbook-finished',
    severity: state.status === 'succeeded' ? 'info' : 'warning',
    subject: state.runbook,
    summary: `runbook ${state.runbook}${state.dryRun ? ' (dry run)' : ''} ${how}`,
    details: { status: state.status, ...(state.durationMs !== undefined ? { durationSeconds: Math.round(state.durationMs / 1000) } : {}), ...(state.rtoSeconds !== undefined ? { rtoSeconds: state.rtoSeconds } : {}) },
  };
}

/** A step's first wait for a decision, or its second one after the timeout, with escalateTo allowed too. */
type WaitingWhat = 'waiting' | 'escalated';

/** runbook-waiting: a manual step waits for approveStep / rejectStep (again, escalated, after its first timeout). */
function waitingEvent(state: RunbookExecutionState, step: StepState, what: WaitingWhat): RaisedEvent {
  const { workflowId } = workflowInfo();
  return {
    id: `${workflowId}:${step.name}:${what}`,
    kind: 'runbook-waiting',
    subject: state.runbook,
    summary: `runbook ${state.runbook}: step ${step.name} waits for approval${what === 'escalated' ? ', escalated after no decision,' : ''}${step.approvers ? ` by ${step.approvers.join(', ')}` : ''}${step.approvalDeadline ? ` until ${step.approvalDeadline}` : ''}`,
    details: { step: step.name, ...(step.approvers ? { approvers: step.approvers.join(', ') } : {}), ...(step.approvalDeadline ? { deadline: step.approvalDeadline } : {}) },
  };
}

/** The step's params with earlier steps' results substituted; a missing one fails the step. */
function stepParams(step: RunbookStep, results: Record<string, StepResult | undefined>) {
  return resolveStepReferences(step.params, results);
}

async function runAutomated(step: RunbookStep, state: StepState, results: Record<string, StepResult | undefined>, publish: (status: ExecutionStatus) => void): Promise<Outcome> {
  const attempts = step.onFailure.kind === 'retry' ? step.onFailure.times + 1 : 1;
  const { workflowId } = workflowInfo();
  state.startedAt = new Date().toISOString();
  for (let attempt = 1; attempt <= attempts; attempt++) {
    state.attempts = attempt;
    state.status = 'running';
    delete state.error;
    publish('running');
    try {
      state.result = await performStep(step, stepParams(step, results), { key: `${workflowId}:${step.name}:${attempt}`, by: `runbook ${workflowId}`, readOnly: false });
      endStep(state, 'succeeded');
      return 'next';
    } catch (err) {
      if (isCancellation(err)) throw err;
      state.error = innermostMessage(err);
    }
  }
  endStep(state, 'failed', state.error);
  return step.onFailure.kind === 'continue' ? 'next' : 'abort';
}

/** Waits for approveStep / rejectStep up to the approval timeout, then onTimeout (escalate: once more, with escalateTo allowed too). */
async function waitForDecision(step: RunbookStep, state: StepState, publish: (status: ExecutionStatus) => void, waiting: (step: StepState, what: WaitingWhat) => void): Promise<Outcome> {
  const timeout = step.approvalTimeout ?? DEFAULT_APPROVAL_TIMEOUT_MS;
  state.startedAt = new Date().toISOString();
  const wait = async (approvers: string[] | undefined) => {
    state.status = 'waiting-for-approval';
    if (approvers) state.approvers = approvers;
    state.approvalDeadline = new Date(Date.now() + timeout).toISOString();
    publish('waiting-for-approval');
    return condition(() => state.decision !== undefined, timeout);
  };
  const first = wait(step.approvers);
  waiting(state, 'waiting');
  let decided = await first;
  if (!decided && step.onTimeout === 'escalate') {
    const tellEscalation = patched(ESCALATION_EVENT_PATCH);
    const escalated = wait(step.approvers ? [...step.approvers, ...(step.escalateTo ?? [])] : undefined);
    if (tellEscalation) waiting(state, 'escalated');
    decided = await escalated;
  }
  delete state.approvalDeadline;
  if (decided) {
    const { approved, by } = state.decision!;
    endStep(state, approved ? 'succeeded' : 'failed', approved ? undefined : `rejected by ${by}`);
    return approved ? 'next' : 'abort';
  }
  const why = `no decision within ${Math.round(timeout / 1000)} s${step.onTimeout === 'escalate' ? ', twice (escalated)' : ''}`;
  endStep(state, step.onTimeout === 'continue' ? 'skipped' : 'failed', why);
  return step.onTimeout === 'continue' ? 'next' : 'abort';
}

/** A dry run follows a failed read step's onFailure (abort: the dry run fails); older histories went on. */
const DRY_RUN_ON_FAILURE_PATCH = 'runbook-dry-run-follows-on-failure';
/** Patch id of raising runbook-waiting again when a step's approvers widen to escalateTo. */
const ESCALATION_EVENT_PATCH = 'runbook-escalation-event';

/** A dry run: the reads (health checks without the canary, snapshot lookups without a lock) run, once, following onFailure when they fail; every other step is planned and skipped. */
async function dryRunStep(step: RunbookStep, state: StepState, results: Record<string, StepResult | undefined>): Promise<Outcome> {
  let params = step.params;
  try {
    params = stepParams(step, results);
  } catch {
    // A reference to a step that did not run: the plan shows it as written.
  }
  state.plan = planStep(step, params);
  if (step.kind === 'manual' || !READ_ONLY_ACTIONS.has(step.action ?? '')) {
    endStep(state, 'skipped');
    return 'next';
  }
  state.startedAt = new Date().toISOString();
  state.status = 'running';
  state.attempts = 1;
  try {
    state.result = await performStep(step, params, { key: `${workflowInfo().workflowId}:${step.name}:1`, by: `runbook ${workflowInfo().workflowId}`, readOnly: true });
    endStep(state, 'succeeded');
    state.plan.expectedMs = state.durationMs ?? state.plan.expectedMs;
  } catch (err) {
    if (isCancellation(err)) throw err;
    endStep(state, 'failed', innermostMessage(err));
    if (step.onFailure.kind !== 'continue' && patched(DRY_RUN_ON_FAILURE_PATCH)) return 'abort';
  }
  return 'next';
}

function endStep(state: StepState, status: StepState['status'], error?: string): void {
  state.status = status;
  state.endedAt = new Date().toISOString();
  if (state.startedAt !== undefined) state.durationMs = Date.parse(state.endedAt) - Date.parse(state.startedAt);
  if (error !== undefined) state.error = error;
}

/** Rejects (before anything is recorded) a decision on a step that is unknown, not waiting, already decided, or by someone not allowed. */
function validateDecision(state: RunbookExecutionState, request: StepDecisionRequest): void {
  const step = state.steps.find((s) => s.name === request.step);
  if (!step) throw new Error(`runbook ${state.runbook} has no step "${request.step}"${state.steps.length > 0 ? ` (steps: ${state.steps.map((s) => s.name).join(', ')})` : ''}`);
  if (step.decision) throw new Error(`step "${step.name}" was already ${step.decision.approved ? 'approved' : 'rejected'} by ${step.decision.by}`);
  if (step.status !== 'waiting-for-approval') throw new Error(`step "${step.name}" is not waiting for approval (it is ${step.status})`);
  if (!request.by) throw new Error('a decision needs the identity of who makes it');
  if (step.approvers && !step.approvers.includes(request.by)) throw new Error(`${request.by} may not decide step "${step.name}" (approvers: ${step.approvers.join(', ')})`);
}

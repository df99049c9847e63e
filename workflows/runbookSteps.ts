// What each automated runbook action does, for workflows/runbook.ts: backup, restore and verify as
// child workflows of the existing operations (id = the step's key, so a step is started once however
// often the worker dies), the other actions as activities carrying the key, wait as a timer, and
// for a dry run what a step would do and how long it is expected to take. Deterministic.

import { ApplicationFailure, executeChild, proxyActivities, proxyLocalActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { RunbookStep } from '../config/runbookSchema.js';
import { displayUrl } from '../runbooks/urls.js';
import { OPERATIONS } from './catalog.js';
import { NON_RETRYABLE_FAILURE_TYPES } from './failurePolicy.js';
import type { BackupInput, BackupOutput, RestoreInput, RestoreOutput, VerifyInput, VerifyOutput } from './shared.js';
import { DATA_PLANE_OPTIONS, REPLICA_SET_LOOKUP_OPTIONS } from './activityOptions.js';

export type StepParams = Record<string, string | number | boolean>;
export type StepResult = Record<string, unknown>;

export interface StepRun {
  /** `<workflowId>:<step>:<attempt>`: the child workflow id, the Idempotency-Key, the update id. */
  key: string;
  /** Who the cluster's Updates are sent as. */
  by: string;
  /** Health checks read only (no storage canary written). */
  readOnly: boolean;
}

/** An automated step's own timeout when it has none: 1 hour an attempt. */
const DEFAULT_STEP_TIMEOUT_MS = 3_600_000;

/** A step attempt's activity, retried up to `maximumAttempts` times on a retryable failure (a command: once, see performStep). */
const stepActivities = (timeoutMs: number, maximumAttempts = 5) =>
  proxyActivities<Activities>({
    startToCloseTimeout: timeoutMs,
    heartbeatTimeout: DATA_PLANE_OPTIONS.heartbeatTimeout,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts, nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES },
  });
const { describeFailover } = proxyLocalActivities<Activities>(REPLICA_SET_LOOKUP_OPTIONS);

/** Runs one attempt of an automated step; throws when it fails. */
export async function performStep(step: RunbookStep, params: StepParams, run: StepRun): Promise<StepResult> {
  const timeoutMs = step.timeout ?? DEFAULT_STEP_TIMEOUT_MS;
  const activities = stepActivities(timeoutMs);
  const child = { workflowId: run.key, ...(step.timeout !== undefined ? { workflowExecutionTimeout: step.timeout } : {}) };
  switch (step.action) {
    case 'backup': {
      const input: BackupInput = { repo: text(step, params, 'repo'), path: text(step, params, 'path'), ...optional(params, 'type'), ...(params.tags ? { tags: String(params.tags).split(',') } : {}) };
      const out = await executeChild<(input: BackupInput) => Promise<BackupOutput>>(OPERATIONS.backup.workflowType, { ...child, args: [input] });
      return { workflowId: run.key, snapshotId: out.snapshotId, files: out.files, bytesAdded: out.bytesAdded, durationMs: out.durationMs };
    }
    case 'restore': {
      const input: RestoreInput = { repo: text(step, params, 'repo'), snapshot: text(step, params, 'snapshot'), target: text(step, params, 'target') };
      const out = await executeChild<(input: RestoreInput) => Promise<RestoreOutput>>(OPERATIONS.restore.workflowType, { ...child, args: [input] });
      return { workflowId: run.key, snapshotId: out.snapshotId, files: out.files, bytes: out.bytes, durationMs: out.durationMs };
    }
    case 'verify': {
      const input: VerifyInput = { repo: text(step, params, 'repo'), ...optional(params, 'snapshot'), ...optional(params, 'level') } as VerifyInput;
      const out = await executeChild<(input: VerifyInput) => Promise<VerifyOutput>>(OPERATIONS.verify.workflowType, { ...child, args: [input] });
      if (!out.ok) throw ApplicationFailure.nonRetryable(`verify found ${out.problems.length} problems: ${out.problems[0]?.message ?? ''}`, 'runbook-verify');
      return { workflowId: run.key, ok: out.ok, checked: out.checked, durationMs: out.durationMs };
    }
    case 'wait':
      await sleep(timeoutMs);
      return { waitedMs: timeoutMs };
    case 'http':
      return activities.runbookHttp({
        url: text(step, params, 'url'),
        method: String(params.method ?? 'POST'),
        ...(params.body !== undefined ? { body: String(params.body) } : {}),
        ...(params.expectStatus !== undefined ? { expectStatus: Number(params.expectStatus) } : {}),
        idempotencyKey: run.key,
        timeoutMs: Math.min(timeoutMs, 60_000),
      });
    case 'command':
      // One activity attempt per step attempt: a command that timed out may still be running, and
      // is not safe to start again behind its back (onFailure retry N is the runbook's choice).
      return stepActivities(timeoutMs, 1).runbookCommand({ command: text(step, params, 'command'), idempotencyKey: run.key, timeoutMs });
    case 'find-snapshot':
      return { ...(await activities.findRunbookSnapshot({ repo: text(step, params, 'repo'), ...optional(params, 'before'), ...optional(params, 'source'), ...optional(params, 'host'), ...optional(params, 'restoreTarget'), deepVerify: flag(step, params, 'deepVerify'), beforeAlert: flag(step, params, 'beforeAlert'), dryRun: run.readOnly })) };
    case 'compare':
      return { ...(await activities.compareRunbookTrees({ repo: text(step, params, 'repo'), ...(params.snapshot !== undefined ? { snapshot: text(step, params, 'snapshot') } : { source: text(step, params, 'source') }), target: text(step, params, 'target') })) };
    case 'health-check':
      return healthCheck(step, params, activities, run.readOnly);
    case 'failover':
    case 'failback':
      return activities.runbookCluster({ action: step.action, name: text(step, params, 'failover'), ...optional(params, 'to'), ...optional(params, 'reason'), by: run.by, updateId: run.key });
    case 'replicate':
      return activities.runbookCluster({ action: 'replicate', name: text(step, params, 'set'), full: flag(step, params, 'full'), by: run.by, updateId: run.key });
    case undefined:
      throw ApplicationFailure.nonRetryable(`step "${step.name}" has no action`, 'invalid-argument');
  }
}

/** The regions of a failover entry (all, or params.regions), checked once; `require` all (default), any or none of them healthy. */
async function healthCheck(step: RunbookStep, params: StepParams, activities: Pick<Activities, 'checkRegions'>, readOnly: boolean): Promise<StepResult> {
  const name = text(step, params, 'failover');
  const regions = params.regions ? String(params.regions).split(',') : await describeFailover({ name }).then((d) => [d.primaryRegion, ...d.secondaryRegions]);
  const health = await activities.checkRegions({ name, regions, readOnly });
  const healthy = health.filter((h) => h.healthy).map((h) => h.region);
  const unhealthy = health.filter((h) => !h.healthy).map((h) => `${h.region} (${h.reason ?? 'unhealthy'})`);
  const require = String(params.require ?? 'all');
  if ((require === 'all' && unhealthy.length > 0) || (require === 'any' && healthy.length === 0)) {
    throw ApplicationFailure.nonRetryable(`${require === 'all' ? 'not every region is' : 'no region is'} healthy: ${unhealthy.join(', ')}`, 'runbook-health');
  }
  return { healthy, unhealthy };
}

/** Actions a dry run performs for real: they only read (health checks without the storage canary). */
export const READ_ONLY_ACTIONS: ReadonlySet<string> = new Set(['health-check', 'find-snapshot']);

/**
 * Rough durations for a dry run's plan of steps it does not perform, for a small repository on
 * this kind of machine; a real execution's status has every step's measured duration.
 */
const TYPICAL_MS: Record<string, number> = { backup: 60_000, restore: 60_000, verify: 30_000, replicate: 60_000, failover: 10_000, failback: 60_000, http: 1_000, command: 10_000, compare: 10_000 };

/** What a step would do, for a dry run (`params` as far as they can be resolved). */
export function planStep(step: RunbookStep, params: StepParams): { wouldDo: string; expectedMs: number } {
  const p = (key: string) => String(params[key] ?? `(no ${key})`);
  if (step.kind === 'manual') {
    const hours = Math.round((step.approvalTimeout ?? 7 * 86_400_000) / 3_600_000);
    return { wouldDo: `wait up to ${hours} h for approval by ${step.approvers?.join(', ') ?? 'anyone authenticated'}, then ${step.onTimeout}`, expectedMs: 0 };
  }
  const texts: Record<string, () => string> = {
    backup: () => `back up ${p('path')} into ${p('repo')} (child workflow)`,
    restore: () => `restore snapshot ${p('snapshot')} of ${p('repo')} into ${p('target')} (child workflow)`,
    verify: () => `${params.level ?? 'standard'} verify of ${params.snapshot ? `snapshot ${p('snapshot')} of ` : ''}${p('repo')} (child workflow)`,
    replicate: () => `a ${(params.full === true || params.full === 'true') ? 'full ' : ''}replication pass of set ${p('set')}`,
    failover: () => `move the active region of ${p('failover')} to ${params.to ? p('to') : 'the first healthy secondary'}`,
    failback: () => `move the active region of ${p('failover')} back to its primary region`,
    'health-check': () => `check the regions of ${p('failover')}`,
    wait: () => `wait ${Math.round((step.timeout ?? DEFAULT_STEP_TIMEOUT_MS) / 1000)} s`,
    http: () => `${String(params.method ?? 'POST')} ${displayUrl(p('url'))} with an Idempotency-Key`,
    command: () => 'run a shell command on the worker (if it allows commands)',
    'find-snapshot': () => `find the newest snapshot of ${p('repo')}${params.before ? ` before ${p('before')}` : ''}${(params.beforeAlert === true || params.beforeAlert === 'true') ? ' before its oldest open ransomware alert' : ''}${(params.deepVerify === true || params.deepVerify === 'true') ? ' that passes a deep verify' : ''}`,
    compare: () => `compare ${p('target')} with ${params.snapshot !== undefined ? `snapshot ${p('snapshot')} of ${p('repo')}` : p('source')}`,
  };
  const action = step.action ?? 'wait';
  return { wouldDo: texts[action]!(), expectedMs: action === 'wait' ? (step.timeout ?? DEFAULT_STEP_TIMEOUT_MS) : (TYPICAL_MS[action] ?? 0) };
}

function text(step: RunbookStep, params: StepParams, key: string): string {
  const value = params[key];
  if (value === undefined || value === '') throw ApplicationFailure.nonRetryable(`step "${step.name}" (${step.action}) needs params.${key}`, 'invalid-argument');
  return String(value);
}

/** A yes/no param: true or "true", false or "false" (or unset: false); anything else fails the step. */
function flag(step: RunbookStep, params: StepParams, key: string): boolean {
  const value = params[key];
  if (value === undefined || value === false || value === 'false' || value === '') return false;
  if (value === true || value === 'true') return true;
  throw ApplicationFailure.nonRetryable(`step "${step.name}" (${step.action}): params.${key} is true or false, not "${String(value)}"`, 'invalid-argument');
}

/** `{ key: value }` when the param is set and not empty, else nothing. */
function optional(params: StepParams, key: string): Record<string, string> {
  const value = params[key];
  return value === undefined || value === '' ? {} : { [key]: String(value) };
}

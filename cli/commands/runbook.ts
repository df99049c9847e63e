// `meridian runbook list | show NAME | run NAME [--param k=v]… [--dry-run] [--wait] | status
// EXECUTION | approve EXECUTION STEP [--note T] | reject EXECUTION STEP [--note T] | cancel
// EXECUTION`: the runbooks this configuration can run (meridian.yaml, the runbooks directory, the
// built-in templates), an execution started as the workflow runbook:NAME:ID (--wait: until it
// ends, then its state, failed or not; exit 1 unless it succeeded), every step's state, a decision on a manual step (as
// MERIDIAN_IDENTITY, else your user name; refused by the workflow: exit 3 with its reason) and
// cancellation. EXECUTION is the workflow id or NAME:ID. An unknown runbook or execution is exit 3.
// On a configured cluster it loads no Temporal SDK (cli/workflowCalls.ts).

import { loadConfig } from '../../config/load.js';
import { cancelExecution, decideStep, executionEnd, executionStatus, runbookList, runbookShow, startRunbook } from '../../control/runbooks.js';
import type { ResolvedRunbook, RunbookExecutionState, RunbookParams, StepState } from '../../workflows/runbookDefs.js';
import { expectPositionals, parseCommand } from '../args.js';
import { EXIT, ExitCode, usageError } from '../exitCodes.js';
import { cliIdentity } from '../identity.js';
import { formatDuration, formatTable, formatTime, notice, printJson, printLines } from '../output.js';
import { temporalSettings } from '../temporalSettings.js';
import { withWorkflowCalls } from '../workflowCalls.js';

const ACTIONS = ['list', 'show', 'run', 'status', 'approve', 'reject', 'cancel'] as const;
type Action = (typeof ACTIONS)[number];
const ARGUMENTS: Record<Action, string[]> = { list: [], show: ['NAME'], run: ['NAME'], status: ['EXECUTION'], approve: ['EXECUTION', 'STEP'], reject: ['EXECUTION', 'STEP'], cancel: ['EXECUTION'] };

export async function run(args: string[]): Promise<ExitCode> {
  const { values, positionals } = parseCommand('runbook', args);
  const action = positionals[0];
  if (action === undefined) throw usageError(`missing ${ACTIONS.join('|')}; see 'meridian help runbook'`);
  if (!(ACTIONS as readonly string[]).includes(action)) throw usageError(`unknown runbook action '${action}'; expected ${ACTIONS.join(', ')}`);
  const names = ARGUMENTS[action as Action];
  const [, first, second] = expectPositionals('runbook', positionals, [action, ...names], 1 + names.length);
  if (action !== 'run' && (values.param !== undefined || values['dry-run'] || values.wait)) throw usageError('--param, --dry-run and --wait go with runbook run only');
  if (action !== 'approve' && action !== 'reject' && values.note !== undefined) throw usageError('--note goes with runbook approve and reject only');
  const config = loadConfig(values.config)?.config;
  let answer: { json: unknown; lines: string[]; exitCode?: ExitCode };
  switch (action as Action) {
    case 'list': {
      const runbooks = runbookList(config);
      answer = { json: { runbooks }, lines: formatTable(['NAME', 'FROM', 'DESCRIPTION'], runbooks.map((r) => [r.name, `${r.origin}${r.shadowsTemplate ? ' (shadows the template)' : ''}`, r.description])) };
      break;
    }
    case 'show': {
      const resolved = runbookShow(config, first!);
      answer = { json: resolved, lines: showLines(resolved) };
      break;
    }
    case 'run': {
      const params = parseParams(values.param ?? []);
      const taskQueue = temporalSettings().taskQueue;
      answer = await withWorkflowCalls(async (calls) => {
        const workflowId = await startRunbook(calls, config, first!, { params, dryRun: values['dry-run'] === true }, cliIdentity(), taskQueue);
        if (!values.wait) return { json: { workflowId }, lines: [`started ${workflowId}; follow it with meridian runbook status ${workflowId}`] };
        notice(`started ${workflowId}; waiting for it to end`);
        const state = await executionEnd(calls, workflowId);
        return { json: state, lines: statusLines(state), exitCode: state.status === 'succeeded' ? EXIT.ok : EXIT.failed };
      });
      break;
    }
    case 'status': {
      const state = await withWorkflowCalls((calls) => executionStatus(calls, first!));
      answer = { json: state, lines: statusLines(state) };
      break;
    }
    case 'approve':
    case 'reject': {
      const step = await withWorkflowCalls((calls) => decideStep(calls, first!, action as 'approve' | 'reject', { step: second!, ...(values.note !== undefined ? { note: values.note } : {}) }, cliIdentity()));
      answer = { json: step, lines: [`${action === 'approve' ? 'approved' : 'rejected'} step ${step.name} as ${step.decision?.by ?? cliIdentity()}`] };
      break;
    }
    case 'cancel': {
      const cancelled = await withWorkflowCalls((calls) => cancelExecution(calls, first!));
      answer = { json: cancelled, lines: [`asked ${cancelled.workflowId} to cancel`] };
      break;
    }
  }
  if (values.json) printJson(answer.json);
  else printLines(...answer.lines);
  return answer.exitCode ?? EXIT.ok;
}

/** `--param k=v`, repeatable; a value stays a string (the runbook's own parameters give it meaning). */
function parseParams(given: readonly string[]): RunbookParams {
  const params: RunbookParams = {};
  for (const pair of given) {
    const at = pair.indexOf('=');
    if (at <= 0) throw usageError(`--param ${pair}: expected NAME=VALUE`);
    const key = pair.slice(0, at);
    if (Object.hasOwn(params, key)) throw usageError(`--param ${key} is given twice`);
    params[key] = pair.slice(at + 1);
  }
  return params;
}

function showLines({ name, origin, runbook }: ResolvedRunbook): string[] {
  const params = Object.entries(runbook.params).map(([key, p]) => `  --param ${key}=…${p.required && p.default === undefined ? ' (required)' : p.default !== undefined ? ` (default ${String(p.default)})` : ''}${p.description ? `  ${p.description}` : ''}`);
  const steps = runbook.steps.map((s, i) => {
    const what = s.kind === 'manual' ? `manual${s.approvers ? `, approvers ${s.approvers.join(', ')}` : ''}${s.approvalTimeout !== undefined ? `, wait ${formatDuration(s.approvalTimeout)} then ${s.onTimeout}` : ''}` : `${s.action}`;
    return `  ${i + 1}. ${s.name} (${what})${s.instructions ? `: ${s.instructions}` : ''}`;
  });
  return [`${name} (${origin}): ${runbook.description}`, ...(params.length > 0 ? ['parameters:', ...params] : []), 'steps:', ...steps];
}

/** The execution, then one row per step: status, times, who decided, result or error. */
export function statusLines(state: RunbookExecutionState): string[] {
  const heading = `${state.workflowId}: ${state.status}${state.dryRun ? ' (dry run)' : ''}; started ${formatTime(state.startedAt)}${state.startedBy ? ` by ${state.startedBy}` : ''}${state.durationMs !== undefined ? `, took ${formatDuration(state.durationMs)}` : ''}${state.rtoSeconds !== undefined ? `; measured RTO ${state.rtoSeconds}s` : ''}`;
  return [
    heading,
    ...(state.error ? [`  error: ${state.error}`] : []),
    ...formatTable(['STEP', 'KIND', 'STATUS', 'STARTED', 'TOOK', 'DETAIL'], state.steps.map((s) => [s.name, s.action ?? s.kind, s.status, s.startedAt ? formatTime(s.startedAt) : '-', s.durationMs !== undefined ? formatDuration(s.durationMs) : '-', stepDetail(s)])).map((line) => `  ${line}`),
  ];
}

function stepDetail(s: StepState): string {
  if (s.plan) return `would ${s.plan.wouldDo} (~${formatDuration(s.plan.expectedMs)})`;
  if (s.decision) return `${s.decision.approved ? 'approved' : 'rejected'} by ${s.decision.by}${s.decision.note ? `: ${s.decision.note}` : ''}`;
  if (s.status === 'waiting-for-approval') return `waiting for ${s.approvers?.join(', ') ?? 'anyone'} until ${s.approvalDeadline ? formatTime(s.approvalDeadline) : '?'}`;
  if (s.error) return `error: ${s.error}`;
  if (s.result) return JSON.stringify(s.result);
  return '';
}

// The shape of a DR runbook: data, in meridian.yaml's `runbooks:` or a file of its own under the
// runbooks directory, and in the built-in templates. A runbook has parameters and ordered steps;
// an automated step runs an action, a manual one waits for an approval. `${param}` in a step's
// params or instructions is replaced by the execution's parameter value.

import { z } from 'zod';
import { DurationMs } from './duration.js';

const StepName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'a step name is 1–63 letters, digits, ".", "_" or "-", starting with a letter or digit');

/** What an automated step does. `command` runs only where the worker's own configuration allows commands. */
export const RUNBOOK_ACTIONS = ['backup', 'restore', 'verify', 'replicate', 'failover', 'failback', 'health-check', 'wait', 'http', 'command', 'find-snapshot', 'compare'] as const;
export type RunbookAction = (typeof RUNBOOK_ACTIONS)[number];

/** `abort` (default), `continue`, or `retry N` (N more attempts, then abort). */
export const OnFailure = z
  .string()
  .regex(/^(abort|continue|retry [1-9]\d?)$/, 'abort, continue or retry N (1–99)')
  .transform((text): { kind: 'abort' | 'continue' } | { kind: 'retry'; times: number } =>
    text.startsWith('retry') ? { kind: 'retry', times: Number(text.slice(6)) } : { kind: text as 'abort' | 'continue' },
  );

const ParamValue = z.union([z.string(), z.number(), z.boolean()]);

export const RunbookStepSchema = z
  .strictObject({
    name: StepName,
    kind: z.enum(['automated', 'manual']),
    /** automated steps: what to run. */
    action: z.enum(RUNBOOK_ACTIONS).optional(),
    /** The action's parameters (`${param}` substituted). */
    params: z.record(z.string(), ParamValue).default({}),
    /** automated steps: how long one attempt may run; default 1h (wait: its own duration). */
    timeout: DurationMs.optional(),
    onFailure: OnFailure.default({ kind: 'abort' }),
    /** manual steps: what the approver must do or check. */
    instructions: z.string().optional(),
    /** manual steps: the identities (API token names, CLI users) allowed to approve; none = anyone authenticated. */
    approvers: z.array(z.string().min(1)).optional(),
    /** manual steps: how long to wait for a decision; default 7d. */
    approvalTimeout: DurationMs.optional(),
    onTimeout: z.enum(['abort', 'continue', 'escalate']).default('abort'),
    /** manual steps with onTimeout escalate: who may approve after the first timeout (besides approvers); the wait starts again once. */
    escalateTo: z.array(z.string().min(1)).optional(),
  })
  .superRefine((step, ctx) => {
    if (step.kind === 'automated' && step.action === undefined) ctx.addIssue({ code: 'custom', path: ['action'], message: `automated step "${step.name}" needs an action (${RUNBOOK_ACTIONS.join(', ')})` });
    if (step.kind === 'manual' && step.action !== undefined) ctx.addIssue({ code: 'custom', path: ['action'], message: `manual step "${step.name}" has no action: it waits for an approval` });
    if (step.kind === 'automated' && (step.approvers !== undefined || step.approvalTimeout !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['approvers'], message: `approvers and approvalTimeout are for manual steps ("${step.name}" is automated)` });
    }
    if (step.onTimeout === 'escalate' && !(step.escalateTo && step.escalateTo.length > 0)) ctx.addIssue({ code: 'custom', path: ['escalateTo'], message: 'onTimeout: escalate needs escalateTo: [identities]' });
  });

export const RunbookParamSchema = z.strictObject({
  description: z.string().optional(),
  default: ParamValue.optional(),
  required: z.boolean().default(false),
});

export const RunbookSchema = z
  .strictObject({
    description: z.string().min(1),
    params: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a parameter name is letters, digits and "_"'), RunbookParamSchema).default({}),
    steps: z.array(RunbookStepSchema).min(1, 'a runbook needs at least one step'),
  })
  .superRefine((runbook, ctx) => {
    const names = runbook.steps.map((step) => step.name);
    const twice = names.find((name, i) => names.indexOf(name) !== i);
    if (twice !== undefined) ctx.addIssue({ code: 'custom', path: ['steps'], message: `step name "${twice}" is used twice` });
  });

export type Runbook = z.infer<typeof RunbookSchema>;
export type RunbookStep = z.infer<typeof RunbookStepSchema>;
export type RunbookParam = z.infer<typeof RunbookParamSchema>;
export type StepFailurePolicy = z.output<typeof OnFailure>;

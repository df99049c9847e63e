// A runbook's parameters at the start of an execution: the values given checked against the ones
// the runbook declares (an unknown or a missing required one is a one-line invalid-argument
// error), defaults filled in, and `${param}` replaced in every step's params and instructions.
// `${steps.STEP.FIELD}` is left for the workflow, which knows earlier steps' results
// (runbooks/stepReferences.ts), but must name an EARLIER step. A value given as text (`--param
// deep=true`) takes the type of the parameter's default (boolean, number). An http step's URL
// with credentials in it is refused (it would be recorded in the execution's history).

import { invalidArgument } from '../core/errors.js';
import type { Runbook, RunbookStep } from '../config/runbookSchema.js';
import type { RunbookParams } from '../workflows/runbookDefs.js';
import { stepReferencesIn } from './stepReferences.js';
import { displayUrl, hasCredentials } from './urls.js';

type Value = string | number | boolean;

/** The execution's parameter values: the given ones, then the declared defaults; every required one present, none unknown. */
export function resolveParams(name: string, runbook: Runbook, given: RunbookParams): RunbookParams {
  const declared = Object.keys(runbook.params);
  const unknown = Object.keys(given).find((key) => !(key in runbook.params));
  if (unknown !== undefined) {
    throw invalidArgument(`runbook "${name}" has no parameter "${unknown}" (${declared.length > 0 ? `its parameters: ${declared.join(', ')}` : 'it takes none'})`);
  }
  const values: RunbookParams = {};
  for (const [key, param] of Object.entries(runbook.params)) {
    const value = given[key] === undefined ? param.default : typed(name, key, given[key], param.default);
    if (value !== undefined) values[key] = value;
    else if (param.required) throw invalidArgument(`runbook "${name}" needs parameter "${key}"${param.description ? ` (${param.description})` : ''}: --param ${key}=VALUE`);
  }
  return values;
}

/**
 * The runbook as an execution of it will run: parameters resolved and substituted, each step
 * reference naming an earlier step, no http URL with credentials. Every mistake is a one-line
 * invalid-argument error, seen before anything starts.
 */
export function prepareRunbook(name: string, runbook: Runbook, given: RunbookParams): { runbook: Runbook; params: RunbookParams } {
  const params = resolveParams(name, runbook, given);
  const substituted = substituteParams(name, runbook, params);
  const earlier = new Set<string>();
  for (const step of substituted.steps) {
    for (const value of Object.values(step.params)) {
      if (typeof value !== 'string') continue;
      const later = stepReferencesIn(value).find((ref) => !earlier.has(ref.step));
      if (later) throw invalidArgument(`runbook "${name}" step "${step.name}" uses \${steps.${later.step}.${later.field}}, but "${later.step}" is not an earlier step`);
    }
    const lacking = step.kind === 'automated' ? missingParams(step) : undefined;
    if (lacking) throw invalidArgument(`runbook "${name}" step "${step.name}" (${step.action}) needs params.${lacking}`);
    if (step.action === 'http' && typeof step.params.url === 'string' && hasCredentials(step.params.url)) {
      throw invalidArgument(`runbook "${name}" step "${step.name}": the URL ${displayUrl(step.params.url)} has credentials in it (user:password@), which would be recorded in the execution's history; use a receiver that needs none, or a command step`);
    }
    earlier.add(step.name);
  }
  return { runbook: substituted, params };
}

/** The params each action needs (`a|b`: one of them); workflows/runbookSteps.ts reads them. */
const NEEDED_PARAMS: Record<string, string[]> = {
  backup: ['repo', 'path'],
  restore: ['repo', 'snapshot', 'target'],
  verify: ['repo'],
  replicate: ['set'],
  failover: ['failover'],
  failback: ['failover'],
  'health-check': ['failover'],
  http: ['url'],
  command: ['command'],
  'find-snapshot': ['repo'],
  compare: ['repo', 'target', 'source|snapshot'],
};

/** The first param (or `a or b`) the step's action needs and the step lacks or leaves empty. */
function missingParams(step: RunbookStep): string | undefined {
  const set = (key: string) => step.params[key] !== undefined && step.params[key] !== '';
  const missing = (NEEDED_PARAMS[step.action ?? ''] ?? []).find((needed) => !needed.split('|').some(set));
  return missing?.split('|').join(' or params.');
}

/** A given value as the type of the parameter's default: text "true"/"false" for a boolean, a numeral for a number. */
function typed(name: string, key: string, value: Value, declared: Value | undefined): Value {
  if (typeof declared === 'boolean' && typeof value !== 'boolean') {
    if (value === 'true' || value === 'false') return value === 'true';
    throw invalidArgument(`runbook "${name}" parameter "${key}" is true or false, not "${String(value)}"`);
  }
  if (typeof declared === 'number' && typeof value !== 'number') {
    const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
    if (!Number.isFinite(number)) throw invalidArgument(`runbook "${name}" parameter "${key}" is a number, not "${String(value)}"`);
    return number;
  }
  return value;
}

/** The runbook with `${param}` replaced by the values in every step; a reference to an undeclared or unset parameter is an error naming the step. */
export function substituteParams(name: string, runbook: Runbook, values: RunbookParams): Runbook {
  const steps = runbook.steps.map((step): RunbookStep => {
    const replace = (text: string): Value => substitute(text, values, (ref) => invalidArgument(`runbook "${name}" step "${step.name}" uses \${${ref}}, which is ${ref in runbook.params ? 'not set: give --param ' + ref + '=VALUE' : 'not one of its parameters'}`));
    return {
      ...step,
      params: Object.fromEntries(Object.entries(step.params).map(([key, value]) => [key, typeof value === 'string' ? replace(value) : value])),
      ...(step.instructions !== undefined ? { instructions: String(replace(step.instructions)) } : {}),
    };
  });
  return { ...runbook, steps };
}

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g;

/** `text` with each `${p}` replaced; a text that is exactly one reference keeps the value's type (a number stays a number). */
function substitute(text: string, values: RunbookParams, missing: (ref: string) => Error): Value {
  const whole = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(text);
  if (whole) return valueOf(whole[1]!, values, missing);
  return text.replace(REFERENCE, (match, ref: string) => (ref.startsWith('steps.') ? match : String(valueOf(ref, values, missing))));
}

function valueOf(ref: string, values: RunbookParams, missing: (ref: string) => Error): Value {
  const value = values[ref];
  if (value === undefined) throw missing(ref);
  return value;
}

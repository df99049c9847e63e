// `${steps.STEP.FIELD}` in a step's params: a field of an earlier step's result (a find-snapshot's
// snapshotId, a backup's snapshotId), replaced by the runbook workflow just before the step runs.
// Deterministic and free of Node imports: the workflow bundle includes it.

type Value = string | number | boolean;

const STEP_REFERENCE = /\$\{steps\.([A-Za-z0-9._-]+?)\.([A-Za-z0-9_]+)\}/g;

/** The step references in a text, in order. */
export function stepReferencesIn(text: string): { step: string; field: string }[] {
  return [...text.matchAll(STEP_REFERENCE)].map((match) => ({ step: match[1]!, field: match[2]! }));
}

/** The params with every step reference replaced; one to a step without that result field throws, naming it. */
export function resolveStepReferences(params: Record<string, Value>, results: Record<string, Record<string, unknown> | undefined>): Record<string, Value> {
  const lookUp = (step: string, field: string): Value => {
    const value = results[step]?.[field];
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') throw new Error(`\${steps.${step}.${field}} has no value: step "${step}" has not run or has no result field "${field}"`);
    return value;
  };
  return Object.fromEntries(
    Object.entries(params).map(([key, value]) => {
      if (typeof value !== 'string') return [key, value];
      const whole = /^\$\{steps\.([A-Za-z0-9._-]+?)\.([A-Za-z0-9_]+)\}$/.exec(value);
      if (whole) return [key, lookUp(whole[1]!, whole[2]!)];
      return [key, value.replace(STEP_REFERENCE, (_match, step: string, field: string) => String(lookUp(step, field)))];
    }),
  );
}

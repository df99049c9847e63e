// A validator of the cron expressions meridian.yaml accepts, so that Temporal never receives one
// we did not check: five fields (minute hour day-of-month month day-of-week) of numbers, `*`,
// ranges `a-b`, steps `*/n` and `a-b/n`, comma lists, month names JAN–DEC and day names SUN–SAT
// (day-of-week 0–6, 7 also meaning Sunday), or one of @hourly, @daily, @weekly, @monthly.

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: readonly CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 0, max: 7, names: DAYS },
];

/** The aliases accepted, and the five-field expressions they stand for. */
export const CRON_ALIASES: Readonly<Record<string, string>> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
};

/** Why `expression` is not a cron expression we accept, as one line; undefined when it is valid. */
export function cronProblem(expression: string): string | undefined {
  const bad = (why: string) => `bad cron "${expression}": ${why}`;
  const text = expression.trim();
  if (text.startsWith('@')) {
    return text in CRON_ALIASES ? undefined : bad(`unknown alias ${text} (known: ${Object.keys(CRON_ALIASES).join(', ')})`);
  }
  const parts = text.split(/\s+/).filter(Boolean);
  if (parts.length !== FIELDS.length) {
    return bad(`${parts.length} fields, expected 5 (minute hour day-of-month month day-of-week)`);
  }
  for (const [index, field] of FIELDS.entries()) {
    const problem = fieldProblem(parts[index]!, field);
    if (problem !== undefined) return bad(problem);
  }
  return undefined;
}

/** The problem of one field: a comma list of `*`, `v`, `a-b`, each optionally `/step`. */
function fieldProblem(text: string, field: CronField): string | undefined {
  for (const item of text.split(',')) {
    if (item === '') return `${field.name} "${text}" has an empty list item`;
    const [range, step, extra] = item.split('/');
    if (extra !== undefined) return `${field.name} "${item}" has more than one "/"`;
    if (step !== undefined && !/^\d+$/.test(step)) return `${field.name} step "${step}" is not a number`;
    if (step !== undefined && Number(step) === 0) return `${field.name} step 0 is not allowed`;
    if (range === '*') continue;
    const bounds = range!.split('-');
    if (bounds.length > 2) return `${field.name} "${range}" is not a value or a range a-b`;
    const values: number[] = [];
    for (const bound of bounds) {
      const value = fieldValue(bound, field);
      if (typeof value === 'string') return value;
      values.push(value);
    }
    if (values.length === 2 && values[0]! > values[1]!) return `${field.name} range ${range} runs backwards`;
  }
  return undefined;
}

/** A value of a field, or the problem with it. */
function fieldValue(text: string, field: CronField): number | string {
  const named = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return field.names === MONTHS ? named + 1 : named;
  if (!/^\d+$/.test(text)) {
    const known = field.names ? ` or a name ${field.names[0]}–${field.names[field.names.length - 1]}` : '';
    return `${field.name} "${text}" is not a number${known}`;
  }
  const value = Number(text);
  if (value < field.min || value > field.max) {
    const range = field.name === 'day-of-week' ? '0-6 (or 7 for Sunday)' : `${field.min}-${field.max}`;
    return `${field.name} ${value} is outside ${range}`;
  }
  return value;
}

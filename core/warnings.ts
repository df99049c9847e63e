// The warnings an engine result carries (entries skipped by a backup, entries a restore did not
// recreate): the first MAX_WARNINGS lines, each naming its entry in printable, bounded form, while
// the caller keeps the exact count. One bound for both, since results go into workflow history.

export const MAX_WARNINGS = 20;

/** Adds `line` to `warnings` unless MAX_WARNINGS are there already. */
export function addWarning(warnings: string[], line: string): void {
  if (warnings.length < MAX_WARNINGS) warnings.push(line);
}

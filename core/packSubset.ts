// Subset n/t of a repository's packs (restic's --read-data-subset n/t): pack p belongs to subset n
// when the first 4 bytes of its id, read as an unsigned integer, leave n − 1 modulo t. Subsets 1..t
// split the packs into t disjoint shares of about equal size that together hold every pack, and a
// pack stays in its subset for good (its id never changes), which is what a rotating scrub needs.

import { invalidArgument } from './errors.js';

export interface PackSubset {
  /** 1-based: 1 ≤ n ≤ t. */
  n: number;
  t: number;
}

export function inSubset(packId: string, subset: PackSubset): boolean {
  return parseInt(packId.slice(0, 8), 16) % subset.t === subset.n - 1;
}

/** Why a subset is not valid, or undefined when it is. */
export function subsetProblem(subset: PackSubset): string | undefined {
  const { n, t } = subset;
  if (!Number.isSafeInteger(t) || t < 1) return `its total must be a whole number of at least 1 (got ${t})`;
  if (!Number.isSafeInteger(n) || n < 1 || n > t) return `its number must be a whole number from 1 to ${t} (got ${n})`;
  return undefined;
}

export function checkSubset(subset: PackSubset): PackSubset {
  const problem = subsetProblem(subset);
  if (problem) throw invalidArgument(`pack subset ${subset.n}/${subset.t}: ${problem}`);
  return subset;
}

/** Parses `n/t` (e.g. `2/7`); undefined when the text does not have that form or the numbers are out of range. */
export function parseSubset(text: string): PackSubset | undefined {
  const match = /^\s*(\d{1,9})\s*\/\s*(\d{1,9})\s*$/.exec(text);
  if (!match) return undefined;
  const subset = { n: Number(match[1]), t: Number(match[2]) };
  return subsetProblem(subset) ? undefined : subset;
}

export function formatSubset(subset: PackSubset): string {
  return `${subset.n}/${subset.t}`;
}

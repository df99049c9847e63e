// The scrub: one run of a rotating deep verify. A run reads the packs of one subset n/cycle
// (core/packSubset.ts) in pack-id order, resuming after the last pack an earlier run read, and
// stops before a pack that would take it past its byte budget (it always reads at least one, so
// it progresses); the other checks are verify's (every run walks the snapshots' trees and checks
// that every referenced pack exists). It returns where the next run starts: the same subset after
// the last pack read when the budget stopped it, else the next subset (after `cycle`, subset 1).

import { PackCandidate, Problem, verify, VerifyProgress } from './checker.js';
import { invalidArgument } from './errors.js';
import { formatSubset, PackSubset } from './packSubset.js';
import { Repository } from './repository.js';

/** Where the rotation stands: subset `subset` of `cycle`, the packs after `after` still to read. */
export interface ScrubPosition {
  cycle: number;
  subset: number;
  after?: string;
}

export interface ScrubOptions {
  /** Runs per full pass over the packs: each run reads about 1/cycle of them. */
  cycle: number;
  /** Where the previous run left off; none, or one of another cycle, starts at subset 1. */
  cursor?: ScrubPosition;
  /** Pack bytes a run reads at most (but always one pack); none reads the whole subset. */
  budgetBytes?: number;
  signal?: AbortSignal;
  onProgress?: (progress: VerifyProgress) => void;
}

export interface ScrubReport {
  ok: boolean;
  /** The subset this run read from. */
  subset: PackSubset;
  /** The pack this run resumed after, when an earlier run of the same subset stopped at its budget. */
  resumedAfter?: string;
  /** Packs read in full this run and their stored bytes; snapshots whose trees were walked. */
  checked: { packs: number; bytes: number; snapshots: number };
  /** Packs of this subset left for the next run (the budget stopped this one). */
  packsLeft: number;
  /** What verify found (each naming the snapshot and file it affects), the first MAX_SCRUB_PROBLEMS. */
  problems: Problem[];
  next: ScrubPosition;
  /** The budget stopped this run before the end of its subset: the pass takes more than `cycle` runs. */
  cycleStretched: boolean;
  /** For the operator: a restarted rotation, a stretched cycle. */
  warnings: string[];
}

/** A scrub's result stays small in workflow history: the rest are counted in a last entry. */
export const MAX_SCRUB_PROBLEMS = 20;

export async function scrub(repo: Repository, options: ScrubOptions): Promise<ScrubReport> {
  const { cycle, budgetBytes } = options;
  if (!Number.isSafeInteger(cycle) || cycle < 1) throw invalidArgument(`a scrub's cycle must be a whole number of at least 1 (got ${cycle})`);
  if (budgetBytes !== undefined && !(budgetBytes > 0)) throw invalidArgument(`a scrub's budget must be above 0 bytes (got ${budgetBytes})`);
  const warnings: string[] = [];
  const start = startingPosition(options.cursor, cycle, warnings);
  const subset = { n: start.subset, t: cycle };

  let chosen: PackCandidate[] = [];
  let pending = 0;
  const report = await verify(repo, {
    level: 'deep',
    subset,
    signal: options.signal,
    onProgress: options.onProgress,
    choosePacks: (candidates) => {
      const after = start.after;
      const todo = after === undefined ? candidates : candidates.filter((p) => p.id > after);
      chosen = withinBudget(todo, budgetBytes);
      pending = todo.length;
      return chosen.map((p) => p.id);
    },
  });

  const packsLeft = pending - chosen.length;
  const last = chosen[chosen.length - 1];
  const next = packsLeft > 0 && last ? { cycle, subset: subset.n, after: last.id } : { cycle, subset: (subset.n % cycle) + 1 };
  if (packsLeft > 0) {
    warnings.push(
      `the budget of ${budgetBytes} bytes left ${packsLeft} packs of subset ${formatSubset(subset)} for the next run: ` +
        `a full pass over the packs takes more than ${cycle} runs (raise scrub.budgetBytes or scrub.cycle)`,
    );
  }
  return {
    ok: report.ok,
    subset,
    ...(start.after !== undefined ? { resumedAfter: start.after } : {}),
    checked: { packs: chosen.length, bytes: chosen.reduce((sum, p) => sum + p.size, 0), snapshots: report.checked.snapshots },
    packsLeft,
    problems: cappedProblems(report.problems),
    next,
    cycleStretched: packsLeft > 0,
    warnings,
  };
}

/** The cursor if it belongs to this cycle, else subset 1 (with a warning saying why). */
function startingPosition(cursor: ScrubPosition | undefined, cycle: number, warnings: string[]): ScrubPosition {
  if (cursor === undefined) return { cycle, subset: 1 };
  if (cursor.cycle !== cycle) {
    warnings.push(`the scrub cycle changed from ${cursor.cycle} to ${cycle} runs: the rotation restarts at subset 1/${cycle}`);
    return { cycle, subset: 1 };
  }
  if (!Number.isSafeInteger(cursor.subset) || cursor.subset < 1 || cursor.subset > cycle) {
    warnings.push(`the scrub cursor names subset ${cursor.subset}, not one of 1 to ${cycle}: the rotation restarts at subset 1/${cycle}`);
    return { cycle, subset: 1 };
  }
  return cursor;
}

/** The first packs whose sizes add up to at most the budget, and always the first pack. */
function withinBudget(packs: PackCandidate[], budgetBytes: number | undefined): PackCandidate[] {
  if (budgetBytes === undefined) return packs;
  let bytes = 0;
  let count = 0;
  for (const pack of packs) {
    if (count > 0 && bytes + pack.size > budgetBytes) break;
    bytes += pack.size;
    count += 1;
  }
  return packs.slice(0, count);
}

function cappedProblems(problems: Problem[]): Problem[] {
  if (problems.length <= MAX_SCRUB_PROBLEMS) return problems;
  const rest = problems.length - MAX_SCRUB_PROBLEMS;
  return [...problems.slice(0, MAX_SCRUB_PROBLEMS), { kind: problems[MAX_SCRUB_PROBLEMS]!.kind, message: `and ${rest} more problems (meridian verify --subset lists them)` }];
}

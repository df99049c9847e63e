// What a restore of a source as of a time uses, as `meridian snapshots --at` and GET
// /v1/snapshots?at= show it: the snapshot (summarized like any listed one), the journal
// segments applied after it, and the interval the source's history covers.

import { planRestoreAt } from './journalRestore.js';
import type { Repository } from './repository.js';
import { snapshotSummary } from './snapshots.js';

export async function restoreAtSummary(repo: Repository, input: { source: string; host?: string; at: Date }) {
  const plan = await planRestoreAt(repo, input);
  return { at: input.at.toISOString(), snapshot: snapshotSummary(plan.snapshot), segments: plan.segments, covered: plan.covered };
}

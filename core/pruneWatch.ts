// A writer's side of the prune protocol: the plans it saw when it started (whose condemned packs
// it must not dedupe against), and the check around its commit that a plan it did not see has
// begun sweeping, in which case the sweep may have deleted data the new snapshot names: the
// snapshot is removed again and the writer fails with a retryable error (the retry starts fresh,
// sees the plan and avoids its packs).

import { ConcurrentChangeError } from './errors.js';
import { packsToAvoid, PrunePlan, readPrunePlans, sweepBegunSince } from './prunePlan.js';
import { Repository } from './repository.js';
import { isNotFound } from '../storage/storage.js';

export class PruneWatch {
  private constructor(
    private readonly repo: Repository,
    private readonly seen: ReadonlySet<string>,
    readonly packsToAvoid: ReadonlySet<string>,
  ) {}

  /** Reads the plans; call after taking the lock and before reading snapshots or the index. */
  static async start(repo: Repository): Promise<PruneWatch> {
    const { plans } = await readPrunePlans(repo);
    return new PruneWatch(repo, new Set(plans.map((p) => p.id)), packsToAvoid(plans));
  }

  /**
   * For a writer that cannot avoid condemned packs (repair snapshots reads and rewrites whatever
   * the index holds): refuses to start while a prune has packs condemned.
   */
  refuseWhilePruning(operation: string): void {
    if (this.packsToAvoid.size === 0) return;
    throw new ConcurrentChangeError(`[repository] a prune is in progress (plan under locks/ not done); ${operation} runs once it has finished: run it again then`);
  }

  /** Saves a commit that would be undone anyway. */
  async checkBeforeCommit(): Promise<void> {
    const swept = await this.sweepBegun();
    if (swept) throw retry(swept);
  }

  /** After the snapshot (or journal segment) is stored: undoes it when a sweep began that may not have seen it. */
  async checkAfterCommit(snapshotId: string, type: 'snapshots' | 'journal' = 'snapshots'): Promise<void> {
    const swept = await this.sweepBegun();
    if (!swept) return;
    try {
      await this.repo.storage.delete({ type, name: snapshotId });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    throw retry(swept);
  }

  private async sweepBegun(): Promise<PrunePlan | undefined> {
    return sweepBegunSince(this.seen, (await readPrunePlans(this.repo)).plans);
  }
}

function retry(plan: PrunePlan): ConcurrentChangeError {
  return new ConcurrentChangeError(
    `[repository] prune ${plan.id.slice(0, 12)} began deleting packs while this backup ran; its snapshot was not kept (it could name deleted data): run it again`,
  );
}

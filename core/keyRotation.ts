// The background half of a key rotation (`meridian key rotate` starts it: core/repository.ts):
// under an exclusive lock, a prune that also repacks every pack sealed under a retired key
// (core/prune.ts), then every other file sealed again (core/resealFiles.ts); then it waits for
// every other lock (a writer that opened the repository before the rotation seals under the old
// key until it ends) and counts what is still under a retired key. Something is when such a
// writer wrote meanwhile: another round takes it. Each step finds its work by reading the
// repository, so a run killed anywhere is finished by the next; restores work throughout, since
// the retired key still opens what has not been sealed again.

import { invalidArgument, RepositoryError } from './errors.js';
import { awaitLocks, HeldLock, listLocks, LockTimings } from './locks.js';
import { Pace } from './pace.js';
import { prune, PrunePhase, PruneResult } from './prune.js';
import { noReseals, resealFiles, ResealCounts } from './resealFiles.js';
import { Repository } from './repository.js';
import { packsUnderRetiredKey } from './retiredPacks.js';

export type ReencryptPhase = PrunePhase | 'files' | 'writers' | 'check';

export interface ReencryptOptions {
  heldLock: HeldLock;
  lockTimings: LockTimings;
  /** Throttles the reading of the packs to seal again; unlimited when absent. */
  bytesPerSecond?: number;
  signal?: AbortSignal;
  onProgress?: (phase: ReencryptPhase, done: number, total?: number) => void;
}

export interface ReencryptResult {
  rounds: number;
  packs: { repacked: number; deleted: number; written: number };
  bytes: { read: number; written: number };
  files: ResealCounts;
}

/** The result of a rotation that had nothing to seal again. */
export function nothingResealed(): ReencryptResult {
  return { rounds: 0, packs: { repacked: 0, deleted: 0, written: 0 }, bytes: { read: 0, written: 0 }, files: noReseals() };
}

/** Rounds before giving up on a writer that keeps sealing under the retired key. */
const MAX_ROUNDS = 3;

export async function reencrypt(repo: Repository, options: ReencryptOptions): Promise<ReencryptResult> {
  if (!repo.rotating) throw invalidArgument('[key rotation] no key rotation is under way in this repository: start one with meridian key rotate');
  const { heldLock, signal, onProgress } = options;
  const pace = options.bytesPerSecond ? new Pace(options.bytesPerSecond) : undefined;
  const total = nothingResealed();
  while (total.rounds < MAX_ROUNDS) {
    total.rounds += 1;
    addPrune(total, await prune(repo, { heldLock, lockTimings: options.lockTimings, signal, onProgress, reseal: { pace } }));
    const files = await resealFiles(repo, { ownLock: heldLock.id, beforeChange: () => heldLock.assertHeld(), signal, onFile: (_, done) => onProgress?.('files', done) });
    for (const type of Object.keys(files) as (keyof ResealCounts)[]) total.files[type] += files[type];
    await awaitOtherWriters(repo, options);
    if ((await countLeft(repo, options)) === 0) return total;
  }
  throw new RepositoryError(
    'locked',
    `[key rotation] files sealed under the retired key keep appearing after ${MAX_ROUNDS} rounds: a worker that opened the repository before the rotation is still writing; restart it and run the rotation again`,
  );
}

/** Files still sealed under a retired key: packs, and the others. */
export async function countLeft(repo: Repository, options: { signal?: AbortSignal; onProgress?: ReencryptOptions['onProgress'] } = {}): Promise<number> {
  const stored = new Map<string, number>();
  for await (const pack of repo.storage.list('data')) stored.set(pack.name, pack.size);
  const packs = await packsUnderRetiredKey(repo, stored, options.signal, (done, total) => options.onProgress?.('check', done, total));
  const files = await resealFiles(repo, { dryRun: true, signal: options.signal });
  return packs.size + Object.values(files).reduce((sum, n) => sum + n, 0);
}

/** Waits until every lock but the run's own, as of now, is released or stale. */
async function awaitOtherWriters(repo: Repository, options: ReencryptOptions): Promise<void> {
  const others = (await listLocks(repo)).locks.filter((l) => l.id !== options.heldLock.id).map((l) => l.id);
  await awaitLocks(repo, others, {
    staleMs: options.lockTimings.staleMs,
    signal: options.signal,
    onWait: (waiting) => options.onProgress?.('writers', others.length - waiting.length, others.length),
  });
}

function addPrune(total: ReencryptResult, pruned: PruneResult): void {
  total.packs.repacked += pruned.packs.repacked;
  total.packs.deleted += pruned.packs.deleted;
  total.packs.written += pruned.packs.written;
  total.bytes.read += pruned.bytes.repacked;
  total.bytes.written += pruned.bytes.written;
}

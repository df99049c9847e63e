// Barrier tests' replicas: in-memory replicas of a primary (made by initReplica), each behind a
// fault wrapper a test takes down (every call refused) and brings back, and the barrier over
// them with the real catch-up pass and millisecond retries; plus the checks on what each lists.

import { backup, BackupProgress } from '../../core/archiver';
import { verify } from '../../core/checker';
import { BarrierMode, ReplicaBarrier } from '../../core/replicaBarrier';
import { dataCatchUp } from '../../core/replicaCatchUp';
import { initReplica } from '../../core/replicaInit';
import { Repository } from '../../core/repository';
import { FaultOptions, FaultyStorage } from '../../storage/faulty';
import { MemoryStorage } from '../../storage/memory';
import { Storage } from '../../storage/storage';
import { HISTORY_PASSPHRASE } from './pruneHistory';

export interface TestReplica {
  name: string;
  region: string;
  /** The replica's storage itself, for checks that must not go through the outage. */
  plain: MemoryStorage;
  goDown(): void;
  comeBack(): void;
  /** Every read from now on never answers (a storage that hangs rather than refuses). */
  hang(): void;
  /** Opens the replica through its outage wrapper (as the barrier does). */
  open(): Promise<Repository>;
}

export async function replicasOf(primary: Repository, count: number): Promise<TestReplica[]> {
  const out: TestReplica[] = [];
  for (let i = 1; i <= count; i++) {
    const plain = new MemoryStorage();
    await initReplica(primary, plain);
    const faults: FaultOptions = { failureRate: 0 };
    const storage = new FaultyStorage(plain, faults);
    out.push({
      name: `r${i}`,
      region: `region-${i}`,
      plain,
      goDown: () => void (faults.failureRate = 1),
      comeBack: () => void (faults.failureRate = 0),
      hang: () => void (faults.beforeRead = () => new Promise<void>(() => undefined)),
      open: () => Repository.open(storage, HISTORY_PASSPHRASE),
    });
  }
  return out;
}

export function barrierOver(primary: Repository, replicas: TestReplica[], rule: { mode: BarrierMode; quorum?: number; timeoutMs: number }): ReplicaBarrier {
  return new ReplicaBarrier({
    set: 'test',
    ...rule,
    retryMs: 5,
    replicas: replicas.map(({ name, region, open }) => ({ name, region, open })),
    catchUp: dataCatchUp(primary, { graceHours: 0 }),
  });
}

export async function snapshotNames(storage: Storage): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of storage.list('snapshots')) names.push(entry.name);
  return names.sort();
}

/** Every snapshot's trees and blobs are indexed and every indexed pack is there. */
export async function expectWhole(repo: Repository): Promise<void> {
  const report = await verify(repo, { level: 'standard' });
  expect(report.problems).toEqual([]);
}

/** Starts a full backup with the barrier, collecting the waiting reasons it reports. */
export function backupWith(primary: Repository, barrier: ReplicaBarrier, source: string) {
  const waiting: string[] = [];
  const running = backup(primary, {
    source,
    type: 'full',
    threads: 0,
    replicas: barrier,
    onProgress: (p: BackupProgress) => {
      if (p.waiting !== undefined) waiting.push(p.waiting);
    },
  });
  running.catch(() => undefined);
  return { running, waiting };
}

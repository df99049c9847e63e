// Meridian's engine without Temporal, as a command the benchmark can time like restic:
//   engineCommand backup SOURCE REPO [TIME] | engineCommand restore REPO TARGET   (a backup that a
//   concurrent prune made undo its snapshot runs again, as the activity's retry policy does)
//   engineCommand forget-prune REPO POLICY_JSON      (forget by a retention policy, then prune)
//   engineCommand scrub REPO CYCLE [CURSOR_JSON]     (one scrub run: subset n/CYCLE from the cursor)
//   engineCommand init-replica PRIMARY REPLICA | replicate PRIMARY REPLICA | compare PRIMARY REPLICA
//                                                    (replication: a replica made, one pass, a full comparison)
//   engineCommand pg-backup REPO CLUSTER DSN         (a PostgreSQL base backup)
//   engineCommand pg-restore REPO CLUSTER TIME TARGET PORT RESTORE_COMMAND
//                                                    (restore to TIME into TARGET, started on PORT, recovery waited for)
//   engineCommand rotate REPO                        (a whole key rotation: started, every file sealed again, the old key destroyed)
// (MERIDIAN_PASSWORD). Each holds a repository lock as its activity would. It prints the engine's
// result and the storage requests it made as one JSON object. MERIDIAN_BENCH_APPEND_ONLY=1 opens
// the repository append-only, as a backup host with `role: append-only` does (bench/appendOnly.ts).

import { setTimeout as sleep } from 'node:timers/promises';
import { backup, BackupOptions } from '../core/archiver.js';
import { ConcurrentChangeError } from '../core/errors.js';
import { reencrypt } from '../core/keyRotation.js';
import { acquireLock, DEFAULT_LOCK_TIMINGS } from '../core/locks.js';
import { forget } from '../core/forget.js';
import { pgBaseBackup } from '../core/pgBaseBackup.js';
import { restorePg, startRecoveredCluster } from '../core/pgRestore.js';
import { prune } from '../core/prune.js';
import { compareReplica } from '../core/replicaCompare.js';
import { initReplica } from '../core/replicaInit.js';
import { replicatePass } from '../core/replication.js';
import { Repository } from '../core/repository.js';
import { restore } from '../core/restorer.js';
import { scrub } from '../core/scrub.js';
import { parseRetentionPolicy } from '../core/retention.js';
import { openStorage } from '../storage/open.js';
import { CountingStorage } from './countingStorage.js';

const USAGE =
  'usage: engineCommand backup SOURCE REPO [TIME] | restore REPO TARGET | forget-prune REPO POLICY_JSON | scrub REPO CYCLE [CURSOR_JSON] | ' +
  'init-replica PRIMARY REPLICA | replicate PRIMARY REPLICA | compare PRIMARY REPLICA | pg-backup REPO CLUSTER DSN | pg-restore REPO CLUSTER TIME TARGET PORT RESTORE_COMMAND | rotate REPO';
const REPLICATION_COMMANDS = ['init-replica', 'replicate', 'compare'];

async function main(): Promise<void> {
  const [command, a, b = '', c, ...more] = process.argv.slice(2);
  if (!a || (!b && command !== 'rotate') || ![...REPLICATION_COMMANDS, 'backup', 'restore', 'forget-prune', 'scrub', 'pg-backup', 'pg-restore', 'rotate'].includes(command ?? '')) throw new Error(USAGE);
  if (REPLICATION_COMMANDS.includes(command!)) return replication(command!, a, b);
  const storage = new CountingStorage(await openStorage(command === 'backup' ? b : a, { appendOnly: process.env.MERIDIAN_BENCH_APPEND_ONLY === '1' }));
  const repo = await Repository.open(storage, process.env.MERIDIAN_PASSWORD);
  const result =
    command === 'backup'
      ? await backupRetried(repo, { source: a, type: 'incremental', time: c === undefined ? undefined : new Date(c) })
      : command === 'restore'
        ? await locked(repo, 'restore', () => restore(repo, 'latest', { target: b }))
        : command === 'scrub'
          ? await locked(repo, 'scrub', () => scrub(repo, { cycle: Number(b), cursor: c === undefined ? undefined : JSON.parse(c) }))
          : command === 'pg-backup'
            ? await locked(repo, 'backup', () => pgBaseBackup(repo, { cluster: b, dsn: c }))
            : command === 'pg-restore'
              ? await restoreAndStart(repo, b, c!, more)
              : command === 'rotate'
                ? await rotateKey(repo)
                : await forgetAndPrune(repo, b);
  console.log(JSON.stringify({ result, requests: storage.counts, requestsTotal: storage.total }));
}

/**
 * A replication step from PRIMARY to REPLICA, both counted: the requests made of each, the bytes
 * read from the primary and written to the replica.
 */
async function replication(command: string, primaryUrl: string, replicaUrl: string): Promise<void> {
  const primaryStorage = new CountingStorage(await openStorage(primaryUrl));
  const replicaStorage = new CountingStorage(await openStorage(replicaUrl));
  const primary = await Repository.open(primaryStorage, process.env.MERIDIAN_PASSWORD);
  const result =
    command === 'init-replica'
      ? await initReplica(primary, replicaStorage)
      : command === 'replicate'
        ? await replicatePass(primary, await Repository.open(replicaStorage, process.env.MERIDIAN_PASSWORD), { replicaName: 'bench', graceHours: 0 })
        : await compareReplica(primary, await Repository.open(replicaStorage, process.env.MERIDIAN_PASSWORD), 'bench');
  const requests = { primary: primaryStorage.counts, replica: replicaStorage.counts };
  console.log(JSON.stringify({ result, requests, requestsTotal: primaryStorage.total + replicaStorage.total, bytes: { read: primaryStorage.bytes.read, written: replicaStorage.bytes.written } }));
}

/** Runs `use` holding a repository lock, as every activity does (a prune waits for its holder). */
async function locked<T>(repo: Repository, operation: string, use: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(repo, { operation });
  try {
    return await use();
  } finally {
    await lock.release();
  }
}

/**
 * A backup, started again when a concurrent prune made it undo its snapshot, after 1, 2, 4 … s as
 * the backup activity's retry policy does (workflows/failurePolicy.ts); `attempts` says how many ran.
 */
async function backupRetried(repo: Repository, options: BackupOptions) {
  for (let attempt = 1; ; attempt++) {
    try {
      return { ...(await locked(repo, 'backup', () => backup(repo, options))), attempts: attempt };
    } catch (err) {
      if (!(err instanceof ConcurrentChangeError) || attempt === 10) throw err;
      await sleep(1000 * 2 ** (attempt - 1));
    }
  }
}

/** A restore to `time` into `target`, then the cluster started and its recovery waited for (it keeps running). */
async function restoreAndStart(repo: Repository, cluster: string, time: string, [target, port, restoreCommand]: string[]) {
  if (!target || !port || !restoreCommand) throw new Error(USAGE);
  const restored = await locked(repo, 'restore', () => restorePg(repo, { cluster, targetTime: new Date(time), targetDir: target, targetAction: 'promote', restoreCommand }));
  return { ...restored, started: await startRecoveredCluster({ targetDir: target, port: Number(port), timeoutMs: 30 * 60_000 }) };
}

/** `meridian key rotate`'s work: the start (the CLI's), then the workflow's activity (under an exclusive lock, then the old key destroyed). */
async function rotateKey(repo: Repository) {
  const passphrase = process.env.MERIDIAN_PASSWORD!;
  const { repository } = await repo.startRotation(passphrase);
  const lock = await acquireLock(repository, { operation: 'key-rotation', exclusive: true });
  try {
    const sealed = await reencrypt(repository, { heldLock: lock, lockTimings: DEFAULT_LOCK_TIMINGS });
    return { ...sealed, keys: await repository.finishRotation(passphrase) };
  } finally {
    await lock.release();
  }
}

/** `meridian forget --prune`'s work: the policy in UTC, then a prune with the default limits. */
async function forgetAndPrune(repo: Repository, policyJson: string) {
  const forgotten = await locked(repo, 'forget', () => forget(repo, { policy: parseRetentionPolicy(JSON.parse(policyJson)), timezone: 'UTC' }));
  const pruned = await prune(repo);
  return { kept: forgotten.kept, removed: forgotten.removed, prune: pruned };
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

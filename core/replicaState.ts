// The replica-state document: a sealed file under a replica's locks/ that marks the repository as
// a replica (so prune, forget, repair and backup refuse it) and keeps its tombstones: files gone
// from the primary, kept on the replica until their deletion grace ends. Its name is derived from
// the repository id, so that one stat tells whether a repository is a replica.

import { createHash } from 'node:crypto';
import { z } from 'zod';
import { RepositoryError } from './errors.js';
import { jsonBytes, Repository } from './repository.js';
import { isArchivedWalName } from './walArchive.js';
import { REPLICATED_TYPES, ReplicaFile, ReplicaStateDoc, ReplicatedType, Tombstone } from './replicationTypes.js';
import { isNotFound, Storage } from '../storage/storage.js';

const HASH_NAME = /^[0-9a-f]{64}$/;

// An archived WAL file is named `<cluster>.<walName>`; every other file by a hash.
const TombstoneSchema = z
  .object({
    type: z.enum(REPLICATED_TYPES),
    name: z.string(),
    size: z.number().int().nonnegative(),
    missingSince: z.string(),
  })
  .refine((t) => (t.type === 'wal' ? isArchivedWalName(t.name) : HASH_NAME.test(t.name)), { message: 'not a file name of its type' });

const ReplicaStateDocSchema = z.object({
  kind: z.literal('replica-state'),
  id: z.string().regex(HASH_NAME),
  primaryLocation: z.string(),
  createdAt: z.string(),
  lastFullAt: z.string().optional(),
  pending: z.array(TombstoneSchema),
});

/** The document's file name under locks/: the same on every replica of one repository. */
export function replicaStateName(repositoryId: string): string {
  return createHash('sha256').update(`replica-state:${repositoryId}`).digest('hex');
}

/** A new document for a replica of `primary`, with no tombstones. */
export function newReplicaState(primary: Repository, now: Date): ReplicaStateDoc {
  return { kind: 'replica-state', id: primary.config.id, primaryLocation: primary.storage.location, createdAt: now.toISOString(), pending: [] };
}

/** The repository's replica-state document; undefined when it is not a replica. */
export async function readReplicaState(repo: Repository): Promise<ReplicaStateDoc | undefined> {
  const name = replicaStateName(repo.config.id);
  let stored: Uint8Array;
  try {
    stored = await repo.storage.get({ type: 'locks', name });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(repo.openFile(stored, `replica-state file ${name}`)).toString('utf8'));
  } catch (err) {
    if (err instanceof SyntaxError) throw new RepositoryError('integrity', `[replication] the replica-state file ${name} of ${repo.storage.location} is not JSON`);
    throw err;
  }
  const parsed = ReplicaStateDocSchema.safeParse(value);
  if (!parsed.success || parsed.data.id !== repo.config.id) {
    throw new RepositoryError('integrity', `[replication] the replica-state file ${name} of ${repo.storage.location} is malformed`);
  }
  return parsed.data;
}

/**
 * Writes (replaces) the document, sealed with the repository's keys. `storage` is the replica's
 * when `repo` is its primary (init writes it before the replica has a config).
 */
export async function writeReplicaState(repo: Repository, doc: ReplicaStateDoc, storage: Storage = repo.storage): Promise<void> {
  await storage.put({ type: 'locks', name: replicaStateName(doc.id) }, repo.sealFile(jsonBytes(doc)));
}

/** Throws 'replica-read-only' when the repository is a replica: `what` is written only through replication. */
export async function refuseReplica(repo: Repository, what: string): Promise<void> {
  try {
    await repo.storage.stat({ type: 'locks', name: replicaStateName(repo.config.id) });
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  throw new RepositoryError('replica-read-only', `[replication] ${repo.storage.location} is a replica of repository ${repo.config.id}: run ${what} on the primary`);
}

const fileKey = (f: { type: ReplicatedType; name: string }) => `${f.type}/${f.name}`;

/**
 * The tombstones after a pass saw `extra` (on the replica, not on the primary) for the types it
 * listed: a file still extra keeps its first missingSince, a new one starts now, and one no longer
 * extra (back on the primary, or gone from the replica) is dropped. Tombstones of types not listed
 * this pass are kept as they are.
 */
export function updateTombstones(pending: readonly Tombstone[], extra: readonly ReplicaFile[], listedTypes: ReadonlySet<ReplicatedType>, now: Date): Tombstone[] {
  const known = new Map(pending.map((t) => [fileKey(t), t]));
  const next = pending.filter((t) => !listedTypes.has(t.type));
  for (const file of extra) next.push(known.get(fileKey(file)) ?? { ...file, missingSince: now.toISOString() });
  return next;
}

/** When a tombstone's grace ends. */
export function graceEndsAt(tombstone: Tombstone, graceHours: number): number {
  return Date.parse(tombstone.missingSince) + graceHours * 3_600_000;
}

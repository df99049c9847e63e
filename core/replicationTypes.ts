// The shapes replication passes around: what one pass to one replica did and found (copied,
// skipped, deleted, still pending, how far behind), a replica compared with its primary, and the
// replica-state document a replica keeps under locks/. Plain data: workflows, the CLI and the API read them.

/**
 * The kinds of repository file replication copies. Keys, archived WAL (standalone) and packs go
 * first; index files once their packs are there; snapshots and journal segments (file-set history
 * for point-in-time restores, naming blobs of packs) once every index file is.
 */
export const REPLICATED_TYPES = ['keys', 'data', 'index', 'snapshots', 'journal', 'wal'] as const;
export type ReplicatedType = (typeof REPLICATED_TYPES)[number];

/** What a replica lacks of its primary, measured by a pass from the listings it made. */
export interface Behind {
  snapshots: number;
  /** Files of every replicated type. */
  files: number;
  bytes: number;
  /** Commit time (the primary's listing mtime) of the oldest and newest snapshot the replica lacks. */
  oldestMissingAt?: string;
  newestMissingAt?: string;
}

export const NOTHING_BEHIND: Behind = { snapshots: 0, files: 0, bytes: 0 };

/** One pass of one replica: the primary's files copied to it, its tombstones, what is still missing. */
export interface PassResult {
  replica: string;
  /** `full` also listed data/ on both sides (first pass, asked for, or an index file vanished on the primary). */
  kind: 'incremental' | 'full';
  /** The pass did nothing, and why (another replication holds the replica, a prune is running on the primary). */
  deferred?: string;
  /** The pass stopped at a file boundary on its time budget; another pass continues. */
  partial?: boolean;
  /** The pass failed (set by the set's workflow, whose update answers one result per replica): why; the counters are zero. */
  failed?: string;
  copied: { files: number; bytes: number; byType: Record<ReplicatedType, number> };
  /** Files already on the replica (a killed attempt or a sync backup put them): not sent again. */
  skippedPresent: number;
  deleted: { files: number; bytes: number };
  /** Files gone from the primary, kept on the replica until their grace ends. */
  pending: { files: number; bytes: number; nextDueAt?: string };
  /** What the replica still lacks after the pass (zero unless deferred, partial or files appeared meanwhile). */
  behind: Behind;
  durationMs: number;
}

/** A file named in a comparison. */
export interface ReplicaFile {
  type: ReplicatedType;
  name: string;
  size: number;
}

/** A replica compared with its primary by full listings (`meridian replication verify`). */
export interface ReplicaDiff {
  replica: string;
  /** The replica's config file is byte-identical to the primary's (same id, same parameters). */
  configMatches: boolean;
  /** missing + extra + sizeMismatch, counted exactly (the lists are capped at 50 each), plus 1 when the config differs. */
  differences: number;
  /** On the primary, not on the replica. */
  missing: ReplicaFile[];
  /** On the replica, not on the primary, and not a tombstone within its grace. */
  extra: ReplicaFile[];
  sizeMismatch: { type: ReplicatedType; name: string; primary: number; replica: number }[];
  /** Tombstones: deleted on the primary, kept on the replica until their grace ends; not differences. */
  pendingDeletion: number;
}

/** A file the primary no longer has, seen missing first at `missingSince` (the replicator's clock). */
export interface Tombstone extends ReplicaFile {
  missingSince: string;
}

/**
 * The sealed document under a replica's locks/ that makes it a replica: which repository it copies
 * (so prune, forget, repair and backup refuse it) and its tombstones. Never copied, never removed by unlock.
 */
export interface ReplicaStateDoc {
  kind: 'replica-state';
  /** The repository id (the same on the primary and every replica). */
  id: string;
  primaryLocation: string;
  createdAt: string;
  lastFullAt?: string;
  pending: Tombstone[];
}

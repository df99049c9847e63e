// Snapshot manifests: what was backed up, when, from where, how (full / incremental /
// differential and from which parent), the root tree and the counters of the run.

import os from 'node:os';
import { isDamage } from './damage.js';
import { RepositoryError } from './errors.js';
import { Repository, SealedFile } from './repository.js';
import { isNotFound } from '../storage/storage.js';
import { integer, jsonShape, listOf, nullable, object, oneOf, string } from './jsonShape.js';
import { BACKUP_TYPES, type BackupType } from './optionChoices.js';

export { BACKUP_TYPES, type BackupType } from './optionChoices.js';

export interface SnapshotStats {
  files: number;
  dirs: number;
  bytes: number;
  filesNew: number;
  filesChanged: number;
  filesUnmodified: number;
  bytesRead: number;
  bytesAdded: number;
  bytesStored: number;
  /** New files named as a file of the parent snapshot that is gone, with an extension added or changed (`a.png` → `a.png.locked`); absent before it was counted. */
  filesRenamedExtension?: number;
}

const snapshotStats = object(
  { files: integer(), dirs: integer(), bytes: integer(), filesNew: integer(), filesChanged: integer(), filesUnmodified: integer(), bytesRead: integer(), bytesAdded: integer(), bytesStored: integer() },
  { filesRenamedExtension: integer() },
);

/** What a PostgreSQL base backup recorded (core/pgBaseBackup.ts): the cluster, and the WAL range and times it spans. */
export interface PgBackupInfo {
  cluster: string;
  systemIdentifier: string;
  pgVersion: number;
  timeline: number;
  walSegmentSize: number;
  startWal: string;
  startLsn: string;
  stopWal: string;
  stopLsn: string;
  startTime: string;
  stopTime: string;
}

const pgBackupInfo = object({
  cluster: string,
  systemIdentifier: string,
  pgVersion: integer(),
  timeline: integer(),
  walSegmentSize: integer(),
  startWal: string,
  startLsn: string,
  stopWal: string,
  stopLsn: string,
  startTime: string,
  stopTime: string,
});

export interface SnapshotManifest {
  version: 1;
  time: string;
  host: string;
  source: string;
  type: BackupType;
  parent: string | null;
  tags: string[];
  excludes: string[];
  tree: string;
  stats: SnapshotStats;
  /** Present when entries could not be read and are missing from the snapshot: how many. */
  incomplete?: true;
  filesSkipped?: number;
  /** Present on a PostgreSQL base backup (source `pg:<cluster>`). */
  pg?: PgBackupInfo;
  /** Present when the backup's changes departed sharply from its source's history (core/changeAnomaly.ts): why. Forget holds the source's older snapshots until it is acknowledged. */
  suspectedRansomware?: { reasons: string[] };
}

const SnapshotManifestShape = jsonShape<SnapshotManifest>(
  object(
    {
      version: oneOf(1),
      time: string,
      host: string,
      source: string,
      type: oneOf(...BACKUP_TYPES),
      parent: nullable(string),
      tags: listOf(string),
      excludes: listOf(string),
      tree: string,
      stats: snapshotStats,
    },
    {
      incomplete: oneOf(true),
      filesSkipped: integer(1),
      pg: pgBackupInfo,
      suspectedRansomware: object({ reasons: listOf(string, 1) }),
    },
  ),
);
export type Snapshot = SnapshotManifest & { id: string };

export function currentHost(): string {
  return os.hostname();
}

export async function saveSnapshot(repo: Repository, manifest: SnapshotManifest): Promise<string> {
  const file = sealSnapshot(repo, manifest);
  await storeSnapshot(repo, file);
  return file.name;
}

/** A snapshot file's bytes and name, computed before it is stored anywhere (a sync backup writes it to replicas first). */
export function sealSnapshot(repo: Repository, manifest: SnapshotManifest): SealedFile {
  return repo.sealJsonFile(manifest);
}

export async function storeSnapshot(repo: Repository, file: SealedFile): Promise<void> {
  await repo.storage.put({ type: 'snapshots', name: file.name }, file.stored);
}

const SNAPSHOT_READS_AT_ONCE = 16;

/**
 * Every snapshot, oldest first (or those whose id starts with `prefix`). A damaged snapshot file
 * throws, unless `onDamaged` is given: then it is reported there and left out. One deleted
 * between the listing and its read (a forget running beside) is left out. A snapshot file never
 * changes (its name is its content's hash): one in `known` (an earlier listing's) is not read again.
 */
export async function listSnapshots(repo: Repository, options: { prefix?: string; onDamaged?: (id: string, err: Error) => void; known?: ReadonlyMap<string, Snapshot> } = {}): Promise<Snapshot[]> {
  const names: string[] = [];
  for await (const entry of repo.storage.list('snapshots')) {
    if (options.prefix === undefined || entry.name.startsWith(options.prefix)) names.push(entry.name);
  }
  const out: Snapshot[] = [];
  let next = 0;
  const readSome = async () => {
    while (next < names.length) {
      const name = names[next++]!;
      const known = options.known?.get(name);
      if (known) {
        out.push(known);
        continue;
      }
      try {
        out.push({ id: name, ...(await repo.loadJsonFile('snapshots', name, SnapshotManifestShape)) });
      } catch (err) {
        if (isNotFound(err)) continue;
        if (!options.onDamaged || !isDamage(err)) throw err;
        options.onDamaged(name, err as Error);
      }
    }
  };
  // Several reads at once: 10,000 snapshots one after another take minutes on a cloud store.
  await Promise.all(Array.from({ length: Math.min(SNAPSHOT_READS_AT_ONCE, names.length) }, readSome));
  return out.sort((a, b) => a.time.localeCompare(b.time) || a.id.localeCompare(b.id));
}

/**
 * The snapshot `ref` names ("latest" or an id prefix), reading only the files an id prefix
 * matches: another snapshot's damaged file does not stop restoring this one.
 */
export async function findSnapshot(repo: Repository, ref: string): Promise<Snapshot> {
  if (ref === 'latest') return resolveSnapshot(await listSnapshots(repo), ref);
  assertSnapshotId(ref);
  return resolveSnapshot(await listSnapshots(repo, { prefix: ref }), ref);
}

/** The snapshot a new backup of `type` builds on: the latest of the same host and source (any type for incremental, full for differential). */
export function chooseParent(snapshots: Snapshot[], host: string, source: string, type: BackupType): Snapshot | undefined {
  if (type === 'full') return undefined;
  const candidates = snapshots.filter((s) => s.host === host && s.source === source && (type === 'incremental' || s.type === 'full'));
  return candidates[candidates.length - 1];
}

/** Resolves "latest" or a unique id prefix (at least 4 hex digits). */
export function resolveSnapshot(snapshots: Snapshot[], ref: string): Snapshot {
  if (ref === 'latest') {
    const latest = snapshots[snapshots.length - 1];
    if (!latest) throw new RepositoryError('not-found', '[repository] the repository has no snapshots');
    return latest;
  }
  assertSnapshotId(ref);
  const matches = snapshots.filter((s) => s.id.startsWith(ref));
  if (matches.length === 1) return matches[0]!;
  throw new RepositoryError('not-found', `[repository] ${matches.length === 0 ? 'no' : 'more than one'} snapshot matches "${ref}"`);
}

function assertSnapshotId(ref: string): void {
  if (!/^[0-9a-f]{4,64}$/.test(ref)) throw new RepositoryError('invalid-argument', `"${ref}" is not a snapshot id (hex) or "latest"`);
}

/** The listing of a snapshot that `meridian snapshots --json` and GET /v1/snapshots show. */
export function snapshotSummary({ id, time, host, source, type, parent, tags, stats }: Snapshot) {
  return { id, time, host, source, type, parent, tags, files: stats.files, bytes: stats.bytes };
}

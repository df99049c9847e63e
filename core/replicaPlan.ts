// What a pass must copy to a replica, found from listings. The small folders (keys, index,
// snapshots, and unless the pass is the sync barrier's journal and wal) are listed on both sides
// every pass; the packs to copy are those named by the index files the replica lacks, read with
// the primary's keys. A full pass also lists data/ on both sides and takes every pack a primary
// index file names that the replica lacks (drift, loss) and the replica's packs the primary no
// longer has (for tombstones). Garbage (packs no index names, temporary files) is never copied.

import { forEachConcurrently } from './concurrently.js';
import { isDamage } from './damage.js';
import { IndexFileSchema } from './masterIndex.js';
import { storedNameMismatch } from './replicaContent.js';
import { Repository } from './repository.js';
import { ReplicaFile, ReplicatedType } from './replicationTypes.js';
import { isNotFound, ListedObject, Storage } from '../storage/storage.js';

export type Listing = Map<string, ListedObject>;

export interface Listings {
  keys: Listing;
  index: Listing;
  snapshots: Listing;
  /** Empty when the pass does not copy them (the sync barrier). */
  journal: Listing;
  wal: Listing;
  /** Listed in a full pass only. */
  data?: Listing;
}

export interface IndexToCopy extends ReplicaFile {
  packs: string[];
  /** Its stored bytes, already read and checked. */
  bytes: Uint8Array;
}

export interface PackToCopy {
  name: string;
  /** Bytes of its blobs, from the index: the pack's size less its header. */
  dataEnd: number;
  /** Its size on the primary, when data/ was listed. */
  size?: number;
}

export interface CopyPlan {
  full: boolean;
  primary: Listings;
  replica: Listings;
  keys: ReplicaFile[];
  packs: PackToCopy[];
  /** The packs' absence on the replica is known from a listing; otherwise each is stat'ed before copying. */
  packsKnownMissing: boolean;
  /** Packs named by the index files to copy that the listing found on the replica already (a killed pass or a sync backup put them). */
  packsPresent: number;
  index: IndexToCopy[];
  /** Oldest first. */
  snapshots: (ReplicaFile & { mtime: Date })[];
  journal: ReplicaFile[];
  wal: ReplicaFile[];
  /** Files on the replica the primary no longer has, of the types listed this pass (keys apart). */
  extra: ReplicaFile[];
  extraKeys: string[];
  /** Primary files that failed their check: never copied. */
  damaged: { type: ReplicatedType; name: string; reason: string }[];
}

export interface PlanOptions {
  /** The kinds the pass copies: snapshots, journal and wal only when named (their extras likewise). */
  kinds: ReadonlySet<ReplicatedType>;
  /** Decides, from the small listings, whether this pass also lists data/. */
  wantFull: (primary: Listings, replica: Listings) => boolean;
  concurrency: number;
}

/** Above this many candidate packs, one listing of the replica's data/ replaces a stat per pack. */
const STAT_LIMIT = 256;

export async function listFolder(storage: Storage, type: ReplicatedType): Promise<Listing> {
  const out: Listing = new Map();
  for await (const entry of storage.list(type)) out.set(entry.name, entry);
  return out;
}

async function listSmallFolders(storage: Storage, kinds: ReadonlySet<ReplicatedType>): Promise<Listings> {
  const listed = async (type: ReplicatedType) => (kinds.has(type) ? await listFolder(storage, type) : new Map<string, ListedObject>());
  // Reverse write order: a snapshot or journal segment listed here has its index files in the later listing.
  const snapshots = await listFolder(storage, 'snapshots');
  const journal = await listed('journal');
  const index = await listFolder(storage, 'index');
  const keys = await listFolder(storage, 'keys');
  const wal = await listed('wal');
  return { keys, index, snapshots, journal, wal };
}

const missingFrom = (from: Listing, to: Listing) => [...from.values()].filter((f) => !to.has(f.name));
const toCopy = (type: ReplicatedType, from: Listing, to: Listing): ReplicaFile[] => missingFrom(from, to).map((f) => ({ type, name: f.name, size: f.size }));

export async function planCopy(primary: Repository, replica: Repository, options: PlanOptions): Promise<CopyPlan> {
  const [p, r] = await Promise.all([listSmallFolders(primary.storage, options.kinds), listSmallFolders(replica.storage, options.kinds)]);
  const full = options.wantFull(p, r);
  if (full) [p.data, r.data] = await Promise.all([listFolder(primary.storage, 'data'), listFolder(replica.storage, 'data')]);

  const damaged: CopyPlan['damaged'] = [];
  const missingIndex = missingFrom(p.index, r.index);
  const toRead = full ? [...p.index.values()] : missingIndex;
  const packsOf = new Map<string, { id: string; dataEnd: number }[]>();
  const bytesOf = new Map<string, Uint8Array>();
  const wanted = new Set(missingIndex.map((f) => f.name));
  await forEachConcurrently(toRead, options.concurrency, async (file) => {
    const read = await readIndexFile(primary, file.name);
    if (read === 'gone') p.index.delete(file.name);
    else if ('reason' in read) damaged.push({ type: 'index', name: file.name, reason: read.reason });
    else {
      packsOf.set(file.name, read.packs);
      if (wanted.has(file.name)) bytesOf.set(file.name, read.stored);
    }
  });

  const index: IndexToCopy[] = missingIndex.filter((f) => packsOf.has(f.name)).map((f) => ({ type: 'index', name: f.name, size: f.size, packs: packsOf.get(f.name)!.map((pk) => pk.id), bytes: bytesOf.get(f.name)! }));
  const candidates = new Map<string, number>();
  for (const file of full ? packsOf.keys() : index.map((f) => f.name)) {
    for (const pack of packsOf.get(file)!) candidates.set(pack.id, pack.dataEnd);
  }
  let replicaData = r.data;
  if (!replicaData && candidates.size > STAT_LIMIT) replicaData = await listFolder(replica.storage, 'data');
  const packs: PackToCopy[] = [];
  const namedByNewIndex = new Set(index.flatMap((f) => f.packs));
  let packsPresent = 0;
  for (const [name, dataEnd] of candidates) {
    if (replicaData?.has(name)) {
      if (namedByNewIndex.has(name)) packsPresent += 1;
      continue;
    }
    const size = p.data?.get(name)?.size;
    packs.push({ name, dataEnd, ...(size !== undefined ? { size } : {}) });
  }

  const extra: ReplicaFile[] = [];
  const extraOf = (type: ReplicatedType, from: Listing, to: Listing) => extra.push(...toCopy(type, from, to));
  if (options.kinds.has('snapshots')) {
    extraOf('snapshots', r.snapshots, p.snapshots);
    extraOf('journal', r.journal, p.journal);
    extraOf('wal', r.wal, p.wal);
    extraOf('index', r.index, p.index);
    if (r.data && p.data) extraOf('data', r.data, p.data);
  }
  return {
    full,
    primary: p,
    replica: r,
    keys: toCopy('keys', p.keys, r.keys),
    packs,
    packsKnownMissing: replicaData !== undefined,
    packsPresent,
    index,
    snapshots: options.kinds.has('snapshots')
      ? missingFrom(p.snapshots, r.snapshots)
          .sort((a, b) => a.mtime.getTime() - b.mtime.getTime())
          .map((f) => ({ type: 'snapshots', name: f.name, size: f.size, mtime: f.mtime }))
      : [],
    journal: toCopy('journal', p.journal, r.journal),
    wal: toCopy('wal', p.wal, r.wal),
    extra,
    extraKeys: p.keys.size > 0 ? missingFrom(r.keys, p.keys).map((f) => f.name) : [],
    damaged,
  };
}

/** The packs an index file names, each with the bytes of its blobs; 'gone' when it vanished from the primary. */
async function readIndexFile(primary: Repository, name: string): Promise<{ stored: Uint8Array; packs: { id: string; dataEnd: number }[] } | { reason: string } | 'gone'> {
  let stored: Uint8Array;
  try {
    stored = await primary.storage.get({ type: 'index', name });
  } catch (err) {
    if (isNotFound(err)) return 'gone';
    throw err;
  }
  const mismatch = storedNameMismatch(name, stored);
  if (mismatch) return { reason: mismatch };
  try {
    const parsed = IndexFileSchema.safeParse(JSON.parse(Buffer.from(primary.openFile(stored, `index file ${name}`)).toString('utf8')));
    if (!parsed.success) return { reason: 'it is malformed' };
    return { stored, packs: parsed.data.packs.map((pack) => ({ id: pack.id, dataEnd: pack.blobs.reduce((end, b) => Math.max(end, b.offset + b.length), 0) })) };
  } catch (err) {
    if (isDamage(err) || err instanceof SyntaxError) return { reason: 'it cannot be opened' };
    throw err;
  }
}

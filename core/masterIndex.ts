// The index: which pack holds each blob, where. Every writer appends its own index files
// (never rewriting anyone else's); readers load them all into one in-memory map. A blob stored
// more than once (a writer that crashed after storing a pack but before its index file was seen,
// two backups racing) keeps every location, so that prune can drop a duplicate and a damaged copy
// can be replaced by a good one.

import { z } from 'zod';
import { BlobType } from './blobCodec.js';
import { BlobIdTable, SharedBlobIds } from './blobIdTable.js';
import { isDamage } from './damage.js';
import { IndexFileShape } from './indexShape.js';
import { LocationColumns } from './locationColumns.js';
import { PackBlobEntry, PackBlobEntrySchema } from './packFormat.js';
import { Repository } from './repository.js';
import { isNotFound } from '../storage/storage.js';

export const IndexFileSchema = z.object({
  packs: z.array(z.object({ id: z.string().regex(/^[0-9a-f]{64}$/), blobs: z.array(PackBlobEntrySchema) })),
});
export type IndexFile = z.infer<typeof IndexFileSchema>;
export type IndexedPack = IndexFile['packs'][number];

export interface BlobLocation {
  pack: string;
  type: BlobType;
  offset: number;
  length: number;
  codec: number;
  rawLength: number;
}

export interface IndexLoadOptions {
  onDamaged?: (name: string, err: Error) => void;
  excludePacks?: ReadonlySet<string>;
  demotePacks?: ReadonlySet<string>;
}

/** Reloads after an index file vanished mid-load; past this, a vanished file counts as damage. */
const MAX_LOAD_ATTEMPTS = 5;

class IndexChanged extends Error {}

export class MasterIndex {
  /** Every blob id, by ordinal; the columns below hold the first location found of each. */
  private readonly ids = new BlobIdTable();
  private readonly first = new LocationColumns();
  /** The other locations of blobs stored more than once; rare, so kept apart from the columns. */
  private readonly otherLocations = new Map<string, BlobLocation[]>();
  private readonly packIds = new Set<string>();
  private readonly packNames: string[] = [];

  /**
   * Loads every index file of the repository. A damaged file throws, unless `onDamaged` is given:
   * then it is reported there and the others are loaded (verify and restore work around it).
   * Packs in `excludePacks` (condemned by a prune) are left out, so a backup never dedupes
   * against them; packs in `demotePacks` are added last, so that a reader (restore, verify)
   * finds a blob's copy in a pack the prune keeps first, and uses a condemned one only when it
   * has no other (a blob the prune's sweep will rescue). An index file that vanishes between the listing and its read (a prune
   * replaced it by a consolidated one, written first) makes the load start over.
   */
  static async load(repo: Repository, options: IndexLoadOptions | IndexLoadOptions['onDamaged'] = {}): Promise<MasterIndex> {
    const { onDamaged, excludePacks, demotePacks } = typeof options === 'function' ? { onDamaged: options, excludePacks: undefined, demotePacks: undefined } : options;
    for (let attempt = 1; ; attempt++) {
      const index = new MasterIndex();
      const damaged: [string, Error][] = [];
      const demoted: IndexedPack[] = [];
      try {
        for await (const entry of repo.storage.list('index')) {
          let file;
          try {
            file = await repo.loadJsonFile('index', entry.name, IndexFileShape);
          } catch (err) {
            if (isNotFound(err) && attempt < MAX_LOAD_ATTEMPTS) throw new IndexChanged();
            if (!onDamaged || !isDamage(err)) throw err;
            damaged.push([entry.name, err as Error]);
            continue;
          }
          for (const pack of file.packs) {
            if (demotePacks?.has(pack.id)) demoted.push(pack);
            else if (!excludePacks?.has(pack.id)) index.addPack(pack);
          }
        }
        for (const pack of demoted) index.addPack(pack);
      } catch (err) {
        if (err instanceof IndexChanged) continue;
        throw err;
      }
      for (const [name, err] of damaged) onDamaged!(name, err);
      return index;
    }
  }

  addPack(pack: IndexedPack): void {
    // A pack listed by two index files (a rebuilt index next to the old one) adds nothing new.
    if (this.packIds.has(pack.id)) return;
    this.packIds.add(pack.id);
    const packOrdinal = this.packNames.push(pack.id) - 1;
    for (const b of pack.blobs) {
      const known = this.ids.size;
      const ordinal = this.ids.insert(b.id);
      if (ordinal === known) this.first.set(ordinal, packOrdinal, b);
      else if (this.first.pack(ordinal) === packOrdinal) continue; // listed twice in one pack's header: one place is enough
      else {
        const others = this.otherLocations.get(b.id);
        if (others) others.push(locationOf(pack.id, b));
        else this.otherLocations.set(b.id, [locationOf(pack.id, b)]);
      }
    }
  }

  has(id: string): boolean {
    return this.ids.find(id) >= 0;
  }

  get(id: string): BlobLocation | undefined {
    const ordinal = this.ids.find(id);
    return ordinal < 0 ? undefined : this.locationAt(ordinal);
  }

  /** Every location of a blob, the one get() answers first; empty for an unknown blob. */
  locations(id: string): BlobLocation[] {
    const first = this.get(id);
    return first ? [first, ...(this.otherLocations.get(id) ?? [])] : [];
  }

  get packs(): ReadonlySet<string> {
    return this.packIds;
  }

  get size(): number {
    return this.ids.size;
  }

  *entries(): IterableIterator<[string, BlobLocation]> {
    for (let ordinal = 0; ordinal < this.ids.size; ordinal++) yield [this.ids.idAt(ordinal), this.locationAt(ordinal)];
  }

  /** The ids of every blob, as shared memory that encoder threads look up in while the index grows. */
  sharedIds(): SharedBlobIds {
    return this.ids.shared;
  }

  private locationAt(ordinal: number): BlobLocation {
    return { pack: this.packNames[this.first.pack(ordinal)]!, ...this.first.get(ordinal) };
  }
}

function locationOf(pack: string, b: PackBlobEntry): BlobLocation {
  return { pack, type: b.type, offset: b.offset, length: b.length, codec: b.codec, rawLength: b.rawLength };
}

/**
 * Collects packs written by one writer and stores them as index files, every `packsPerFile`
 * packs and on flush, so that work survives a crash of the writer (it is found again by the
 * next attempt, which then skips those blobs).
 */
export class IndexWriter {
  private pending: IndexedPack[] = [];

  constructor(
    private readonly repo: Repository,
    private readonly packsPerFile = 8,
  ) {}

  async add(pack: IndexedPack): Promise<void> {
    this.pending.push(pack);
    if (this.pending.length >= this.packsPerFile) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const packs = this.pending;
    this.pending = [];
    await this.repo.saveJsonFile('index', { packs });
  }
}

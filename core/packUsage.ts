// What prune decides for each pack, from the index, the set of used blobs and the packs in
// storage: a pack with no used blob is deleted; one whose unused share is above the limit, or a
// small one among several, is repacked (its used blobs copied into new packs); the rest are kept.
// A used blob stored more than once is kept in one place only, the pack holding the most used
// bytes (then the lowest pack id): its other copies count as unused.

import { BlobType } from './blobCodec.js';
import { MasterIndex } from './masterIndex.js';
import { PackBlobEntry } from './packFormat.js';
import { PackRef } from './prunePlan.js';

export interface RepackSource extends PackRef {
  /** The blobs to copy out of it. */
  keep: PackBlobEntry[];
}

export interface PackDecisions {
  deletePacks: PackRef[];
  repackPacks: RepackSource[];
  /** Packs no index file names. */
  unindexedPacks: PackRef[];
  packsKept: number;
  bytesKept: number;
  /** Bytes of blobs the repack copies (the new packs add their headers). */
  bytesToCopy: number;
}

/** A pack smaller than this share of the pack size is small: several of them are merged. */
const SMALL_PACK_SHARE = 0.5;

/** `mustRepack`: packs repacked whatever their share of unused blobs (a key rotation's, sealed under a retired key). */
export function decidePacks(
  index: MasterIndex,
  used: ReadonlySet<string>,
  stored: ReadonlyMap<string, number>,
  settings: { maxUnusedPercent: number; packSize: number; mustRepack?: ReadonlySet<string> },
): PackDecisions {
  const packs = new Map<string, { blobBytes: number; usedBytes: number; type: BlobType; keep: PackBlobEntry[] }>();
  // Used bytes counting every copy: how the keeper of a duplicated blob is chosen.
  const usedAnyCopy = new Map<string, number>();
  for (const [id] of index.entries()) {
    for (const loc of index.locations(id)) {
      if (!stored.has(loc.pack)) continue; // a pack the index names but storage lacks: verify's business
      let pack = packs.get(loc.pack);
      if (!pack) packs.set(loc.pack, (pack = { blobBytes: 0, usedBytes: 0, type: loc.type, keep: [] }));
      pack.blobBytes += loc.length;
      if (used.has(id)) usedAnyCopy.set(loc.pack, (usedAnyCopy.get(loc.pack) ?? 0) + loc.length);
    }
  }
  for (const id of used) {
    let keeper;
    for (const loc of index.locations(id)) {
      if (!stored.has(loc.pack)) continue;
      const better = !keeper || usedAnyCopy.get(loc.pack)! > usedAnyCopy.get(keeper.pack)! || (usedAnyCopy.get(loc.pack) === usedAnyCopy.get(keeper.pack) && loc.pack < keeper.pack);
      if (better) keeper = loc;
    }
    if (!keeper) continue; // lost already: nothing to keep
    const pack = packs.get(keeper.pack)!;
    pack.usedBytes += keeper.length;
    pack.keep.push({ id, type: keeper.type, offset: keeper.offset, length: keeper.length, codec: keeper.codec, rawLength: keeper.rawLength });
  }

  const out: PackDecisions = { deletePacks: [], repackPacks: [], unindexedPacks: [], packsKept: 0, bytesKept: 0, bytesToCopy: 0 };
  const small = new Map<BlobType, RepackSource[]>();
  for (const [id, size] of stored) {
    const pack = packs.get(id);
    if (!pack && !index.packs.has(id)) out.unindexedPacks.push({ id, size });
    else if (!pack || pack.usedBytes === 0) out.deletePacks.push({ id, size });
    else if (settings.mustRepack?.has(id) || ((pack.blobBytes - pack.usedBytes) * 100) / pack.blobBytes > settings.maxUnusedPercent) out.repackPacks.push({ id, size, keep: pack.keep });
    else if (size < settings.packSize * SMALL_PACK_SHARE) {
      const ofType = small.get(pack.type) ?? [];
      small.set(pack.type, ofType);
      ofType.push({ id, size, keep: pack.keep });
    }
    else keep(out, size);
  }
  for (const packsOfType of small.values()) {
    if (packsOfType.length >= 2) out.repackPacks.push(...packsOfType);
    else for (const p of packsOfType) keep(out, p.size);
  }
  for (const p of out.repackPacks) out.bytesToCopy += p.keep.reduce((sum, b) => sum + b.length, 0);
  return out;
}

function keep(out: PackDecisions, size: number): void {
  out.packsKept += 1;
  out.bytesKept += size;
}

// Reads blobs back out of packs through the index: one ranged read per blob, then open,
// decompress and check the id, trying the blob's other copies when one is damaged. Recent trees
// are cached (up to a number of entries, not of trees: a tile tree's hold hundreds each), since
// restore and verify revisit them.

import { decodeBlob } from './blobCodec.js';
import { isDamage } from './damage.js';
import { RepositoryError } from './errors.js';
import { MasterIndex } from './masterIndex.js';
import { Repository } from './repository.js';
import { decodeTree, Tree } from './tree.js';

/** Tree entries kept in the cache: ~1 KiB each decoded. */
const MAX_CACHED_NODES = 64 * 1024;

export class BlobReader {
  private readonly trees = new Map<string, Tree>();
  private cachedNodes = 0;

  constructor(
    readonly repo: Repository,
    readonly index: MasterIndex,
  ) {}

  /** Reads a blob from the first of its locations that reads back intact (a damaged copy is passed over). */
  async read(id: string): Promise<Uint8Array> {
    const locations = this.index.locations(id);
    if (locations.length === 0) throw new RepositoryError('integrity', `[repository] blob ${id.slice(0, 12)} is not in the index`);
    let damage: unknown;
    for (const loc of locations) {
      try {
        const stored = await this.repo.storage.get({ type: 'data', name: loc.pack }, { offset: loc.offset, length: loc.length });
        return decodeBlob(this.repo.keys, { id, codec: loc.codec, rawLength: loc.rawLength }, stored);
      } catch (err) {
        if (!isDamage(err)) throw err;
        damage ??= err;
      }
    }
    throw damage;
  }

  async tree(id: string): Promise<Tree> {
    const cached = this.trees.get(id);
    if (cached) return cached;
    const tree = decodeTree(await this.read(id), id);
    if (this.cachedNodes + tree.nodes.length > MAX_CACHED_NODES) {
      this.trees.clear();
      this.cachedNodes = 0;
    }
    this.trees.set(id, tree);
    this.cachedNodes += tree.nodes.length;
    return tree;
  }
}

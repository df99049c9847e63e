// Reads blobs back out of packs through the index: one ranged read per blob, then open,
// decompress and check the id. Trees are cached, since restore and verify revisit them.

import { decodeBlob } from './blobCodec.js';
import { RepositoryError } from './errors.js';
import { MasterIndex } from './masterIndex.js';
import { Repository } from './repository.js';
import { decodeTree, Tree } from './tree.js';

export class BlobReader {
  private readonly trees = new Map<string, Tree>();

  constructor(
    readonly repo: Repository,
    readonly index: MasterIndex,
  ) {}

  async read(id: string): Promise<Uint8Array> {
    const loc = this.index.get(id);
    if (!loc) throw new RepositoryError('integrity', `[repository] blob ${id.slice(0, 12)} is not in the index`);
    const stored = await this.repo.storage.get({ type: 'data', name: loc.pack }, { offset: loc.offset, length: loc.length });
    return decodeBlob(this.repo.keys, { id, codec: loc.codec, rawLength: loc.rawLength }, stored);
  }

  async tree(id: string): Promise<Tree> {
    const cached = this.trees.get(id);
    if (cached) return cached;
    const tree = decodeTree(await this.read(id), id);
    if (this.trees.size > 10_000) this.trees.clear();
    this.trees.set(id, tree);
    return tree;
  }
}

// What an encoder does not encode again: the blobs the index holds (a view of its shared id
// table, renewed with each batch, since the table moves when it grows) and those the encoder
// itself produced lately, whose packs may still be being written. The recent ones are kept in
// two generations of at most RECENT_LIMIT ids, so an encoder's memory does not grow with the
// number of files: a blob forgotten before its pack was indexed is only encoded again, and the
// main thread's BlobStore drops the copy.

import { BlobIdTable, SharedBlobIds } from './blobIdTable.js';

const RECENT_LIMIT = 32_768;

export class KnownBlobs {
  /** Empty until the first batch renews it. */
  private indexed = new BlobIdTable();
  private recent = new Set<string>();
  private older = new Set<string>();

  /** Looks up in the index's latest buffers from now on (each batch brings them). */
  renew(indexed: SharedBlobIds): void {
    this.indexed = new BlobIdTable(indexed);
  }

  has(id: string): boolean {
    return this.recent.has(id) || this.older.has(id) || this.indexed.find(id) >= 0;
  }

  add(id: string): void {
    this.recent.add(id);
    if (this.recent.size < RECENT_LIMIT) return;
    this.older = this.recent;
    this.recent = new Set();
  }
}

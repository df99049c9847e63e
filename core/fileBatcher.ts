// Groups files into encoder batches as a walk meets them: a batch closes at BATCH_FILES files or
// before it would pass BATCH_BYTES, so that a batch is large enough to amortize a thread round trip
// and small enough to keep both threads busy to the end.

const BATCH_FILES = 64;
const BATCH_BYTES = 8 * 1024 * 1024;

export class FileBatcher<T> {
  private batch: T[] = [];
  private bytes = 0;

  /** Adds a file of `size` bytes; returns the batch it closed, if it closed one (the file starts the next). */
  add(file: T, size: number): T[] | undefined {
    let full: T[] | undefined;
    if (this.batch.length > 0 && (this.batch.length >= BATCH_FILES || this.bytes + size > BATCH_BYTES)) full = this.rest();
    this.batch.push(file);
    this.bytes += size;
    return full;
  }

  /** The batch being filled, if it holds any file; the batcher starts empty again. */
  rest(): T[] | undefined {
    if (this.batch.length === 0) return undefined;
    const batch = this.batch;
    this.batch = [];
    this.bytes = 0;
    return batch;
  }
}

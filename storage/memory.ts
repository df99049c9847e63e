// In-memory backend: fast engine tests and the reference for the storage contract.

import { assertValidHandle, ByteRange, FileType, Handle, objectPath, Storage, StorageError } from './storage.js';

export class MemoryStorage implements Storage {
  readonly location = 'memory';
  private readonly objects = new Map<string, Uint8Array>();

  async put(h: Handle, data: Uint8Array): Promise<void> {
    assertValidHandle(h);
    this.objects.set(objectPath(h), Uint8Array.from(data));
  }

  async get(h: Handle, range?: ByteRange): Promise<Uint8Array> {
    const data = this.lookup(h);
    if (!range) return Uint8Array.from(data);
    if (range.offset < 0 || range.length < 0 || range.offset + range.length > data.length) {
      throw new StorageError('permanent', `[storage:memory] range ${range.offset}+${range.length} is past the end of ${objectPath(h)}`);
    }
    return data.slice(range.offset, range.offset + range.length);
  }

  async stat(h: Handle): Promise<{ size: number }> {
    return { size: this.lookup(h).length };
  }

  async *list(type: FileType): AsyncIterable<{ name: string; size: number }> {
    for (const [key, data] of [...this.objects]) {
      const name = key.slice(key.lastIndexOf('/') + 1);
      if (objectPath({ type, name }) === key) yield { name, size: data.length };
    }
  }

  async delete(h: Handle): Promise<void> {
    this.lookup(h);
    this.objects.delete(objectPath(h));
  }

  async close(): Promise<void> {}

  private lookup(h: Handle): Uint8Array {
    assertValidHandle(h);
    const data = this.objects.get(objectPath(h));
    if (!data) throw new StorageError('not-found', `[storage:memory] ${objectPath(h)}: not found`);
    return data;
  }
}

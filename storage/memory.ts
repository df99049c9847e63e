// In-memory backend: fast engine tests and the reference for the storage contract.

import { assertValidHandle, assertValidType, ByteRange, FileType, Handle, ListedObject, ObjectInfo, objectPath, Storage, StorageError } from './storage.js';

interface StoredObject {
  data: Uint8Array;
  mtime: Date;
}

export class MemoryStorage implements Storage {
  readonly location = 'memory';
  private readonly objects = new Map<string, StoredObject>();

  async put(h: Handle, data: Uint8Array): Promise<void> {
    assertValidHandle(h);
    this.objects.set(objectPath(h), { data: Uint8Array.from(data), mtime: new Date() });
  }

  async get(h: Handle, range?: ByteRange): Promise<Uint8Array> {
    const { data } = this.lookup(h);
    if (!range) return Uint8Array.from(data);
    if (range.offset < 0 || range.length < 0 || range.offset + range.length > data.length) {
      throw new StorageError('permanent', `[storage:memory] range ${range.offset}+${range.length} is past the end of ${objectPath(h)}`);
    }
    return data.slice(range.offset, range.offset + range.length);
  }

  async stat(h: Handle): Promise<ObjectInfo> {
    const { data, mtime } = this.lookup(h);
    return { size: data.length, mtime };
  }

  async *list(type: FileType): AsyncIterable<ListedObject> {
    assertValidType(type);
    for (const [key, { data, mtime }] of [...this.objects]) {
      const name = key.slice(key.lastIndexOf('/') + 1);
      if (objectPath({ type, name }) === key) yield { name, size: data.length, mtime };
    }
  }

  async delete(h: Handle): Promise<void> {
    this.lookup(h);
    this.objects.delete(objectPath(h));
  }

  async close(): Promise<void> {}

  private lookup(h: Handle): StoredObject {
    assertValidHandle(h);
    const found = this.objects.get(objectPath(h));
    if (!found) throw new StorageError('not-found', `[storage:memory] ${objectPath(h)}: not found`);
    return found;
  }
}

// A storage wrapper that logs every call it passes on (operation, type, name, and a read's byte
// range), so a test can tell in which order an operation touched a repository (its lock first,
// then everything else) and which objects it read whole.

import { ByteRange, FileType, Handle, ListedObject, ObjectInfo, Storage, StreamingPut } from '../../storage/storage';

export interface StorageCall {
  op: 'put' | 'get' | 'stat' | 'list' | 'delete' | 'stream';
  type: FileType;
  name: string;
  /** A ranged get's range; none for a get of the whole object. */
  range?: ByteRange;
}

export class RecordingStorage implements Storage {
  readonly location: string;
  readonly calls: StorageCall[] = [];
  readonly openPut?: (type: FileType) => StreamingPut;

  constructor(private readonly inner: Storage) {
    this.location = inner.location;
    if (inner.openPut) {
      this.openPut = (type) => {
        this.calls.push({ op: 'stream', type, name: '' });
        return inner.openPut!(type);
      };
    }
  }

  put(h: Handle, data: Uint8Array): Promise<void> {
    this.calls.push({ op: 'put', ...h });
    return this.inner.put(h, data);
  }

  get(h: Handle, range?: ByteRange): Promise<Uint8Array> {
    this.calls.push({ op: 'get', ...h, ...(range ? { range } : {}) });
    return this.inner.get(h, range);
  }

  stat(h: Handle): Promise<ObjectInfo> {
    this.calls.push({ op: 'stat', ...h });
    return this.inner.stat(h);
  }

  list(type: FileType): AsyncIterable<ListedObject> {
    this.calls.push({ op: 'list', type, name: '' });
    return this.inner.list(type);
  }

  delete(h: Handle): Promise<void> {
    this.calls.push({ op: 'delete', ...h });
    return this.inner.delete(h);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

// Counts the requests Meridian's engine makes of its storage, for the benchmark: every put
// (streamed or whole), get, stat, list and delete is one request, as it would be to a cloud store;
// and the bytes read (gets) and written (puts), the bytes a copy between stores moves.

import { ByteRange, FileType, Handle, ListedObject, ObjectInfo, Storage, StreamingPut } from '../storage/storage.js';

export type RequestCounts = Record<'put' | 'get' | 'stat' | 'list' | 'delete', number>;

export class CountingStorage implements Storage {
  readonly location: string;
  readonly counts: RequestCounts = { put: 0, get: 0, stat: 0, list: 0, delete: 0 };
  readonly bytes = { read: 0, written: 0 };
  readonly openPut?: (type: FileType) => StreamingPut;
  readonly createLocation?: () => Promise<void>;

  constructor(private readonly inner: Storage) {
    this.location = inner.location;
    if (inner.createLocation) this.createLocation = () => inner.createLocation!();
    if (inner.openPut) {
      this.openPut = (type) => {
        this.counts.put += 1;
        const put = inner.openPut!(type);
        return {
          write: (bytes, position) => {
            this.bytes.written += bytes.length;
            return put.write(bytes, position);
          },
          commit: (name) => put.commit(name),
          abort: () => put.abort(),
        };
      };
    }
  }

  get total(): number {
    return Object.values(this.counts).reduce((a, b) => a + b, 0);
  }

  put(h: Handle, data: Uint8Array): Promise<void> {
    this.counts.put += 1;
    this.bytes.written += data.length;
    return this.inner.put(h, data);
  }

  async get(h: Handle, range?: ByteRange): Promise<Uint8Array> {
    this.counts.get += 1;
    const data = await this.inner.get(h, range);
    this.bytes.read += data.length;
    return data;
  }

  stat(h: Handle): Promise<ObjectInfo> {
    this.counts.stat += 1;
    return this.inner.stat(h);
  }

  list(type: FileType): AsyncIterable<ListedObject> {
    this.counts.list += 1;
    return this.inner.list(type);
  }

  delete(h: Handle): Promise<void> {
    this.counts.delete += 1;
    return this.inner.delete(h);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

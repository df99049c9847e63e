// Append-only access to a repository, the role of a backup host: files may be added, but none may
// be deleted or replaced except locks and health canaries, so the host's own credentials cannot
// destroy the history it wrote. The local backend enforces this itself (storage/local.ts links a
// new name into place and never renames over one); for the cloud backends this decorator refuses
// before any request is sent, and the bucket's own policy (README, "Ransomware") stops a thief.

import { FileType, Handle, isNotFound, objectPath, Storage, StorageError } from './storage.js';

/** What an append-only writer may still delete and replace: its own locks (and the replica state kept among them), and health canaries. */
const CHANGEABLE: ReadonlySet<FileType> = new Set(['locks', 'health']);

export function changeableWhenAppendOnly(type: FileType): boolean {
  return CHANGEABLE.has(type);
}

/** The one-line refusal of a delete or a replacement under append-only access. */
export function appendOnlyRefusal(location: string, operation: 'delete' | 'replace', h: Handle): StorageError {
  return new StorageError(
    'refused',
    `[storage] refused to ${operation} ${objectPath(h)} in ${location}: this process has append-only access to the repository (role: append-only); forget, prune, repair and key removal need the maintenance role`,
  );
}

/**
 * `inner` with deletes and replacements of anything but locks and health canaries refused; putting
 * the bytes a file already holds (a retry whose first answer was lost) succeeds. It has
 * no streamed put (writers fall back to `put`, which it checks): the cloud backends it is for have
 * none, and the local backend enforces append-only access itself.
 */
export function appendOnly(inner: Storage): Storage {
  /** Whether `data` still has to be written: not when the same bytes are there (a retried put); refused when others are. */
  const absentOrSame = async (h: Handle, data: Uint8Array): Promise<boolean> => {
    if (CHANGEABLE.has(h.type)) return true;
    let size: number;
    try {
      size = (await inner.stat(h)).size;
    } catch (err) {
      if (isNotFound(err)) return true;
      throw err;
    }
    if (size === data.length && Buffer.compare(await inner.get(h), data) === 0) return false;
    throw appendOnlyRefusal(inner.location, 'replace', h);
  };
  const storage: Storage = {
    location: inner.location,
    put: async (h, data) => {
      if (await absentOrSame(h, data)) await inner.put(h, data);
    },
    get: (h, range) => inner.get(h, range),
    stat: (h) => inner.stat(h),
    list: (type) => inner.list(type),
    delete: async (h) => {
      if (!CHANGEABLE.has(h.type)) throw appendOnlyRefusal(inner.location, 'delete', h);
      await inner.delete(h);
    },
    close: () => inner.close(),
  };
  if (inner.createLocation) storage.createLocation = () => inner.createLocation!();
  return storage;
}

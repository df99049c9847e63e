// Local filesystem backend: one file per object under a root directory. Writes go to a temporary
// file (next to the object, or for a streamed put in the type's directory) and are renamed into
// place, so readers see all or nothing; then the directories from the object's up to the root are
// synced (their new entries too), so a put that returned survives a power loss, as a WAL push needs.
// Opened append-only, it refuses at its own level to delete or replace anything but locks and
// health canaries: a new name is linked into place (which fails when the name exists), never
// renamed over.

import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { appendOnlyRefusal, changeableWhenAppendOnly } from './appendOnly.js';
import {
  assertValidHandle,
  FILE_TYPES,
  assertValidType,
  ByteRange,
  FileType,
  Handle,
  ListedObject,
  ObjectInfo,
  objectPath,
  Storage,
  StorageError,
  StreamingPut,
  TEMPORARY_MARK,
} from './storage.js';

export class LocalStorage implements Storage {
  readonly location: string;

  constructor(
    private readonly root: string,
    private readonly options: { appendOnly?: boolean } = {},
  ) {
    this.location = `local:${root}`;
  }

  async put(h: Handle, data: Uint8Array): Promise<void> {
    const file = this.pathOf(h);
    const temp = `${file}${TEMPORARY_MARK}${randomBytes(6).toString('hex')}`;
    try {
      await fs.mkdir(path.dirname(file), { recursive: true });
      const handle = await fs.open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await this.placeDurably(temp, file, h);
    } catch (err) {
      await fs.rm(temp, { force: true });
      throw this.classify(err, 'put', h);
    }
  }

  openPut(type: FileType): StreamingPut {
    const dir = path.join(this.root, type);
    const temp = path.join(dir, `stream${TEMPORARY_MARK}${randomBytes(6).toString('hex')}`);
    const failed = (op: string, name: string) => (err: unknown) => {
      throw this.classify(err, op, { type, name });
    };
    const opened = fs.mkdir(dir, { recursive: true }).then(() => fs.open(temp, 'wx', 0o600));
    opened.catch(() => undefined); // reported by the first write or commit
    return {
      write: async (bytes, position) => {
        const handle = await opened.catch(failed('put', path.basename(temp)));
        for (let done = 0; done < bytes.length; ) {
          done += (await handle.write(bytes, done, bytes.length - done, position + done).catch(failed('put', path.basename(temp)))).bytesWritten;
        }
      },
      commit: async (name) => {
        const handle = await opened.catch(failed('put', name));
        const file = this.pathOf({ type, name });
        try {
          await handle.sync();
          await handle.close();
          await fs.mkdir(path.dirname(file), { recursive: true });
          await this.placeDurably(temp, file, { type, name });
        } catch (err) {
          await fs.rm(temp, { force: true });
          throw this.classify(err, 'put', { type, name });
        }
      },
      abort: async () => {
        await opened.then((handle) => handle.close()).catch(() => undefined);
        await fs.rm(temp, { force: true });
      },
    };
  }

  async get(h: Handle, range?: ByteRange): Promise<Uint8Array> {
    const file = this.pathOf(h);
    try {
      if (!range) return await fs.readFile(file);
      const handle = await fs.open(file, 'r');
      try {
        const out = Buffer.allocUnsafe(range.length);
        let done = 0;
        while (done < range.length) {
          const { bytesRead } = await handle.read(out, done, range.length - done, range.offset + done);
          if (bytesRead === 0) {
            throw new StorageError('permanent', `[storage:local] range ${range.offset}+${range.length} is past the end of ${objectPath(h)}`);
          }
          done += bytesRead;
        }
        return out;
      } finally {
        await handle.close();
      }
    } catch (err) {
      throw this.classify(err, 'get', h);
    }
  }

  async stat(h: Handle): Promise<ObjectInfo> {
    try {
      const st = await fs.stat(this.pathOf(h));
      return { size: st.size, mtime: st.mtime };
    } catch (err) {
      throw this.classify(err, 'stat', h);
    }
  }

  async *list(type: FileType): AsyncIterable<ListedObject> {
    assertValidType(type);
    if (type === 'config') {
      try {
        const st = await fs.stat(path.join(this.root, 'config'));
        yield { name: 'config', size: st.size, mtime: st.mtime };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw this.classify(err, 'list', { type, name: 'config' });
      }
      return;
    }
    const dirs = type === 'data' ? await this.subdirectories(path.join(this.root, 'data')) : [path.join(this.root, type)];
    for (const dir of dirs) {
      let names: string[];
      try {
        names = await fs.readdir(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw this.classify(err, 'list', { type, name: '' });
      }
      for (const name of names) {
        if (name.includes(TEMPORARY_MARK)) continue;
        try {
          const st = await fs.stat(path.join(dir, name));
          if (st.isFile()) yield { name, size: st.size, mtime: st.mtime };
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw this.classify(err, 'list', { type, name });
        }
      }
    }
  }

  async delete(h: Handle): Promise<void> {
    if (this.options.appendOnly && !changeableWhenAppendOnly(h.type)) throw appendOnlyRefusal(this.location, 'delete', h);
    try {
      await fs.unlink(this.pathOf(h));
    } catch (err) {
      throw this.classify(err, 'delete', h);
    }
  }

  async close(): Promise<void> {}

  /** Every `*.tmp-*` file: in the root (config), each type's folder, and data's subfolders. */
  async *listTemporaryFiles(): AsyncIterable<ListedObject> {
    const dataDirs = (await this.subdirectories(path.join(this.root, 'data'))).map((d) => path.relative(this.root, d));
    for (const dir of ['', ...FILE_TYPES.filter((t) => t !== 'config'), ...dataDirs]) {
      let names: string[];
      try {
        names = await fs.readdir(path.join(this.root, dir));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw this.classify(err, 'list', { type: 'data', name: '' });
      }
      for (const name of names) {
        if (!name.includes(TEMPORARY_MARK)) continue;
        const st = await fs.stat(path.join(this.root, dir, name)).catch(() => undefined);
        if (st?.isFile()) yield { name: dir ? `${dir}/${name}` : name, size: st.size, mtime: st.mtime };
      }
    }
  }

  /** Removes a file listTemporaryFiles named; a name of any other form is refused. */
  async removeTemporaryFile(name: string): Promise<void> {
    const parts = name.split('/');
    const valid = parts.length <= 3 && parts.every((p) => /^[A-Za-z0-9._-]+$/.test(p) && !p.startsWith('.')) && parts.at(-1)!.includes(TEMPORARY_MARK);
    if (!valid) throw new StorageError('permanent', `[storage:local] "${name}" is not a temporary file's name`);
    await fs.rm(path.join(this.root, ...parts), { force: true });
  }

  /**
   * Puts `temp` in place as `file` and syncs each directory from the file's up to the root, so the
   * new name (and any directory just created for it) is on disk. Append-only, a file that must not
   * be replaced is linked instead of renamed: the link fails if the name exists, with no window
   * in which another writer's file could be replaced (the same bytes already there are no
   * replacement: a retried put succeeds).
   */
  private async placeDurably(temp: string, file: string, h: Handle): Promise<void> {
    if (this.options.appendOnly && !changeableWhenAppendOnly(h.type)) {
      await fs.link(temp, file).catch(async (err: unknown) => {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        if (!(await sameBytes(temp, file))) throw appendOnlyRefusal(this.location, 'replace', h);
      });
      await fs.unlink(temp);
    } else {
      await fs.rename(temp, file);
    }
    const root = path.resolve(this.root);
    for (let dir = path.dirname(path.resolve(file)); ; dir = path.dirname(dir)) {
      const handle = await fs.open(dir, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      if (dir === root || path.dirname(dir) === dir) break;
    }
  }

  private pathOf(h: Handle): string {
    assertValidHandle(h);
    return path.join(this.root, objectPath(h));
  }

  private async subdirectories(dir: string): Promise<string[]> {
    try {
      const entries = await fs.readdir(dir, { withFileTypes: true });
      return entries.filter((e) => e.isDirectory()).map((e) => path.join(dir, e.name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  private classify(err: unknown, op: string, h: Handle): StorageError {
    if (err instanceof StorageError) return err;
    const code = (err as NodeJS.ErrnoException).code;
    const what = `[storage:local] ${op} ${objectPath(h)} in ${this.root}`;
    if (code === 'ENOENT') return new StorageError('not-found', `${what}: not found`, { cause: err });
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOTDIR' || code === 'EISDIR') {
      return new StorageError('permanent', `${what}: ${code}`, { cause: err });
    }
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      return new StorageError('permanent', `${what}: no space left on device (${code})`, { cause: err });
    }
    return new StorageError('transient', `${what}: ${code ?? String(err)}`, { cause: err });
  }
}

/** Whether two files hold the same bytes (sizes first: a differing one is never read). */
async function sameBytes(a: string, b: string): Promise<boolean> {
  const [statA, statB] = await Promise.all([fs.stat(a), fs.stat(b)]);
  if (statA.size !== statB.size) return false;
  const [bytesA, bytesB] = await Promise.all([fs.readFile(a), fs.readFile(b)]);
  return bytesA.equals(bytesB);
}

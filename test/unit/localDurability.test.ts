// The local backend syncs directories as well as files: after a put (whole or streamed) returns,
// every directory from the object's up to the repository root has been fsynced after the rename,
// so the new name survives a power loss (a WAL push exits 0 only then). The filesystem calls are
// observed, not replaced.

import fs from 'node:fs';
import path from 'node:path';
import { LocalStorage } from '../../storage/local';
import { tempDir } from '../helpers/trees';

/** Directories whose handle was synced while `work` ran, in order. */
async function directoriesSynced(work: () => Promise<void>): Promise<string[]> {
  const synced: string[] = [];
  const open = fs.promises.open;
  const spy = jest.spyOn(fs.promises, 'open').mockImplementation(async (file, ...rest) => {
    const handle = await open(file, ...rest);
    if (fs.statSync(file).isDirectory()) {
      const sync = handle.sync.bind(handle);
      handle.sync = async () => {
        await sync();
        synced.push(path.resolve(String(file)));
      };
    }
    return handle;
  });
  try {
    await work();
  } finally {
    spy.mockRestore();
  }
  return synced;
}

function ancestorsUpTo(file: string, root: string): string[] {
  const dirs: string[] = [];
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    dirs.push(dir);
    if (dir === root) return dirs;
  }
}

test('a put syncs the object\'s directory and each parent up to the root', async () => {
  const root = path.resolve(tempDir('repo'));
  const storage = new LocalStorage(root);
  const synced = await directoriesSynced(() => storage.put({ type: 'wal', name: 'main.000000010000000000000001' }, Buffer.from('segment')));
  const [file] = fs.readdirSync(path.join(root, 'wal'), { recursive: true }).map((name) => path.join(root, 'wal', String(name)));
  expect(synced).toEqual(ancestorsUpTo(file!, root));
});

test('a streamed put syncs them on commit', async () => {
  const root = path.resolve(tempDir('repo'));
  const storage = new LocalStorage(root);
  const name = 'cd'.repeat(32);
  const put = storage.openPut('data');
  await put.write(Buffer.from('a pack'), 0);
  const synced = await directoriesSynced(() => put.commit(name));
  const file = fs.readdirSync(path.join(root, 'data'), { recursive: true }).map((entry) => path.join(root, 'data', String(entry))).find((entry) => entry.endsWith(name));
  expect(synced).toEqual(ancestorsUpTo(file!, root));
});

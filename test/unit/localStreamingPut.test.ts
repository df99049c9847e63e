// The local backend's streamed put, which backups use to write packs without holding them in
// memory: pieces land at their positions in any order, the object appears only on commit, and
// an aborted one leaves nothing behind.

import fs from 'node:fs';
import path from 'node:path';
import { LocalStorage } from '../../storage/local';
import { withRetry } from '../../storage/retry';
import { pseudoRandomBytes, tempDir } from '../helpers/trees';

const NAME = 'ab'.repeat(32);

async function listed(storage: LocalStorage): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of storage.list('data')) names.push(entry.name);
  return names;
}

test('pieces written out of order commit to one object under the given name, seen only then', async () => {
  const storage = new LocalStorage(tempDir('repo'));
  const bytes = pseudoRandomBytes(3_000_000, 5);
  const put = storage.openPut('data');
  await Promise.all([put.write(bytes.subarray(2_000_000), 2_000_000), put.write(bytes.subarray(0, 1_000_000), 0)]);
  await put.write(bytes.subarray(1_000_000, 2_000_000), 1_000_000);
  expect(await listed(storage)).toEqual([]);
  await put.commit(NAME);
  expect(await listed(storage)).toEqual([NAME]);
  expect(Buffer.compare(await storage.get({ type: 'data', name: NAME }), bytes)).toBe(0);
});

test('an aborted put leaves no object and no temporary file', async () => {
  const root = tempDir('repo');
  const storage = new LocalStorage(root);
  const put = storage.openPut('data');
  await put.write(Buffer.from('half a pack'), 0);
  await put.abort();
  expect(await listed(storage)).toEqual([]);
  expect(fs.readdirSync(path.join(root, 'data'))).toEqual([]);
});

test('the retrying wrapper passes streamed puts through', async () => {
  const storage = withRetry(new LocalStorage(tempDir('repo')));
  const put = storage.openPut!('data');
  await put.write(Buffer.from('pack'), 0);
  await put.commit(NAME);
  expect(Buffer.from(await storage.get({ type: 'data', name: NAME })).toString()).toBe('pack');
});

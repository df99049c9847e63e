// Opening a repository whose key files are damaged: one malformed key file must not
// lock out the keys that still open it, and when none opens, the damaged ones are named.

import fs from 'node:fs';
import path from 'node:path';
import { Repository } from '../../core/repository';
import { LocalStorage } from '../../storage/local';
import { tempDir } from '../helpers/trees';

const PASS = 'first passphrase';
const OTHER = 'second passphrase';

async function repositoryWithTwoKeys(): Promise<{ dir: string; first: string; second: string }> {
  const dir = tempDir('keys');
  const repo = await Repository.init(new LocalStorage(dir), PASS);
  await repo.addKey(OTHER);
  const keys = await repo.listKeys();
  return { dir, first: keys.find((k) => k.current)!.id, second: keys.find((k) => !k.current)!.id };
}

const keyPath = (dir: string, id: string) => path.join(dir, 'keys', id);

describe('damaged key files', () => {
  it.each([
    ['truncated', (file: string) => fs.truncateSync(file, 10)],
    ['emptied', (file: string) => fs.truncateSync(file, 0)],
    ['replaced by garbage', (file: string) => fs.writeFileSync(file, 'garbage')],
  ])('a key file %s does not stop the other key from opening the repository', async (_, damage) => {
    // Both ways round, so the damaged file is listed first in one of them.
    for (const [damaged, passphrase] of [['first', OTHER], ['second', PASS]] as const) {
      const keys = await repositoryWithTwoKeys();
      damage(keyPath(keys.dir, keys[damaged]));
      await expect(Repository.open(new LocalStorage(keys.dir), passphrase)).resolves.toBeInstanceOf(Repository);
    }
  });

  it('when no key opens, the malformed key file is named, and the code says why', async () => {
    const { dir, first, second } = await repositoryWithTwoKeys();
    fs.writeFileSync(keyPath(dir, first), 'garbage');
    await expect(Repository.open(new LocalStorage(dir), 'nobody knows this')).rejects.toMatchObject({
      code: 'wrong-passphrase',
      message: expect.stringContaining(`malformed key file ${first}`),
    });
    fs.writeFileSync(keyPath(dir, second), '{}');
    await expect(Repository.open(new LocalStorage(dir), OTHER)).rejects.toMatchObject({
      code: 'integrity',
      message: expect.stringMatching(new RegExp(`malformed key file (${first}|${second}); malformed key file`)),
    });
  });

  it('a malformed key file is listed as such and can be removed with the key that still opens', async () => {
    const { dir, first, second } = await repositoryWithTwoKeys();
    fs.writeFileSync(keyPath(dir, first), 'garbage');
    const repo = await Repository.open(new LocalStorage(dir), OTHER);
    expect(await repo.listKeys()).toEqual([
      expect.objectContaining({ id: first, malformed: true, current: false }),
      expect.objectContaining({ id: second, current: true }),
    ]);
    expect(await repo.removeKey(first.slice(0, 8))).toBe(first);
    expect((await repo.listKeys()).map((k) => k.id)).toEqual([second]);
  });
});

// The encryption-downgrade attack through a real worker on real Temporal: whoever can write an
// encrypted repository's storage replaces its sealed config with a plain one; a worker that
// holds the passphrase must then refuse to back up into it instead of storing plaintext.

import fs from 'node:fs';
import path from 'node:path';
import { describeFailure, startOperation } from '../../api/operations';
import { Repository } from '../../core/repository';
import { LocalStorage } from '../../storage/local';
import { useTemporalWorker } from '../helpers/meridianWorker';
import { tempDir } from '../helpers/trees';

jest.setTimeout(120_000);

const PASS = 'downgrade test passphrase';
/** Text that appears in a pack only if file content was stored in plain text. */
const CANARY = 'MERIDIAN-PLAINTEXT-CANARY-7f3a';

const setup = useTemporalWorker(PASS);

/** An encrypted repository whose config an attacker replaced by a plain one with compression off. */
async function downgradedRepository(): Promise<string> {
  const dir = tempDir('downgrade-repo');
  const storage = new LocalStorage(dir);
  const repo = await Repository.init(storage, PASS);
  const config = { ...repo.config, encrypted: false, compression: 'none' };
  await storage.put({ type: 'config', name: 'config' }, Buffer.from(JSON.stringify({ meridian: 2, encrypted: false, config })));
  return dir;
}

/** Every file under `dir` whose bytes contain the canary. */
function filesWithCanary(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => fs.readFileSync(file).includes(CANARY));
}

async function backUp(repo: string): Promise<unknown> {
  const source = tempDir('downgrade-src');
  fs.writeFileSync(path.join(source, 'secret.txt'), `${CANARY}\n`.repeat(1000));
  const run = await startOperation(setup.t.client, 'backup', { repo, path: source, type: 'full' }, setup.worker.taskQueue);
  return run.result().then(
    () => undefined,
    (err: unknown) => describeFailure(err),
  );
}

describe('a worker holding a passphrase, given a repository whose config was made plain', () => {
  it('refuses to back up while key files are still there, and no plaintext reaches the packs', async () => {
    const repo = await downgradedRepository();
    const failure = await backUp(repo);
    expect(filesWithCanary(repo)).toEqual([]);
    expect(failure).toEqual({ type: 'integrity', message: expect.stringContaining('has key files but an unencrypted config') });
  });

  it('refuses to back up once the key files are removed too', async () => {
    const repo = await downgradedRepository();
    fs.rmSync(path.join(repo, 'keys'), { recursive: true });
    const failure = await backUp(repo);
    expect(filesWithCanary(repo)).toEqual([]);
    expect(failure).toEqual({ type: 'wrong-passphrase', message: expect.stringContaining('is not encrypted, but a passphrase is set for it') });
  });
});

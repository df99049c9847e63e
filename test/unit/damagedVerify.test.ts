// Verify on damaged repositories: a transient storage error while reading trees propagates (to be
// retried) instead of being reported as damage; quick verify counts the packs it checked and
// finds truncated packs; one damaged index or snapshot file is reported without hiding the rest.

import fs from 'node:fs';
import path from 'node:path';
import { verify } from '../../core/checker';
import { Repository } from '../../core/repository';
import { LocalStorage } from '../../storage/local';
import { ByteRange, FileType, Handle, Storage, StorageError } from '../../storage/storage';
import { buildSmallRepository, copyRepository, repositoryFiles, SMALL_REPO_PASSPHRASE, SmallRepository } from '../helpers/smallRepository';

let built: SmallRepository;
beforeAll(async () => {
  built = await buildSmallRepository();
});

/**
 * Packs largest first: the largest hold file data. Damaging a tree pack instead would hide the
 * blobs its trees reference from the walk, so the packs holding them would not be checked at all.
 */
const dataPacksLargestFirst = (dir: string) => repositoryFiles(dir, 'data').sort((a, b) => fs.statSync(b).size - fs.statSync(a).size);

const open = (dir: string) => Repository.open(new LocalStorage(dir), SMALL_REPO_PASSPHRASE);

/** Local storage whose ranged pack reads fail as an outage would, while `failing` is set. */
class OutageOnPackReads implements Storage {
  failing = false;
  readonly location: string;
  constructor(private readonly inner: Storage) {
    this.location = inner.location;
  }
  get(h: Handle, range?: ByteRange): Promise<Uint8Array> {
    if (this.failing && h.type === 'data') return Promise.reject(new StorageError('transient', '[storage:test] connection reset'));
    return this.inner.get(h, range);
  }
  put = (h: Handle, data: Uint8Array) => this.inner.put(h, data);
  stat = (h: Handle) => this.inner.stat(h);
  list = (type: FileType) => this.inner.list(type);
  delete = (h: Handle) => this.inner.delete(h);
  close = () => this.inner.close();
}

describe('verify on a damaged repository', () => {
  it('a transient storage error while reading trees propagates instead of being reported as a damaged tree', async () => {
    const storage = new OutageOnPackReads(new LocalStorage(built.dir));
    const repo = await Repository.open(storage, SMALL_REPO_PASSPHRASE);
    storage.failing = true;
    await expect(verify(repo, { level: 'quick' })).rejects.toMatchObject({ kind: 'transient' });
  });

  it('quick verify counts the packs whose presence it checked', async () => {
    const report = await verify(await open(built.dir), { level: 'quick' });
    expect(report.ok).toBe(true);
    expect(report.checked.packs).toBe(repositoryFiles(built.dir, 'data').length);
    expect(report.checked.packs).toBeGreaterThan(2);
  });

  it('quick verify finds a truncated and a zero-byte pack', async () => {
    const dir = copyRepository(built);
    const [first, second] = dataPacksLargestFirst(dir);
    // 16 bytes cut into the pack's first blob (blobs come first, a sealed one is at least 28 bytes);
    // half the pack was not enough: in a tree pack of a few small blobs the header is the bigger
    // half, and quick verify only compares the size with where the index places the blobs.
    fs.truncateSync(first!, 16);
    fs.truncateSync(second!, 0);
    const report = await verify(await open(dir), { level: 'quick' });
    const truncated = report.problems.filter((p) => p.kind === 'truncated-pack').map((p) => p.pack);
    expect(truncated.sort()).toEqual([path.basename(first!), path.basename(second!)].sort());
  });

  it('standard verify reports a zero-byte pack instead of failing with a storage error', async () => {
    const dir = copyRepository(built);
    const [first] = dataPacksLargestFirst(dir);
    fs.truncateSync(first!, 0);
    const report = await verify(await open(dir), { level: 'standard' });
    expect(report.problems).toContainEqual(expect.objectContaining({ kind: 'pack-header', pack: path.basename(first!) }));
  });

  it('one truncated index file is reported, and the blobs of the other index files are not reported missing', async () => {
    const dir = copyRepository(built);
    const indexFiles = repositoryFiles(dir, 'index');
    expect(indexFiles.length).toBeGreaterThan(1);
    fs.truncateSync(indexFiles[0]!, 20);
    const report = await verify(await open(dir), { level: 'quick' });
    expect(report.problems.filter((p) => p.kind === 'damaged-index')).toHaveLength(1);
    // The packs the other index files place blobs in are still checked.
    expect(report.checked.packs).toBeGreaterThan(0);
  });

  it('one damaged snapshot file is reported, and the other snapshots are still checked', async () => {
    const dir = copyRepository(built);
    const [victim] = repositoryFiles(dir, 'snapshots');
    fs.writeFileSync(victim!, Buffer.alloc(100));
    const report = await verify(await open(dir), { level: 'quick' });
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'damaged-snapshot', snapshot: path.basename(victim!) })]);
    expect(report.checked.snapshots).toBe(built.sources.size - 1);
  });
});

// Prune on a real repository on disk: what it deletes and repacks for a given --max-unused, that
// a dry run writes nothing, that temporary files of killed writers go (but not one a writer
// started after the mark), and that the repository stays whole: deep verify clean and every kept
// snapshot restoring byte-identical.

import fs from 'node:fs';
import path from 'node:path';
import { MasterIndex } from '../../core/masterIndex';
import { acquireLock } from '../../core/locks';
import { prune } from '../../core/prune';
import { readPrunePlans } from '../../core/prunePlan';
import { Repository } from '../../core/repository';
import { listSnapshots } from '../../core/snapshots';
import { FaultyStorage } from '../../storage/faulty';
import { LocalStorage } from '../../storage/local';
import { Storage } from '../../storage/storage';
import { buildHistory, expectIntact, forgetSnapshots, HISTORY_PASSPHRASE, prunedAgainstFresh, storedObjects } from '../helpers/pruneHistory';
import { remainingWork } from '../helpers/pruneWork';
import { tempDir } from '../helpers/trees';

let built: { dir: string; ids: string[]; sources: Map<string, string> };
beforeAll(async () => {
  const dir = tempDir('prune-history');
  const { sources } = await buildHistory(new LocalStorage(dir), 4);
  built = { dir, ids: [...sources.keys()], sources };
});

/** A copy of the built repository with its first two snapshots forgotten; the sources of the kept ones. */
async function forgottenCopy(): Promise<{ dir: string; repo: Repository; kept: Map<string, string> }> {
  const dir = tempDir('prune-copy');
  fs.cpSync(built.dir, dir, { recursive: true });
  const repo = await Repository.open(new LocalStorage(dir), HISTORY_PASSPHRASE);
  await forgetSnapshots(repo, built.ids.slice(0, 2));
  return { dir, repo, kept: new Map(built.ids.slice(2).map((id) => [id, built.sources.get(id)!])) };
}

/** Every file under a folder with its size and modification time, temporary files included. */
function filesOnDisk(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const abs = path.join(entry.parentPath, entry.name);
    const st = fs.statSync(abs);
    out.set(path.relative(dir, abs), `${st.size}@${st.mtimeMs}`);
  }
  return out;
}

const storageOf = (repo: Repository): Storage => repo.storage;

describe('prune', () => {
  it('deletes the packs only forgotten snapshots used, and repacks partly used ones above --max-unused', async () => {
    const { repo, kept } = await forgottenCopy();
    const before = await remainingWork(repo, 0);
    expect(before.deletePacks.length).toBeGreaterThan(0);
    const partlyUsed = before.repackPacks.length;
    expect(partlyUsed).toBeGreaterThan(0);

    // --max-unused 100: nothing is repacked for its unused share (only small packs are merged).
    const lenient = await prune(repo, { maxUnusedPercent: 100 });
    expect(lenient.packs.deleted).toBe(before.deletePacks.length);
    expect(lenient.bytes.freed).toBeGreaterThan(0);
    await expectIntact(repo, kept);
    const afterLenient = await remainingWork(repo, 0);
    expect(afterLenient.deletePacks).toEqual([]);
    expect(afterLenient.repackPacks.length).toBeGreaterThan(0);

    // --max-unused 0: every pack with an unused blob is repacked; afterwards none is left.
    const strict = await prune(repo, { maxUnusedPercent: 0 });
    expect(strict.packs.repacked).toBeGreaterThan(0);
    expect(strict.packs.written).toBeGreaterThan(0);
    await expectIntact(repo, kept);
    const afterStrict = await remainingWork(repo, 0);
    expect(afterStrict.deletePacks).toEqual([]);
    expect(afterStrict.repackPacks).toEqual([]);

    // One done plan is kept, no lock is left.
    const plans = (await readPrunePlans(repo)).plans;
    expect(plans.map((p) => p.state)).toEqual(['done']);
    expect(plans[0]!.id).toBe(strict.planId);
    expect([...(await storedObjects(storageOf(repo))).keys()].filter((k) => k.startsWith('locks/'))).toEqual([`locks/${strict.planId}`]);
  });

  it('rewrites the index into one file', async () => {
    const { dir, repo } = await forgottenCopy();
    expect(fs.readdirSync(path.join(dir, 'index')).length).toBeGreaterThan(1);
    const result = await prune(repo, { maxUnusedPercent: 0 });
    expect(result.indexFiles.after).toBe(1);
    expect(fs.readdirSync(path.join(dir, 'index'))).toHaveLength(1);
  });

  it('a dry run reports what a prune would do and writes nothing, not even a lock', async () => {
    const { dir, repo } = await forgottenCopy();
    fs.writeFileSync(path.join(dir, 'data', 'stream.tmp-0123456789ab'), 'left by a killed backup');
    const before = filesOnDisk(dir);
    const dry = await prune(repo, { maxUnusedPercent: 0, dryRun: true });
    expect(filesOnDisk(dir)).toEqual(before);
    expect(dry).toMatchObject({ dryRun: true, planId: null, leftoversRemoved: 0 });
    const real = await prune(repo, { maxUnusedPercent: 0 });
    expect(real.packs).toMatchObject({ deleted: dry.packs.deleted, repacked: dry.packs.repacked, kept: dry.packs.kept });
    expect(real.bytes).toMatchObject({ deleted: dry.bytes.deleted, repacked: dry.bytes.repacked, kept: dry.bytes.kept });
  });

  it('removes temporary files of killed writers', async () => {
    const { dir, repo, kept } = await forgottenCopy();
    // What the local backend leaves of a backup killed mid-pack (a streamed put never committed) and mid-put.
    fs.writeFileSync(path.join(dir, 'data', 'stream.tmp-0a0b0c0d0e0f'), 'half a pack');
    fs.mkdirSync(path.join(dir, 'data', 'ab'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'data', 'ab', `ab${'0'.repeat(62)}.tmp-0a0b0c0d0e0f`), 'killed put');
    fs.writeFileSync(path.join(dir, 'index', `${'1'.repeat(64)}.tmp-0a0b0c0d0e0f`), 'killed put');
    const temporary = () => [...filesOnDisk(dir).keys()].filter((f) => f.includes('.tmp-'));
    expect(temporary()).toHaveLength(3);
    const result = await prune(repo, { maxUnusedPercent: 5 });
    expect(result.leftoversRemoved).toBe(3);
    expect(temporary()).toEqual([]);
    await expectIntact(repo, kept);
  });

  it('refuses a --max-unused outside 0..100', async () => {
    const { repo } = await forgottenCopy();
    await expect(prune(repo, { maxUnusedPercent: 101 })).rejects.toThrow('--max-unused must be a percentage from 0 to 100');
  });
});

it('after forgetting all snapshots but one and pruning with --max-unused 0, the repository is within 2% of a fresh one holding that snapshot', async () => {
  const { pruned, fresh, history } = await prunedAgainstFresh(new LocalStorage(tempDir('prune-space')), new LocalStorage(tempDir('prune-fresh')), 4);
  expect(history).toBeGreaterThan(1.5 * fresh); // there was space to reclaim
  expect(Math.abs(pruned - fresh) / fresh).toBeLessThanOrEqual(0.02);
});

it('refuses, deleting nothing, when a snapshot tree cannot be read', async () => {
  const { dir, repo } = await forgottenCopy();
  const [kept] = await listSnapshots(repo);
  const { pack } = (await MasterIndex.load(repo)).get(kept!.tree)!; // a kept snapshot's root tree
  fs.rmSync(path.join(dir, 'data', pack.slice(0, 2), pack));
  const before = filesOnDisk(dir);
  await expect(prune(repo, { maxUnusedPercent: 0 })).rejects.toThrow(/cannot be read, so what it uses is unknown; nothing was deleted/);
  const after = filesOnDisk(dir);
  expect([...before.keys()].filter((f) => !after.has(f))).toEqual([]);
});

it('deletes a pack no index names only when every writer of the mark released its lock, not when one only went stale', async () => {
  const { dir, repo, kept } = await forgottenCopy();
  // A pack nobody indexed (a writer killed between storing it and its index file, or asleep there).
  const somePack = [...(await storedObjects(repo.storage)).keys()].find((k) => k.startsWith('data/'));
  const orphan = 'f'.repeat(64);
  fs.mkdirSync(path.join(dir, 'data', 'ff'), { recursive: true });
  fs.copyFileSync(path.join(dir, 'data', somePack!.slice(5, 7), somePack!.slice(5)), path.join(dir, 'data', 'ff', orphan));
  // A writer killed (or paused) with its lock held: after its first write, every change it tries fails.
  const dying = await Repository.open(new FaultyStorage(new LocalStorage(dir), { dieAtChange: 2 }), HISTORY_PASSPHRASE);
  const dead = await acquireLock(dying, { operation: 'backup', timings: { refreshMs: 50, staleMs: 100 } });
  // The prune's own lock refreshes slowly enough not to be lost on a loaded machine; it calls the dead lock stale after 1 s.
  const timings = { refreshMs: 500, staleMs: 1000 };
  await dead.release().catch(() => undefined); // stops its timer; the lock file stays, never refreshed again

  const first = await prune(repo, { maxUnusedPercent: 0, lockTimings: timings });
  expect(first.locksWaitedFor).toBe(1);
  expect(fs.existsSync(path.join(dir, 'data', 'ff', orphan))).toBe(true);
  await expectIntact(repo, kept);

  await repo.storage.delete({ type: 'locks', name: dead.id }); // what `meridian unlock` does to a stale lock
  await prune(repo, { maxUnusedPercent: 0, lockTimings: timings });
  expect(fs.existsSync(path.join(dir, 'data', 'ff', orphan))).toBe(false);
  await expectIntact(repo, kept);
});

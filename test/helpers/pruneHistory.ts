// Prune tests' repositories: a history of snapshots of a changing tree (shared files that dedupe
// across rounds, files added and dropped each round) with small chunks and 1 MiB packs, so that
// forgetting some snapshots leaves packs entirely unused and packs partly used; and the checks a
// pruned repository must pass: deep verify clean, every kept snapshot restoring byte-identical.

import fs from 'node:fs';
import path from 'node:path';
import { backup } from '../../core/archiver';
import { verify } from '../../core/checker';
import { Repository } from '../../core/repository';
import { restore } from '../../core/restorer';
import { prune } from '../../core/prune';
import { listSnapshots } from '../../core/snapshots';
import { FILE_TYPES, Storage } from '../../storage/storage';
import { expectSameTree, pseudoRandomBytes, tempDir, writeTree } from './trees';

export const HISTORY_PASSPHRASE = 'prune tests';

export const HISTORY_INIT = { chunker: { min: 16 * 1024, avg: 64 * 1024, max: 256 * 1024 }, packSizeMiB: 1 };

/** Writes round `round` of the changing tree into a new folder. */
export function historySource(round: number): string {
  const source = tempDir(`prune-src${round}`);
  writeTree(source, { smallFiles: 30, largeFiles: [700_000] });
  // Each round keeps the file of the round before it and adds one of its own.
  for (let r = Math.max(0, round - 1); r <= round; r++) {
    fs.writeFileSync(path.join(source, `round-${r}.bin`), pseudoRandomBytes(900_000 + r * 30_000, 500 + r));
    fs.mkdirSync(path.join(source, 'rounds', `r${r}`), { recursive: true });
    fs.writeFileSync(path.join(source, 'rounds', `r${r}`, 'note.json'), JSON.stringify({ round: r }));
  }
  return source;
}

/** Backs up `rounds` rounds into a new repository on `storage`; snapshot id → source folder. */
export async function buildHistory(storage: Storage, rounds: number): Promise<{ repo: Repository; sources: Map<string, string> }> {
  const repo = await Repository.init(storage, HISTORY_PASSPHRASE, HISTORY_INIT);
  const sources = new Map<string, string>();
  for (let round = 0; round < rounds; round++) {
    const source = historySource(round);
    const result = await backup(repo, { source, type: round === 0 ? 'full' : 'incremental', threads: 0 });
    sources.set(result.snapshotId, source);
  }
  return { repo, sources };
}

/** Forgets snapshots the plain way: their files deleted (what `forget` does after its policy). */
export async function forgetSnapshots(repo: Repository, ids: Iterable<string>): Promise<void> {
  for (const id of ids) await repo.storage.delete({ type: 'snapshots', name: id });
}

/** Deep verify finds nothing, and each snapshot of `sources` restores exactly its folder. */
export async function expectIntact(repo: Repository, sources: ReadonlyMap<string, string>): Promise<void> {
  const report = await verify(repo, { level: 'deep' });
  expect(report.problems).toEqual([]);
  expect((await listSnapshots(repo)).map((s) => s.id).sort()).toEqual([...sources.keys()].sort());
  for (const [id, source] of sources) {
    const target = tempDir('prune-restore');
    expect(await restore(repo, id, { target, threads: 0 })).toMatchObject({ filesDamaged: 0 });
    expectSameTree(source, target);
  }
}

/** Every object of the repository and its size (temporary files are not objects). */
export async function storedObjects(storage: Storage): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const type of FILE_TYPES) for await (const entry of storage.list(type)) out.set(`${type}/${entry.name}`, entry.size);
  return out;
}

export async function storedBytes(storage: Storage): Promise<number> {
  return [...(await storedObjects(storage)).values()].reduce((a, b) => a + b, 0);
}

/**
 * Item 4's space check: a history of `rounds` snapshots with all but the last forgotten, pruned
 * with --max-unused 0, against a fresh repository holding only a backup of that last source.
 * Returns both totals of stored bytes (every object: config, keys, packs, index, snapshots, plans).
 */
export async function prunedAgainstFresh(historyStorage: Storage, freshStorage: Storage, rounds: number): Promise<{ pruned: number; fresh: number; history: number }> {
  const { repo, sources } = await buildHistory(historyStorage, rounds);
  const ids = [...sources.keys()];
  const lastId = ids.at(-1)!;
  await forgetSnapshots(repo, ids.slice(0, -1));
  const history = await storedBytes(historyStorage);
  await prune(repo, { maxUnusedPercent: 0 });
  await expectIntact(repo, new Map([[lastId, sources.get(lastId)!]]));
  const fresh = await Repository.init(freshStorage, HISTORY_PASSPHRASE, HISTORY_INIT);
  await backup(fresh, { source: sources.get(lastId)!, type: 'full', threads: 0 });
  return { pruned: await storedBytes(historyStorage), fresh: await storedBytes(freshStorage), history };
}

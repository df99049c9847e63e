// What a safety trial watches in a repository while a prune runs elsewhere (the states of the
// prune plans in locks/, how many packs are left) and what it checks after: every snapshot there
// is one the trial expects, each restores byte-identical to the tree it was taken from, deep
// verify is clean, no index entry points at a missing pack and no prune is left unfinished.

import fs from 'node:fs';
import { verify } from '../../core/checker';
import { IndexFileSchema } from '../../core/masterIndex';
import { readPrunePlans } from '../../core/prunePlan';
import { Repository } from '../../core/repository';
import { restore } from '../../core/restorer';
import { listSnapshots, Snapshot } from '../../core/snapshots';
import { isNotFound } from '../../storage/storage';
import { TreeFacts } from './evolvingSources';
import { expectSameTree, tempDir } from './trees';

/** The `state` of every prune plan in locks/ now (files that vanish or do not parse are skipped). */
export async function prunePlanStates(repo: Repository): Promise<string[]> {
  const states: string[] = [];
  for await (const { name } of repo.storage.list('locks')) {
    try {
      const doc = JSON.parse(Buffer.from(repo.openFile(await repo.storage.get({ type: 'locks', name }), 'lock file')).toString()) as { kind?: string; state?: string };
      if (doc.kind === 'prune-plan' && typeof doc.state === 'string') states.push(doc.state);
    } catch (err) {
      if (!isNotFound(err) && !(err instanceof SyntaxError)) throw err;
    }
  }
  return states;
}

export async function packCount(repo: Repository): Promise<number> {
  let n = 0;
  for await (const _ of repo.storage.list('data')) n += 1;
  return n;
}

/** The snapshots (id, tags, parent, time) and prune plans of a repository, for a failing trial's message. */
export async function describeRepositoryState(repo: Repository): Promise<string> {
  const lines = (await listSnapshots(repo)).map((s) => `snapshot ${s.id.slice(0, 12)} tags [${s.tags}] parent ${s.parent?.slice(0, 12) ?? '-'} at ${s.time}`);
  for (const plan of (await readPrunePlans(repo)).plans) {
    lines.push(`plan ${plan.id.slice(0, 12)} ${plan.state}: saw [${plan.snapshotsSeen.map((id) => id.slice(0, 12))}], ${plan.deletePacks.length} to delete, ${plan.repackPacks.length} to repack, ${plan.rescuedPacks.length} rescued, ${plan.unindexedPacks.length} unindexed`);
  }
  return lines.join('\n');
}

/**
 * Polls `condition` every `intervalMs` until it holds (true) or `settled` resolves first (false):
 * a trial waits for a point in the prune's run, unless the prune ends before reaching it.
 */
export async function waitForPoint(condition: () => Promise<boolean>, settled: Promise<unknown>, intervalMs: number): Promise<boolean> {
  let done = false;
  void settled.then(() => (done = true));
  for (;;) {
    if (await condition()) return true;
    if (done) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** What a trial expects to find: snapshots by id, and the tree behind each tag of a backup run during the trial. */
export interface ExpectedSnapshots {
  byId: Map<string, TreeFacts>;
  /**
   * A backup run during the trial may leave a snapshot beside the one its last attempt returned
   * (an attempt that committed, then failed because its lock had gone unrefreshed): such a
   * snapshot must restore the tree of its tag like any other.
   */
  byTag: Map<string, TreeFacts>;
}

/**
 * Asserts the repository holds every expected snapshot and no unknown one, each restoring
 * byte-identical to its tree, that deep verify finds nothing, that every pack an index file lists
 * exists, and that no prune plan is left marked or sweeping. Returns how many snapshots of retried
 * attempts were found (and checked).
 */
export async function expectRepositoryIntact(repo: Repository, expected: ExpectedSnapshots): Promise<number> {
  const snapshots = await listSnapshots(repo);
  const factsOf = (snapshot: Snapshot) => expected.byId.get(snapshot.id) ?? snapshot.tags.map((tag) => expected.byTag.get(tag)).find(Boolean);
  expect(snapshots.filter((s) => !factsOf(s)).map((s) => s.id)).toEqual([]);
  const present = new Set(snapshots.map((s) => s.id));
  expect([...expected.byId.keys()].filter((id) => !present.has(id))).toEqual([]);
  for (const snapshot of snapshots) {
    const target = tempDir('safety-restore');
    await restore(repo, snapshot.id, { target });
    expectSameTree(factsOf(snapshot)!, target);
    fs.rmSync(target, { recursive: true, force: true });
  }

  const report = await verify(repo, { level: 'deep' });
  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);

  const packs = new Set<string>();
  for await (const { name } of repo.storage.list('data')) packs.add(name);
  const dangling: string[] = [];
  for await (const { name } of repo.storage.list('index')) {
    const file = await repo.loadJsonFile('index', name, IndexFileSchema);
    for (const pack of file.packs) if (!packs.has(pack.id)) dangling.push(`index ${name.slice(0, 8)} → pack ${pack.id.slice(0, 8)}`);
  }
  expect(dangling).toEqual([]);
  expect((await prunePlanStates(repo)).filter((state) => state !== 'done')).toEqual([]);
  return snapshots.filter((s) => !expected.byId.has(s.id)).length;
}

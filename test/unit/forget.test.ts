// core/forget.ts on a real (in-memory) repository: a policy removes exactly the snapshot files it
// does not keep, a dry run removes nothing, ids and prefixes remove exactly those, and a forget
// of thousands of snapshots lists at most 1,000 of them (removals first) and counts the rest; a
// filter keeps a policy (and ids) to one host and source.

import { forget, MAX_LISTED_SNAPSHOTS } from '../../core/forget';
import { Repository } from '../../core/repository';
import { listSnapshots } from '../../core/snapshots';
import { MemoryStorage } from '../../storage/memory';
import { hourlyTimes, writeSnapshots } from '../helpers/snapshotHistories';

async function repository(): Promise<Repository> {
  return Repository.init(new MemoryStorage(), undefined, { encryption: false });
}

const ids = async (repo: Repository) => (await listSnapshots(repo)).map((s) => s.id).sort();

it('keeps what the policy keeps, per group, and deletes the other snapshot files', async () => {
  const repo = await repository();
  const times = hourlyTimes(5, '2026-11-30T12:00:00Z', 24);
  const a = await writeSnapshots(repo, times.map((time) => ({ time, host: 'a' })));
  const b = await writeSnapshots(repo, times.map((time) => ({ time, host: 'b' })));
  const progress: unknown[] = [];
  const result = await forget(repo, { policy: { keepLast: 2 }, timezone: 'UTC', onProgress: (p) => progress.push({ ...p }) });
  expect(result).toMatchObject({ dryRun: false, kept: 4, removed: 6, truncated: 0 });
  // As the CLI's progress line reads any phase: done of total.
  expect(progress[0]).toEqual({ phase: 'listing', done: 0, total: 0 });
  expect(progress.at(-1)).toEqual({ phase: 'deleting', done: 6, total: 6 });
  expect(result.groups.map((g) => [g.key, g.keep.map((s) => s.id), g.remove.map((s) => s.id)])).toEqual([
    [{ host: 'a', source: '/data' }, [a[4], a[3]], [a[2], a[1], a[0]]],
    [{ host: 'b', source: '/data' }, [b[4], b[3]], [b[2], b[1], b[0]]],
  ]);
  expect(result.groups[0]!.keep[0]!.reasons).toEqual(['last snapshot']);
  expect(await ids(repo)).toEqual([a[3], a[4], b[3], b[4]].sort());
});

it('a dry run decides the same and deletes nothing', async () => {
  const repo = await repository();
  const all = await writeSnapshots(repo, hourlyTimes(6, '2026-11-30T12:00:00Z').map((time) => ({ time })));
  const result = await forget(repo, { policy: { keepLast: 1 }, dryRun: true });
  expect(result).toMatchObject({ dryRun: true, kept: 1, removed: 5 });
  expect(await ids(repo)).toEqual([...all].sort());
});

it('removes exactly the snapshots named by id or unique prefix, whatever a policy would say', async () => {
  const repo = await repository();
  const all = await writeSnapshots(repo, hourlyTimes(4, '2026-11-30T12:00:00Z').map((time) => ({ time })));
  const result = await forget(repo, { snapshotIds: [all[3]!, all[0]!.slice(0, 12), all[0]!] });
  expect(result.groups).toEqual([{ key: {}, keep: [], remove: [all[3], all[0]].map((id) => ({ id, time: expect.any(String), reasons: ['named'] })), kept: 0, removed: 2 }]);
  expect(await ids(repo)).toEqual([all[1], all[2]].sort());
});

it('a retry of a forget by id passes over the snapshots the attempt before deleted', async () => {
  const repo = await repository();
  const all = await writeSnapshots(repo, hourlyTimes(3, '2026-11-30T12:00:00Z').map((time) => ({ time })));
  await repo.storage.delete({ type: 'snapshots', name: all[0]! }); // deleted by the first attempt, which then failed
  const refs = [all[0]!.slice(0, 8), all[1]!];
  await expect(forget(repo, { snapshotIds: refs })).rejects.toThrow(`no snapshot matches "${all[0]!.slice(0, 8)}"`);
  const retried = await forget(repo, { snapshotIds: refs, namedMayBeGone: true });
  expect(retried.groups[0]!.remove.map((s) => s.id)).toEqual([all[1]]);
  expect(await ids(repo)).toEqual([all[2]]);
});

it('refuses a policy and ids together, an unknown id, and a policy that would empty a group', async () => {
  const repo = await repository();
  const [only] = await writeSnapshots(repo, [{ time: '2026-11-30T12:00:00Z' }]);
  await expect(forget(repo, { policy: { keepLast: 1 }, snapshotIds: [only!] })).rejects.toThrow(/either a retention policy or snapshot ids/);
  await expect(forget(repo, { snapshotIds: ['abcdef01'] })).rejects.toThrow(/no snapshot matches "abcdef01"/);
  await expect(forget(repo, { policy: { maxAgeDays: 1, minKeep: 0 }, now: new Date('2027-01-01T00:00:00Z') })).rejects.toThrow(/allowEmpty/);
  expect(await ids(repo)).toEqual([only]);
  const emptied = await forget(repo, { policy: { maxAgeDays: 1, minKeep: 0 }, allowEmpty: true, now: new Date('2027-01-01T00:00:00Z') });
  expect(emptied).toMatchObject({ kept: 0, removed: 1 });
  expect(await ids(repo)).toEqual([]);
});

it('lists at most 1,000 snapshots, removals first, and counts the rest', async () => {
  const repo = await repository();
  const total = 2500;
  await writeSnapshots(repo, hourlyTimes(total, '2026-11-30T12:00:00Z').map((time, i) => ({ time, host: i % 2 ? 'odd' : 'even' })));
  const result = await forget(repo, { policy: { keepLast: 600 }, timezone: 'UTC' });
  expect(result).toMatchObject({ kept: 1200, removed: 1300, truncated: total - MAX_LISTED_SNAPSHOTS });
  const listed = result.groups.flatMap((g) => [...g.keep, ...g.remove]);
  expect(listed).toHaveLength(MAX_LISTED_SNAPSHOTS);
  expect(result.groups.flatMap((g) => g.keep)).toHaveLength(0); // 1,300 removals fill the list
  expect(result.groups.map((g) => [g.kept, g.removed])).toEqual([[600, 650], [600, 650]]);
  expect(await listSnapshots(repo)).toHaveLength(1200);
});

describe('a filter (a scheduled run forgets its own source only)', () => {
  const newest = '2026-11-30T12:00:00Z';
  async function threeSources() {
    const repo = await repository();
    const times = hourlyTimes(5, newest);
    const tiles = await writeSnapshots(repo, times.map((time) => ({ time, host: 'gis-1', source: '/data/tiles' })));
    const rasters = await writeSnapshots(repo, times.map((time) => ({ time, host: 'gis-1', source: '/data/rasters' })));
    const otherHost = await writeSnapshots(repo, times.map((time) => ({ time, host: 'gis-2', source: '/data/tiles' })));
    return { repo, tiles, rasters, otherHost };
  }
  const filter = { host: 'gis-1', paths: ['/data/tiles/'] };

  it("applies the policy to the filter's snapshots only, never to another source's, whatever the grouping", async () => {
    for (const groupBy of ['host,source', 'host', 'source', 'none'] as const) {
      const { repo, tiles, rasters, otherHost } = await threeSources();
      const result = await forget(repo, { policy: { keepLast: 2 }, groupBy, filter, timezone: 'UTC' });
      expect(result).toMatchObject({ kept: 2, removed: 3 });
      expect(await ids(repo)).toEqual([tiles[3], tiles[4], ...rasters, ...otherHost].sort());
    }
  });

  it('without it, the same policy grouped by host removes the other source too (what the filter prevents)', async () => {
    const { repo, rasters } = await threeSources();
    await forget(repo, { policy: { keepLast: 2 }, groupBy: 'host', timezone: 'UTC' });
    const left = await ids(repo);
    expect(left).toHaveLength(4);
    expect(rasters.filter((id) => left.includes(id)).length).toBeLessThan(rasters.length);
  });

  it('refuses a snapshot named by id outside the filter, removing nothing; removes one inside it', async () => {
    const { repo, tiles, rasters } = await threeSources();
    await expect(forget(repo, { snapshotIds: [tiles[0]!, rasters[0]!], filter })).rejects.toThrow(/outside the forget's filter: nothing removed/);
    expect(await ids(repo)).toHaveLength(15);
    await forget(repo, { snapshotIds: [tiles[0]!.slice(0, 10)], filter });
    expect(await ids(repo)).not.toContain(tiles[0]);
    expect(await ids(repo)).toHaveLength(14);
    await expect(forget(repo, { policy: { keepLast: 1 }, filter: { paths: [] } })).rejects.toThrow(/empty list of paths/);
  });
});

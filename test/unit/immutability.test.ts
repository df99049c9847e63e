// The decisions of immutable-repository maintenance and rollback (core/immutability.ts) on an
// in-memory bucket of versions that refuses, as S3 Object Lock does, to delete a version still
// locked: which retentions are extended and to when, which old versions and delete markers go,
// what is reported still locked, and what a rollback reinstates or hides. The real server is
// test/integration/immutableRepository.test.ts.

import { maintainImmutable, rollbackImmutable } from '../../core/immutability';
import type { ImmutablePolicy } from '../../core/immutablePolicy';
import type { ObjectVersion, VersionStore } from '../../storage/s3Versions';
import type { FileType, Handle } from '../../storage/storage';

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date('2026-12-01T12:00:00Z');
const POLICY: ImmutablePolicy = { days: 8, mode: 'compliance' }; // renewal interval: 2 days
const at = (daysFromNow: number) => new Date(NOW.getTime() + daysFromNow * DAY);

interface StoredVersion extends ObjectVersion {
  until?: Date;
}

/** A bucket of versions, newest last per file; deleting a locked version throws. */
class MemoryVersions implements VersionStore {
  readonly files = new Map<string, StoredVersion[]>();
  private next = 0;
  constructor(private readonly clock: () => Date) {}

  add(type: FileType, name: string, modified: Date, options: { until?: Date; deleteMarker?: boolean; size?: number } = {}): StoredVersion {
    const key = `${type}/${name}`;
    const versions = this.files.get(key) ?? [];
    for (const v of versions) v.latest = false;
    const version: StoredVersion = { handle: { type, name }, versionId: `v${this.next++}`, modified, latest: true, deleteMarker: options.deleteMarker ?? false, size: options.size ?? 100, until: options.until };
    versions.push(version);
    this.files.set(key, versions);
    return version;
  }

  current(type: FileType, name: string): StoredVersion | undefined {
    return this.files.get(`${type}/${name}`)?.find((v) => v.latest);
  }

  async *versions(): AsyncIterable<ObjectVersion> {
    for (const versions of this.files.values()) yield* versions.map((v) => ({ ...v }));
  }
  async retainedUntil(version: ObjectVersion): Promise<Date | undefined> {
    return this.find(version).until;
  }
  async retain(version: ObjectVersion, _policy: ImmutablePolicy, until: Date): Promise<void> {
    const stored = this.find(version);
    if (stored.until && until < stored.until) throw new Error('a compliance retention cannot be shortened');
    stored.until = until;
  }
  async deleteVersion(version: ObjectVersion): Promise<void> {
    const stored = this.find(version);
    if (stored.until && stored.until > this.clock()) throw new Error(`AccessDenied: ${stored.handle.name} is locked`);
    const key = `${version.handle.type}/${version.handle.name}`;
    const left = this.files.get(key)!.filter((v) => v.versionId !== version.versionId);
    if (left.length === 0) this.files.delete(key);
    else {
      if (stored.latest) left.at(-1)!.latest = true;
      this.files.set(key, left);
    }
  }
  async hide(handle: Handle): Promise<void> {
    this.add(handle.type, handle.name, this.clock(), { deleteMarker: true, size: 0 });
  }
  async reinstate(version: ObjectVersion): Promise<void> {
    this.add(version.handle.type, version.handle.name, this.clock(), { until: at(POLICY.days), size: version.size });
  }
  private find(version: ObjectVersion): StoredVersion {
    const found = this.files.get(`${version.handle.type}/${version.handle.name}`)?.find((v) => v.versionId === version.versionId);
    if (!found) throw new Error(`no version ${version.versionId}`);
    return found;
  }
}

describe('maintenance', () => {
  function bucket() {
    const store = new MemoryVersions(() => NOW);
    store.add('data', 'due', at(-20), { until: at(9) }); // ends before now + 8 days + 2 (interval): extended
    store.add('data', 'ahead', at(-1), { until: at(11) }); // ends after: left
    store.add('snapshots', 'unlocked', at(-30)); // no retention at all (written before Object Lock): extended
    store.add('locks', 'lock', at(0), { until: at(8) }); // a lock: never extended
    // A pruned pack: an old version whose lock ended, behind a marker: both go.
    store.add('data', 'pruned-long-ago', at(-40), { until: at(-2) });
    store.add('data', 'pruned-long-ago', at(-10), { deleteMarker: true });
    // A pack pruned lately: its version is still locked, so it and its marker stay.
    store.add('data', 'pruned-lately', at(-40), { until: at(3), size: 1000 });
    store.add('data', 'pruned-lately', at(-1), { deleteMarker: true });
    // An overwritten index file: the old version expired (goes), the current one stays.
    store.add('index', 'replaced', at(-30), { until: at(-1) });
    store.add('index', 'replaced', at(-5), { until: at(20) });
    return store;
  }

  test('extends what would run short before the next pass, deletes only old versions whose lock ended, and says when the rest can go', async () => {
    const store = bucket();
    const result = await maintainImmutable(store, POLICY, { now: NOW });
    expect(result).toEqual({
      checked: 4,
      extended: 2,
      extendedUntil: at(12).toISOString(),
      purged: { files: 2, bytes: 200 },
      retained: { files: 1, bytes: 1000, deletableFrom: at(3).toISOString(), deletableUntil: at(3).toISOString() },
    });
    expect(store.current('data', 'due')!.until).toEqual(at(12));
    expect(store.current('snapshots', 'unlocked')!.until).toEqual(at(12));
    expect(store.current('data', 'ahead')!.until).toEqual(at(11));
    expect(store.current('locks', 'lock')!.until).toEqual(at(8));
    expect(store.files.has('data/pruned-long-ago')).toBe(false);
    expect(store.files.get('data/pruned-lately')!.map((v) => v.deleteMarker)).toEqual([false, true]);
    expect(store.files.get('index/replaced')!).toHaveLength(1);
  });

  test('a second pass at once has nothing to do; a dry run changes nothing', async () => {
    const store = bucket();
    const dry = await maintainImmutable(store, POLICY, { now: NOW, dryRun: true });
    expect({ extended: dry.extended, purged: dry.purged.files }).toEqual({ extended: 2, purged: 2 });
    expect(store.current('data', 'due')!.until).toEqual(at(9));
    expect(store.files.has('data/pruned-long-ago')).toBe(true);
    await maintainImmutable(store, POLICY, { now: NOW });
    const again = await maintainImmutable(store, POLICY, { now: NOW });
    expect({ extended: again.extended, purged: again.purged.files, retained: again.retained.files }).toEqual({ extended: 0, purged: 0, retained: 1 });
  });

  test('passes every interval keep each file in use locked at least `days` ahead at every moment', async () => {
    let clock = NOW;
    const store = new MemoryVersions(() => clock);
    store.add('data', 'pack', at(0), { until: at(POLICY.days) });
    for (let day = 0; day <= 30; day++) {
      clock = at(day);
      if (day % 2 === 0) await maintainImmutable(store, POLICY, { now: clock }); // the renewal interval
      expect(store.current('data', 'pack')!.until!.getTime()).toBeGreaterThanOrEqual(clock.getTime() + POLICY.days * DAY);
    }
  });
});

describe('rollback', () => {
  const T = at(-3);
  function attacked() {
    const store = new MemoryVersions(() => NOW);
    store.add('data', 'kept', at(-10), { until: at(5) });
    store.add('data', 'overwritten', at(-10), { until: at(5) });
    store.add('data', 'overwritten', at(-1), { until: at(7) });
    store.add('snapshots', 'deleted', at(-9), { until: at(5) });
    store.add('snapshots', 'deleted', at(-1), { deleteMarker: true });
    store.add('index', 'planted', at(-1), { until: at(7) });
    store.add('data', 'pruned-before', at(-20), { until: at(5) });
    store.add('data', 'pruned-before', at(-5), { deleteMarker: true });
    store.add('locks', 'attacker-lock', at(-1));
    return store;
  }

  test('reinstates what was replaced or deleted since the moment, hides what was written since, leaves the rest and the locks', async () => {
    const store = attacked();
    const dry = await rollbackImmutable(store, T, { dryRun: true });
    expect(dry).toEqual({ reinstated: 2, hidden: 1, unchanged: 2 });
    expect(store.current('data', 'overwritten')!.modified).toEqual(at(-1));

    expect(await rollbackImmutable(store, T)).toEqual(dry);
    expect(store.current('data', 'overwritten')).toEqual(expect.objectContaining({ deleteMarker: false, modified: NOW, size: 100 }));
    expect(store.current('snapshots', 'deleted')!.deleteMarker).toBe(false);
    expect(store.current('index', 'planted')!.deleteMarker).toBe(true);
    expect(store.current('data', 'pruned-before')!.deleteMarker).toBe(true);
    expect(store.current('locks', 'attacker-lock')!.deleteMarker).toBe(false);
    expect(store.files.get('data/kept')!).toHaveLength(1);
  });
});

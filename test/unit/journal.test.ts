// The file-set journal engine without a watcher: random edit sequences (create, modify, delete,
// rename, directories, modes, symlinks) each written as a segment from the paths a watcher would
// report, then restores to many times compared with reference descriptions taken as the edits went.

import fs from 'node:fs';
import path from 'node:path';
import { backup, BackupProgress } from '../../core/archiver';
import { verify } from '../../core/checker';
import { forget } from '../../core/forget';
import { prune } from '../../core/prune';
import { listJournalSegments, writeJournalSegment } from '../../core/journal';
import { planRestoreAt, restoreAt, stateAt } from '../../core/journalRestore';
import { Repository } from '../../core/repository';
import { listSnapshots } from '../../core/snapshots';
import { LocalStorage } from '../../storage/local';
import { SeededRandom } from '../helpers/seededRandom';
import { TreeFacts } from '../helpers/evolvingSources';
import { describeTree, expectSameTree, pseudoRandomBytes, tempDir } from '../helpers/trees';
import { EXCLUDES, PATHS_WRITTEN, writeExcludedPaths } from '../helpers/excludedPaths';

const PASS = 'journal tests';
const smallChunks = { chunker: { min: 16 * 1024, avg: 64 * 1024, max: 256 * 1024 }, packSizeMiB: 1 };
const HOST = 'journal-host';
const T0 = Date.parse('2026-01-01T00:00:00Z');
const MINUTE = 60_000;

/** Blocks the thread for `ms` (inside a synchronous backup callback). */
const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Random edits in a tree, reporting the paths a watcher would (both ends of a rename). */
class Editor {
  private serial = 0;
  constructor(
    readonly root: string,
    readonly random: SeededRandom,
  ) {}

  edit(count: number): string[] {
    const touched: string[] = [];
    for (let i = 0; i < count; i++) touched.push(...this.one());
    return touched;
  }

  private entries(type: 'file' | 'dir'): string[] {
    const out: string[] = [];
    const walk = (rel: string) => {
      for (const name of fs.readdirSync(path.join(this.root, rel))) {
        const r = rel ? `${rel}/${name}` : name;
        const st = fs.lstatSync(path.join(this.root, r));
        if (st.isDirectory()) {
          if (type === 'dir') out.push(r);
          walk(r);
        } else if (type === 'file' && st.isFile()) out.push(r);
      }
    };
    walk('');
    return out.sort();
  }

  private one(): string[] {
    const r = this.random;
    const files = this.entries('file');
    const dirs = ['', ...this.entries('dir')];
    const newName = (dir: string, kind: string) => (dir ? `${dir}/${kind}${++this.serial}` : `${kind}${++this.serial}`);
    const abs = (p: string) => path.join(this.root, p);
    const op = files.length === 0 ? 'create' : r.pick(['create', 'create', 'modify', 'modify', 'delete', 'rename', 'mkdir', 'rmdir', 'mvdir', 'chmod', 'symlink']);
    switch (op) {
      case 'create': {
        const p = newName(r.pick(dirs), 'f');
        fs.writeFileSync(abs(p), pseudoRandomBytes(r.int(0, 200_000), r.int(1, 1e9)));
        return [p];
      }
      case 'modify': {
        const p = r.pick(files);
        if (r.chance(0.5)) fs.appendFileSync(abs(p), pseudoRandomBytes(r.int(1, 50_000), r.int(1, 1e9)));
        else fs.writeFileSync(abs(p), pseudoRandomBytes(r.int(0, 100_000), r.int(1, 1e9)));
        return [p];
      }
      case 'delete': {
        const p = r.pick(files);
        fs.rmSync(abs(p));
        return [p];
      }
      case 'rename': {
        const from = r.pick(files);
        const to = newName(r.pick(dirs), 'r');
        fs.renameSync(abs(from), abs(to));
        return [from, to];
      }
      case 'mkdir': {
        const p = newName(r.pick(dirs), 'd');
        fs.mkdirSync(abs(p));
        return [p];
      }
      case 'rmdir': {
        const candidates = dirs.filter((d) => d !== '');
        if (candidates.length === 0) return [];
        const p = r.pick(candidates);
        fs.rmSync(abs(p), { recursive: true });
        return [p];
      }
      case 'mvdir': {
        const candidates = dirs.filter((d) => d !== '');
        if (candidates.length === 0) return [];
        const from = r.pick(candidates);
        const parent = r.pick(dirs.filter((d) => d !== from && !d.startsWith(`${from}/`)));
        const to = newName(parent, 'm');
        fs.renameSync(abs(from), abs(to));
        return [from, to];
      }
      case 'chmod': {
        const p = r.pick(files);
        fs.chmodSync(abs(p), r.pick([0o600, 0o644, 0o640, 0o755]));
        return [p];
      }
      default: {
        const p = newName(r.pick(dirs), 'l');
        fs.symlinkSync(r.pick(files), abs(p));
        return [p];
      }
    }
  }
}

async function newRepo(): Promise<Repository> {
  return Repository.init(new LocalStorage(tempDir('repo')), PASS, smallChunks);
}

describe('journal segments', () => {
  test.each([1, 2, 3])('restores at many times equal the tree at that time (seed %i)', async (seed) => {
    const repo = await newRepo();
    const source = tempDir('journal-src');
    const random = new SeededRandom(seed);
    const editor = new Editor(source, random);
    editor.edit(30);
    const snapshots: number[] = [];
    await backup(repo, { source, type: 'full', threads: 0, host: HOST, time: new Date(T0) });
    snapshots.push(T0);
    // states[k]: the tree as of segment k's end (T0 + (k + 1) minutes).
    const states: TreeFacts[] = [];
    const SEGMENTS = 16;
    for (let k = 0; k < SEGMENTS; k++) {
      const touched = editor.edit(random.int(0, 6));
      const deleted = touched.filter((p) => !fs.existsSync(path.join(source, p)) && random.chance(0.5));
      const changed = touched.filter((p) => !deleted.includes(p));
      await writeJournalSegment(repo, { source, host: HOST, changed, deleted, from: new Date(T0 + k * MINUTE), until: new Date(T0 + (k + 1) * MINUTE), threads: 0 });
      states.push(describeTree(source));
      if (k === 7) {
        // A snapshot between segments: later restores start from it.
        await backup(repo, { source, type: 'incremental', threads: 0, host: HOST, time: new Date(T0 + (k + 1) * MINUTE + 30_000) });
      }
    }
    expect(await listJournalSegments(repo, { source, host: HOST })).toHaveLength(SEGMENTS);
    // A fresh repository object: nothing cached from the writes.
    const reader = await Repository.open(repo.storage, PASS);
    for (let i = 0; i < 20; i++) {
      const k = random.int(0, SEGMENTS - 1);
      const at = new Date(T0 + (k + 1) * MINUTE + random.int(0, MINUTE - 1) * (k === SEGMENTS - 1 ? 0 : 1));
      const target = tempDir('journal-dst');
      const result = await restoreAt(reader, { source, host: HOST, at, target });
      expect(result.at).toBe(at.toISOString());
      expectSameTree(states[k]!, target);
      fs.rmSync(target, { recursive: true });
    }
    expect([...(await stateAt(reader, { source, host: HOST })).keys()].sort()).toEqual([...states[SEGMENTS - 1]!.keys()].sort());
  });

  test("a change behind the backup's walk, in a segment that ends before the backup is committed, is restored after it", async () => {
    const repo = await newRepo();
    const source = tempDir('journal-src');
    fs.writeFileSync(path.join(source, 'changed'), 'as the backup read it');
    fs.writeFileSync(path.join(source, 'deleted'), 'read by the backup');
    let behindWalk: Date | undefined;
    const onProgress = (p: BackupProgress) => {
      if (behindWalk || p.filesDone < 2) return;
      // Both files are read: the walk has passed them. Clear milliseconds apart from its start and its commit.
      pause(5);
      fs.writeFileSync(path.join(source, 'changed'), 'changed after the backup read it');
      fs.rmSync(path.join(source, 'deleted'));
      behindWalk = new Date();
      pause(5);
    };
    await backup(repo, { source, type: 'full', threads: 0, host: HOST, onProgress });
    const [snapshot] = await listSnapshots(repo);
    expect(Date.parse(snapshot!.time)).toBeLessThan(behindWalk!.getTime());
    const changes = await writeJournalSegment(repo, { source, host: HOST, changed: ['changed'], deleted: ['deleted'], from: new Date(Date.parse(snapshot!.time)), until: behindWalk!, threads: 0 });
    expect(changes.segment).toMatchObject({ changed: 1, deleted: 1 });
    const checkpoint = await writeJournalSegment(repo, { source, host: HOST, changed: [], deleted: [], from: behindWalk!, until: new Date(), threads: 0 });
    const target = tempDir('journal-dst');
    const result = await restoreAt(repo, { source, host: HOST, at: new Date(checkpoint.segment.until), target });
    expect(result.segments).toBe(2);
    expectSameTree(source, target);
  });

  test("paths the source's excludes leave out are not journaled, so a restore at a time does not bring them back", async () => {
    const repo = await newRepo();
    const source = tempDir('journal-src');
    fs.writeFileSync(path.join(source, 'a'), 'one');
    await backup(repo, { source, type: 'full', threads: 0, host: HOST, time: new Date(T0), excludes: EXCLUDES });
    writeExcludedPaths(source);
    const { segment } = await writeJournalSegment(repo, { source, host: HOST, changed: PATHS_WRITTEN, deleted: [], excludes: EXCLUDES, from: new Date(T0), until: new Date(T0 + MINUTE), threads: 0 });
    expect(segment.changed).toBe(2);
    const target = tempDir('journal-dst');
    await restoreAt(repo, { source, host: HOST, at: new Date(T0 + MINUTE), target });
    expect(fs.readdirSync(target).sort()).toEqual(['a', 'sub']);
    expect(fs.readdirSync(path.join(target, 'sub'))).toEqual(['keep']);
  });

  test('a changed file the segment cannot read is counted and kept as before, a restore warns, and the next segment reads it', async () => {
    const repo = await newRepo();
    const source = tempDir('journal-src');
    const file = path.join(source, 'x');
    fs.writeFileSync(file, 'as backed up');
    await backup(repo, { source, type: 'full', threads: 0, host: HOST, time: new Date(T0) });
    fs.writeFileSync(file, 'changed');
    // Replaced by a symlink between the segment's lstat and its read (opened with O_NOFOLLOW): ELOOP, even as root.
    const open = fs.openSync.bind(fs);
    const spy = jest.spyOn(fs, 'openSync').mockImplementation((p, flags, mode) => {
      if (p === file && fs.lstatSync(file).isFile()) {
        fs.rmSync(file);
        fs.symlinkSync('elsewhere', file);
      }
      return open(p, flags, mode);
    });
    const first = await writeJournalSegment(repo, { source, host: HOST, changed: ['x'], deleted: [], from: new Date(T0), until: new Date(T0 + MINUTE), threads: 0 }).finally(() => spy.mockRestore());
    expect(first.skipped).toEqual(['x']);
    expect(first.segment).toMatchObject({ changed: 0, deleted: 0, filesSkipped: 1 });
    expect((await planRestoreAt(repo, { source, at: new Date(T0 + MINUTE) })).segments[0]!.filesSkipped).toBe(1);
    const stale = tempDir('journal-dst');
    const restored = await restoreAt(repo, { source, host: HOST, at: new Date(T0 + MINUTE), target: stale });
    expect(restored.warnings[0]).toMatch(/could not read 1 changed file .*may be restored as of an earlier time/);
    expect(fs.readFileSync(path.join(stale, 'x'), 'utf8')).toBe('as backed up');

    const second = await writeJournalSegment(repo, { source, host: HOST, changed: first.skipped, deleted: [], from: new Date(T0 + MINUTE), until: new Date(T0 + 2 * MINUTE), threads: 0 });
    expect(second.skipped).toEqual([]);
    expect(second.segment.filesSkipped).toBeUndefined();
    const current = tempDir('journal-dst');
    await restoreAt(repo, { source, host: HOST, at: new Date(T0 + 2 * MINUTE), target: current });
    expectSameTree(source, current);
  });

  test('a time outside the covered interval is an error naming it; the plan names the snapshot and segments', async () => {
    const repo = await newRepo();
    const source = tempDir('journal-src');
    fs.writeFileSync(path.join(source, 'a'), 'one');
    const snap = await backup(repo, { source, type: 'full', threads: 0, host: HOST, time: new Date(T0) });
    fs.writeFileSync(path.join(source, 'b'), 'two');
    await writeJournalSegment(repo, { source, host: HOST, changed: ['b'], deleted: [], from: new Date(T0), until: new Date(T0 + MINUTE), threads: 0 });
    const plan = await planRestoreAt(repo, { source, at: new Date(T0 + MINUTE) });
    expect(plan.snapshot.id).toBe(snap.snapshotId);
    expect(plan.segments.map((s) => [s.changed, s.deleted])).toEqual([[1, 0]]);
    expect(plan.covered).toEqual({ from: new Date(T0).toISOString(), until: new Date(T0 + MINUTE).toISOString() });
    await expect(planRestoreAt(repo, { source, at: new Date(T0 - 1) })).rejects.toThrow(/before the first snapshot.*restorable from 2026-01-01T00:00:00.000Z until 2026-01-01T00:01:00.000Z/);
    await expect(planRestoreAt(repo, { source, at: new Date(T0 + MINUTE + 1) })).rejects.toThrow(/after the newest recorded change/);
  });

  test('prune keeps the data only a segment names; forget drops the segments before the oldest kept snapshot', async () => {
    const repo = await newRepo();
    const source = tempDir('journal-src');
    fs.writeFileSync(path.join(source, 'a'), 'one');
    const first = await backup(repo, { source, type: 'full', threads: 0, host: HOST, time: new Date(T0) });
    const segment = async (k: number, changed: string[], deleted: string[] = []) =>
      writeJournalSegment(repo, { source, host: HOST, changed, deleted, from: new Date(T0 + (k - 1) * MINUTE), until: new Date(T0 + k * MINUTE), threads: 0 });
    fs.writeFileSync(path.join(source, 'only-in-the-journal'), pseudoRandomBytes(300_000, 7));
    const added = await segment(1, ['only-in-the-journal']);
    expect(added.bytesAdded).toBeGreaterThanOrEqual(300_000);
    const withIt = describeTree(source);
    fs.rmSync(path.join(source, 'only-in-the-journal'));
    await segment(2, [], ['only-in-the-journal']);
    await prune(repo, { maxUnusedPercent: 0 });
    const target = tempDir('journal-dst');
    await restoreAt(await Repository.open(repo.storage, PASS), { source, at: new Date(T0 + MINUTE + 5_000), target });
    expectSameTree(withIt, target);

    await backup(repo, { source, type: 'incremental', threads: 0, host: HOST, time: new Date(T0 + 2 * MINUTE + 30_000) });
    fs.writeFileSync(path.join(source, 'a'), 'two');
    await segment(3, ['a']);
    const dry = await forget(repo, { snapshotIds: [first.snapshotId], dryRun: true });
    expect(dry.journalSegmentsRemoved).toBe(2);
    expect(await listJournalSegments(repo, { source })).toHaveLength(3);
    const real = await forget(repo, { snapshotIds: [first.snapshotId] });
    expect(real.journalSegmentsRemoved).toBe(2);
    expect((await listJournalSegments(repo, { source })).map((s) => s.until)).toEqual([new Date(T0 + 3 * MINUTE).toISOString()]);
    await expect(planRestoreAt(repo, { source, at: new Date(T0 + MINUTE) })).rejects.toThrow(/before the first snapshot/);
    const latest = tempDir('journal-dst');
    await restoreAt(repo, { source, at: new Date(T0 + 3 * MINUTE), target: latest });
    expectSameTree(source, latest);
  });

  test('verify checks what the segments name: a lost pack is reported with the segment and path', async () => {
    const repo = await newRepo();
    const source = tempDir('journal-src');
    fs.writeFileSync(path.join(source, 'a'), 'one');
    await backup(repo, { source, type: 'full', threads: 0, host: HOST, time: new Date(T0) });
    const packsBefore = new Set<string>();
    for await (const p of repo.storage.list('data')) packsBefore.add(p.name);
    fs.writeFileSync(path.join(source, 'journal-only'), pseudoRandomBytes(200_000, 11));
    const { segment } = await writeJournalSegment(repo, { source, host: HOST, changed: ['journal-only'], deleted: [], from: new Date(T0), until: new Date(T0 + MINUTE), threads: 0 });
    expect((await verify(repo, { level: 'standard' })).ok).toBe(true);
    for await (const p of repo.storage.list('data')) if (!packsBefore.has(p.name)) await repo.storage.delete({ type: 'data', name: p.name });
    const report = await verify(repo, { level: 'quick' });
    expect(report.ok).toBe(false);
    expect(report.problems[0]!.message).toContain(`journal-only in journal segment ${segment.id.slice(0, 12)}`);
  });
});

// The scrub engine (core/scrub.ts) on a repository of many packs, its reads counted by a recording
// storage wrapper: chained run after run by their cursors, run k reads in full exactly subset k
// and T runs read every pack exactly once; with a byte budget, runs stop at it and the next run
// resumes after the last pack read, without reading any again; a cursor of another cycle restarts
// at subset 1; and a byte flipped anywhere in any pack is reported within T runs, naming the pack,
// a snapshot and a file it affects.

import fs from 'node:fs';
import { inSubset } from '../../core/packSubset';
import { Repository } from '../../core/repository';
import { scrub, ScrubPosition, ScrubReport } from '../../core/scrub';
import { LocalStorage } from '../../storage/local';
import { buildManyPacksRepository, MANY_PACKS_PASSPHRASE, ManyPacksRepository, packNames, packPath } from '../helpers/manyPacksRepository';
import { RecordingStorage } from '../helpers/recordingStorage';
import { SeededRandom } from '../helpers/seededRandom';
import { tempDir } from '../helpers/trees';

const T = 5;
let built: ManyPacksRepository;
let allPacks: string[];
beforeAll(async () => {
  built = await buildManyPacksRepository(20);
  allPacks = packNames(built.dir);
});

interface Run {
  report: ScrubReport;
  /** The packs this run read whole, in order. */
  read: string[];
}

async function scrubOnce(dir: string, options: { cursor?: ScrubPosition; cycle?: number; budgetBytes?: number }): Promise<Run> {
  const storage = new RecordingStorage(new LocalStorage(dir));
  const repo = await Repository.open(storage, MANY_PACKS_PASSPHRASE);
  const report = await scrub(repo, { cycle: options.cycle ?? T, cursor: options.cursor, budgetBytes: options.budgetBytes });
  await storage.close();
  const read = storage.calls.filter((c) => c.op === 'get' && c.type === 'data' && !c.range).map((c) => c.name);
  return { report, read };
}

/** `count` runs, each given the cursor the run before returned. */
async function chain(dir: string, count: number, options: { budgetBytes?: number; cursor?: ScrubPosition } = {}): Promise<Run[]> {
  const runs: Run[] = [];
  let cursor = options.cursor;
  for (let i = 0; i < count; i++) {
    const run = await scrubOnce(dir, { cursor, budgetBytes: options.budgetBytes });
    runs.push(run);
    cursor = run.report.next;
  }
  return runs;
}

const sizeOf = (pack: string) => fs.statSync(packPath(built.dir, pack)).size;

/** The subset holding the most packs: pack ids are random, so which subsets hold three or more
 *  varies from build to build, but with 20 packs in 5 subsets one holds at least 4. */
function fullestSubset(): { n: number; packs: string[] } {
  const subsets = Array.from({ length: T }, (_, i) => ({ n: i + 1, packs: allPacks.filter((p) => inSubset(p, { n: i + 1, t: T })) }));
  const fullest = subsets.reduce((best, subset) => (subset.packs.length > best.packs.length ? subset : best));
  expect(fullest.packs.length).toBeGreaterThanOrEqual(3);
  return fullest;
}

describe('scrub', () => {
  it('run k reads exactly the packs of subset k, in pack-id order; T runs read every pack exactly once', async () => {
    expect(allPacks.length).toBeGreaterThanOrEqual(20);
    const runs = await chain(built.dir, T);
    runs.forEach(({ report, read }, i) => {
      const k = i + 1;
      expect(report.subset).toEqual({ n: k, t: T });
      expect(read).toEqual(allPacks.filter((p) => inSubset(p, { n: k, t: T })));
      expect(report).toMatchObject({ ok: true, packsLeft: 0, cycleStretched: false, warnings: [], next: { cycle: T, subset: (k % T) + 1 } });
      expect(report.next.after).toBeUndefined();
      expect(report.checked).toEqual({ packs: read.length, bytes: read.reduce((sum, p) => sum + sizeOf(p), 0), snapshots: built.snapshots.length });
    });
    const everyRead = runs.flatMap((r) => r.read);
    expect(everyRead.sort()).toEqual(allPacks); // each exactly once
    expect(runs[T - 1]!.report.next).toEqual({ cycle: T, subset: 1 });
  });

  it('with a budget, a run stops before the pack that would exceed it, and the next resumes after the last pack read', async () => {
    const { n, packs } = fullestSubset();
    // Room for the first two packs of subset n but not the third.
    const budgetBytes = sizeOf(packs[0]!) + sizeOf(packs[1]!) + sizeOf(packs[2]!) - 1;
    const first = await scrubOnce(built.dir, { budgetBytes, cursor: { cycle: T, subset: n } });
    expect(first.read).toEqual(packs.slice(0, 2));
    expect(first.report).toMatchObject({ cycleStretched: true, packsLeft: packs.length - 2, next: { cycle: T, subset: n, after: packs[1] } });
    expect(first.report.warnings).toEqual([expect.stringMatching(new RegExp(`^the budget of \\d+ bytes left \\d+ packs of subset ${n}/5 for the next run: a full pass over the packs takes more than 5 runs`))]);

    // Chained until the rotation is back at subset n: every pack read exactly once, no run over budget but by one pack.
    const runs = [first];
    while (!(runs[runs.length - 1]!.report.next.subset === n && runs[runs.length - 1]!.report.next.after === undefined)) {
      runs.push(await scrubOnce(built.dir, { cursor: runs[runs.length - 1]!.report.next, budgetBytes }));
      expect(runs.length).toBeLessThan(allPacks.length + T + 1);
    }
    expect(runs.flatMap((r) => r.read).sort()).toEqual(allPacks);
    expect(runs.length).toBeGreaterThan(T);
    for (const [i, { report, read }] of runs.entries()) {
      expect(read.length).toBeGreaterThanOrEqual(1);
      if (read.length > 1) expect(report.checked.bytes).toBeLessThanOrEqual(budgetBytes);
      const previous = runs[i - 1]?.report.next;
      if (previous?.after) {
        expect(report.resumedAfter).toBe(previous.after);
        expect(read[0]! > previous.after).toBe(true);
      }
    }
  });

  it('a budget smaller than any pack still reads one pack per run', async () => {
    const { n, packs } = fullestSubset();
    const runs = await chain(built.dir, 3, { budgetBytes: 1, cursor: { cycle: T, subset: n } });
    expect(runs.map((r) => r.read)).toEqual(packs.slice(0, 3).map((p) => [p]));
    expect(runs.every((r) => r.report.cycleStretched)).toBe(true);
  });

  it('a cursor of another cycle (the schedule changed) restarts at subset 1 of the new cycle, and says so', async () => {
    const { report, read } = await scrubOnce(built.dir, { cursor: { cycle: 7, subset: 4, after: allPacks[0] }, cycle: 3 });
    expect(report.subset).toEqual({ n: 1, t: 3 });
    expect(read).toEqual(allPacks.filter((p) => inSubset(p, { n: 1, t: 3 })));
    expect(report.warnings).toEqual(['the scrub cycle changed from 7 to 3 runs: the rotation restarts at subset 1/3']);
    expect(report.next).toEqual({ cycle: 3, subset: 2 });
  });

  it('refuses a cycle below 1 and a budget of 0 bytes', async () => {
    const repo = await Repository.open(new LocalStorage(built.dir), MANY_PACKS_PASSPHRASE);
    await expect(scrub(repo, { cycle: 0 })).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(scrub(repo, { cycle: 3, budgetBytes: 0 })).rejects.toMatchObject({ code: 'invalid-argument' });
  });

  const seed = Number(process.env.MERIDIAN_SCRUB_SEED ?? 2611);
  it(`a byte flipped anywhere in any pack is reported within T runs, naming the pack, a snapshot and a path (seed ${seed})`, async () => {
    const random = new SeededRandom(seed);
    for (let trial = 0; trial < 4; trial++) {
      const dir = tempDir('scrub-flip');
      fs.cpSync(built.dir, dir, { recursive: true });
      const victim = random.pick(allPacks);
      const file = packPath(dir, victim);
      const bytes = fs.readFileSync(file);
      const at = random.int(0, bytes.length - 1);
      bytes[at] = bytes[at]! ^ (1 << random.int(0, 7));
      fs.writeFileSync(file, bytes);
      // The rotation may stand anywhere when the damage happens.
      const runs = await chain(dir, T, { cursor: { cycle: T, subset: random.int(1, T) } });
      const finding = runs.flatMap((r) => r.report.problems).find((p) => p.pack === victim);
      const where = `trial ${trial}: byte ${at} of ${bytes.length} of pack ${victim}`;
      expect({ where, finding }).toEqual({ where, finding: expect.objectContaining({ snapshot: expect.stringMatching(/^[0-9a-f]{64}$/), path: expect.any(String) }) });
      expect(built.snapshots).toContain(finding!.snapshot);
      // Damage is reported, never anything outside the damaged pack.
      expect(runs.flatMap((r) => r.report.problems).every((p) => p.pack === victim)).toBe(true);
    }
  });
});

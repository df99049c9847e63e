// The ransomware alert on real files: a source of 200 text files that changes ~2% a day for a
// week (no alert on any of those backups), then has 80% of its files overwritten with random bytes
// and renamed `.locked`: that backup's snapshot records the alert with all three reasons. While it
// is open, a forget by policy (and by id) keeps every earlier snapshot, a prune after it leaves them
// restorable byte for byte; once acknowledged, the same forget removes them.

import fs from 'node:fs';
import { backup } from '../../core/archiver';
import { forget } from '../../core/forget';
import { prune } from '../../core/prune';
import { acknowledgeAlert, listAlerts } from '../../core/ransomwareAlerts';
import { Repository } from '../../core/repository';
import { restore } from '../../core/restorer';
import { listSnapshots } from '../../core/snapshots';
import { LocalStorage } from '../../storage/local';
import { changeTiles, dayTime, encryptTiles, writeTiles } from '../helpers/ransomwareSource';
import { describeTree, tempDir } from '../helpers/trees';

const FILES = 200;
/** Each file's path, type and content hash (the copies were taken with cpSync, whose mtimes are rounded). */
const contents = (dir: string) => [...describeTree(dir)].map(([rel, facts]) => [rel, facts.type, facts.hash]);

let repo: Repository;
let source: string;
/** The source as each pre-attack snapshot recorded it. */
const copies = new Map<string, string>();
const suspicions: (string[] | undefined)[] = [];
let attackId: string;

beforeAll(async () => {
  repo = await Repository.init(new LocalStorage(tempDir('alert-repo')), 'alert passphrase', { packSizeMiB: 1 });
  source = tempDir('alert-source');
  writeTiles(source, FILES);
  for (let n = 0; n <= 7; n++) {
    // ~2% a day: four files rewritten with new text (day 0 is the first backup).
    if (n > 0) changeTiles(source, FILES, n, 4);
    const result = await backup(repo, { source, type: 'incremental', time: dayTime(n), threads: 0 });
    suspicions.push(result.suspectedRansomware?.reasons);
    const copy = tempDir(`alert-day${n}`);
    fs.cpSync(source, copy, { recursive: true });
    copies.set(result.snapshotId, copy);
  }
  encryptTiles(source, FILES, 0.8);
  const attack = await backup(repo, { source, type: 'incremental', time: dayTime(8), threads: 0 });
  attackId = attack.snapshotId;
  suspicions.push(attack.suspectedRansomware?.reasons);
});

test('no normal day raises an alert; the attack does, for all three reasons, and its snapshot records it', async () => {
  expect(suspicions.slice(0, 8)).toEqual(Array(8).fill(undefined));
  expect(suspicions[8]).toEqual([
    expect.stringMatching(/^80% of files new or changed \(at most 2% in the 7 backups before\)$/),
    expect.stringMatching(/^80% of files renamed with a new extension \(at most 0% before\)$/),
    expect.stringMatching(/^new data does not compress \(stored at (9\d|1\d\d)% of its size; \d+% usually\)$/),
  ]);
  const alerts = await listAlerts(repo, await listSnapshots(repo));
  expect(alerts).toEqual([expect.objectContaining({ snapshotId: attackId, time: dayTime(8).toISOString(), reasons: suspicions[8] })]);
});

test('while the alert is open, forget keeps every earlier snapshot and prune leaves them restorable', async () => {
  const [oldest] = [...copies.keys()];
  const byId = await forget(repo, { snapshotIds: [oldest!] });
  expect(byId.removed).toBe(0);
  expect(byId.groups[0]!.keep).toEqual([expect.objectContaining({ id: oldest, reasons: [`held: ransomware alert of ${attackId.slice(0, 8)} not acknowledged`] })]);

  const byPolicy = await forget(repo, { policy: { keepLast: 1 } });
  expect({ kept: byPolicy.kept, removed: byPolicy.removed }).toEqual({ kept: 9, removed: 0 });
  await prune(repo, { maxUnusedPercent: 0 });
  await prune(repo, { maxUnusedPercent: 0 });
  for (const [id, copy] of copies) {
    const target = tempDir('alert-restore');
    await restore(repo, id, { target, threads: 0 });
    expect(contents(target)).toEqual(contents(copy));
  }
});

test('once acknowledged, the hold is lifted', async () => {
  const acknowledged = await acknowledgeAlert(repo, await listSnapshots(repo), attackId.slice(0, 8), 'oncall');
  expect(acknowledged.acknowledged).toMatchObject({ snapshot: attackId, by: 'oncall' });
  const after = await forget(repo, { policy: { keepLast: 1 } });
  expect({ kept: after.kept, removed: after.removed }).toEqual({ kept: 1, removed: 8 });
  expect((await listSnapshots(repo)).map((s) => s.id)).toEqual([attackId]);
});

// Forget and prune keep workflow history small however big the repository: a forget over 10,000
// snapshots (manifests written straight through core, no real backups) and a prune over 50,000
// packs complete in a handful of events through a real worker and Temporal server, the forget's
// result listing at most 1,000 snapshots and the prune's holding counts only.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startOperation } from '../../api/operations';
import { MAX_LISTED_SNAPSHOTS } from '../../core/forget';
import { Repository } from '../../core/repository';
import { listSnapshots } from '../../core/snapshots';
import type { ForgetOutput, PruneOutput } from '../../workflows/shared';
import { useTemporalWorker } from '../helpers/meridianWorker';
import { hourlyTimes, UnsyncedLocalStorage, writeSnapshots, writeUnusedPacks } from '../helpers/snapshotHistories';

const PASS = 'history bound';
const setup = useTemporalWorker(PASS);

const scratch: string[] = [];
afterAll(() => scratch.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/**
 * A folder in memory (tmpfs) where the machine has one: tens of thousands of small files are
 * written and deleted there in seconds, where a busy disk takes a minute. What is measured here is
 * workflow history, not the disk.
 */
function scratchDir(prefix: string): string {
  const base = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  const dir = fs.mkdtempSync(path.join(base, `meridian-${prefix}-`));
  scratch.push(dir);
  return dir;
}

/** The number of events in a workflow's real history, and its size in bytes as JSON. */
async function historyOf(workflowId: string): Promise<{ events: number; bytes: number }> {
  const history = await setup.t.client.workflow.getHandle(workflowId).fetchHistory();
  return { events: history.events?.length ?? 0, bytes: JSON.stringify(history).length };
}

test('a forget over 10,000 snapshots keeps history in the tens of events', async () => {
  const dir = scratchDir('history-forget');
  const repo = await Repository.init(new UnsyncedLocalStorage(dir), PASS, {});
  await writeSnapshots(repo, hourlyTimes(10_000, '2026-11-30T00:00:00Z').map((time) => ({ time })));

  const run = await startOperation(setup.t.client, 'forget', { repo: dir, policy: { keepDaily: 7, keepWeekly: 4 }, timezone: 'UTC' }, setup.worker.taskQueue);
  const result: ForgetOutput = await run.result();
  expect(result).toMatchObject({ kept: 9, removed: 9_991, truncated: 10_000 - MAX_LISTED_SNAPSHOTS });
  expect(await listSnapshots(repo)).toHaveLength(9);

  const history = await historyOf(run.workflowId);
  expect(history.events).toBeLessThan(30);
  expect(history.bytes).toBeLessThan(512 * 1024); // 1,000 listed snapshots at most, not 10,000
});

test('a prune over 50,000 packs keeps history in the tens of events', async () => {
  const dir = scratchDir('history-prune');
  const repo = await Repository.init(new UnsyncedLocalStorage(dir), PASS, {});
  const bytes = await writeUnusedPacks(repo, 50_000);

  const run = await startOperation(setup.t.client, 'prune', { repo: dir }, setup.worker.taskQueue);
  expect(run.workflowId).toBe(`prune:${dir}`);
  const result: PruneOutput = await run.result();
  expect(result).toMatchObject({ dryRun: false, packs: { deleted: 50_000, repacked: 0, kept: 0, written: 0 }, bytes: { deleted: bytes, freed: bytes }, indexFiles: { before: 50 } });

  const history = await historyOf(run.workflowId);
  expect(history.events).toBeLessThan(30);
  expect(history.bytes).toBeLessThan(64 * 1024);
});

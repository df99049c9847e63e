// Forget and prune keep workflow history small however big the repository: a forget over 10,000
// snapshots (manifests written straight through core, no real backups) completes in a handful of
// events through a real worker and Temporal server, its result listing at most 1,000 snapshots.

import { startOperation } from '../../api/operations';
import { MAX_LISTED_SNAPSHOTS } from '../../core/forget';
import { Repository } from '../../core/repository';
import { listSnapshots } from '../../core/snapshots';
import type { ForgetOutput } from '../../workflows/shared';
import { useTemporalWorker } from '../helpers/meridianWorker';
import { hourlyTimes, UnsyncedLocalStorage, writeSnapshots } from '../helpers/snapshotHistories';
import { tempDir } from '../helpers/trees';

const PASS = 'history bound';
const setup = useTemporalWorker(PASS);

/** The number of events in a workflow's real history, and its size in bytes as JSON. */
async function historyOf(workflowId: string): Promise<{ events: number; bytes: number }> {
  const history = await setup.t.client.workflow.getHandle(workflowId).fetchHistory();
  return { events: history.events?.length ?? 0, bytes: JSON.stringify(history).length };
}

test('a forget over 10,000 snapshots keeps history in the tens of events', async () => {
  const dir = tempDir('history-forget');
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

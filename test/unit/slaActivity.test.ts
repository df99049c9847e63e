// The SLA monitor's observeFleet activity over a real local repository with two sources: each
// source's newest good snapshot (one the newest verify found damaged is not good), counts and pack
// sizes, and the latest recovery attributed by the snapshot a restore read (`latest` as of its start)
// or by a runbook of the source's SLA; an unreadable repository fails only its own sources.

import fs from 'node:fs';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities/index';
import { backup } from '../../core/archiver';
import { Repository } from '../../core/repository';
import { LocalStorage } from '../../storage/local';
import { repositoryLocationKey } from '../../storage/open';
import { configuredAuthority } from '../../worker/authority';
import type { FleetHistory, Recovery } from '../../worker/fleetHistory';
import type { WorkerConfig } from '../../worker/workerConfig';
import type { FleetObservation } from '../../workflows/slaLogic';
import { tempDir, writeTree } from '../helpers/trees';

const PASS = 'sla activity';

it('observes sources and repositories, leaving out verified-damaged snapshots and attributing recoveries', async () => {
  const dir = tempDir('sla-activity-repo');
  const repo = await Repository.init(new LocalStorage(dir), PASS, { packSizeMiB: 1 });
  const [tiles, docs] = [tempDir('sla-tiles'), tempDir('sla-docs')];
  writeTree(tiles, { smallFiles: 2 });
  writeTree(docs, { smallFiles: 2 });
  const t1 = await backup(repo, { source: tiles, type: 'full', threads: 0, time: new Date('2026-03-01T00:00:00Z') });
  const d1 = await backup(repo, { source: docs, type: 'full', threads: 0, time: new Date('2026-03-01T01:00:00Z') });
  const d2 = await backup(repo, { source: docs, type: 'full', threads: 0, time: new Date('2026-03-01T02:00:00Z') });
  await repo.storage.close();

  const config: WorkerConfig = {
    repositories: [{ name: 'main', url: dir, key: repositoryLocationKey(dir) }],
    sourceRoots: [],
    restoreRoots: [],
    sources: { tiles: { path: tiles, repository: 'main' }, docs: { path: docs, repository: 'main' } },
    origin: { kind: 'command' },
  };
  const recoveries: Recovery[] = [
    { kind: 'restore', at: '2026-03-01T03:10:00Z', startedAt: '2026-03-01T03:00:00Z', seconds: 600, workflowId: 'restore-latest', ref: 'latest', repository: 'main' },
    { kind: 'restore', at: '2026-03-01T02:40:00Z', startedAt: '2026-03-01T02:30:00Z', seconds: 120, workflowId: 'restore-tiles', ref: t1.snapshotId.slice(0, 8), repository: 'main' },
    { kind: 'restore', at: '2026-03-01T02:50:00Z', startedAt: '2026-03-01T02:45:00Z', seconds: 60, workflowId: 'restore-elsewhere', ref: 'latest', repository: 'other' },
  ];
  const fleetHistory: FleetHistory = { recoveries: async () => recoveries, damagedSnapshots: async () => [d2.snapshotId] };
  const { observeFleet } = createActivities({ authority: configuredAuthority(config, { passphrase: PASS }), workerConfig: config, fleetHistory });
  const observed: FleetObservation = await new MockActivityEnvironment({ workflowExecution: { workflowId: 'sla-monitor', runId: 'r' } }).run(() =>
    observeFleet({ slas: [], sources: ['tiles', 'docs'], repositories: ['main'] }),
  );
  const packs = fs.readdirSync(path.join(dir, 'data'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  expect(observed.repositories).toEqual([{ repository: 'main', snapshotCount: 3, sizeBytes: packs.reduce((n, e) => n + fs.statSync(path.join(e.parentPath, e.name)).size, 0), openRansomwareAlerts: 0 }]);
  const [tilesSeen, docsSeen] = observed.sources;
  // tiles: its own snapshot; the restore of `latest` at 03:00 read docs' d2, so tiles' recovery is the one of its id prefix.
  expect(tilesSeen).toMatchObject({ source: 'tiles', snapshotCount: 1, lastGoodSnapshotAt: '2026-03-01T00:00:00.000Z', lastRecovery: { workflowId: 'restore-tiles', seconds: 120 } });
  // docs: d2 was found damaged by the newest verify, so d1 is its newest good snapshot.
  expect(docsSeen).toMatchObject({ source: 'docs', snapshotCount: 2, lastGoodSnapshotAt: '2026-03-01T01:00:00.000Z', lastRecovery: { workflowId: 'restore-latest', seconds: 600 } });
  expect(d1.snapshotId).not.toBe(d2.snapshotId);

  // A runbook of the source's SLA counts as its recovery.
  const drill: Recovery = { kind: 'runbook', at: '2026-03-01T04:00:00Z', startedAt: '2026-03-01T03:55:00Z', seconds: 300, workflowId: 'runbook-drill', ref: 'restore-drill' };
  recoveries.unshift(drill);
  const withDrill: FleetObservation = await new MockActivityEnvironment().run(() =>
    observeFleet({ slas: [{ name: 'gold', enabled: true, sources: ['tiles'], rpoSeconds: 60, rtoSeconds: 600, rtoTestedWithinSeconds: 86_400, runbooks: ['restore-drill'] }], sources: ['tiles', 'docs'], repositories: [] }),
  );
  expect(withDrill.sources.map((s) => s.lastRecovery?.workflowId)).toEqual(['runbook-drill', 'restore-latest']);

  // A repository that cannot be read is reported on its own; the healthy one's sources are still observed.
  const gone = path.join(tempDir('sla-gone'), 'missing');
  const withGone: WorkerConfig = {
    ...config,
    repositories: [...config.repositories, { name: 'gone', url: gone, key: repositoryLocationKey(gone) }],
    sources: { ...config.sources, lost: { path: docs, repository: 'gone' } },
  };
  const partial = createActivities({ authority: configuredAuthority(withGone, { passphrase: PASS }), workerConfig: withGone, fleetHistory });
  const seen: FleetObservation = await new MockActivityEnvironment().run(() => partial.observeFleet({ slas: [], sources: ['tiles', 'lost'], repositories: ['main', 'gone'] }));
  expect(seen.sources.map((s) => s.source)).toEqual(['tiles']);
  expect(seen.repositories.map((r) => r.repository)).toEqual(['main']);
  expect(Object.keys(seen.failedRepositories ?? {})).toEqual(['gone']);
});

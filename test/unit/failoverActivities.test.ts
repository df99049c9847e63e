// The failover activities (activities/failover.ts) and the active member of a set, through real
// activity code over repositories on disk: region checks (an unreachable member is an unhealthy
// result, not an error), a forced failover after which a backup naming the configured primary goes
// to the active member and says so, replication treating the active member as primary, the failed
// primary's resync, the lags, and a monitor that does not answer making operations retry.

import fs from 'node:fs';
import os from 'node:os';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities/index';
import { initReplica } from '../../core/replicaInit';
import { readReplicaState } from '../../core/replicaState';
import { replicatePass } from '../../core/replication';
import { Repository } from '../../core/repository';
import { FailoverEntrySchema, ReplicationEntrySchema } from '../../config/schema';
import { LocalStorage } from '../../storage/local';
import { repositoryLocationKey } from '../../storage/open';
import { configuredAuthority } from '../../worker/authority';
import type { ClusterAccess } from '../../worker/cluster';
import { WorkerConfig } from '../../worker/workerConfig';
import type { ReplicationState } from '../../workflows/replicationDefs';
import { HISTORY_INIT, HISTORY_PASSPHRASE, historySource } from '../helpers/pruneHistory';
import { snapshotNames } from '../helpers/replicaBarriers';
import { tempDir } from '../helpers/trees';

const ALL_NAMES = ['main', 'copy-us', 'copy-ap'] as const;
type Name = (typeof ALL_NAMES)[number];
const NAMES: readonly Name[] = ['main', 'copy-us'];
const REGIONS = { main: 'eu', 'copy-us': 'us', 'copy-ap': 'ap' };

/** A set `gis` (main in eu, copy-us in us, with `third` copy-ap in ap) watched by failover entry `dr`, and a cluster whose monitor says `active`. */
async function failoverWorker(third = false) {
  const names = third ? ALL_NAMES : NAMES;
  const dirs = Object.fromEntries(ALL_NAMES.map((name) => [name, tempDir(`failover-${name}`)])) as Record<Name, string>;
  const primary = await Repository.init(new LocalStorage(dirs.main), HISTORY_PASSPHRASE, HISTORY_INIT);
  for (const name of names.slice(1)) await initReplica(primary, new LocalStorage(dirs[name]));
  const config: WorkerConfig = {
    repositories: names.map((name) => ({ name, url: dirs[name], key: repositoryLocationKey(dirs[name]) })),
    sourceRoots: [os.tmpdir()],
    restoreRoots: [os.tmpdir()],
    replication: {
      sets: { gis: ReplicationEntrySchema.parse({ primary: 'main', replicas: names.slice(1), mode: 'async' }) },
      regions: REGIONS,
      failover: { dr: FailoverEntrySchema.parse({ replication: 'gis', primaryRegion: 'eu', secondaryRegions: third ? ['us', 'ap'] : ['us'], probeTimeout: '2s' }) },
    },
    origin: { kind: 'command' },
  };
  const monitor = { active: undefined as string | undefined, needsResync: [] as string[], answers: true, replication: undefined as ReplicationState | undefined };
  const cluster: ClusterAccess = {
    failoverView: async () => {
      if (!monitor.answers) throw new Error('deadline exceeded');
      return monitor.active === undefined ? undefined : { activeRegion: monitor.active, needsResync: monitor.needsResync };
    },
    replicationState: async () => monitor.replication,
    failover: async () => Promise.reject(new Error('not used')),
    failback: async () => Promise.reject(new Error('not used')),
    replicateNow: async () => Promise.reject(new Error('not used')),
  };
  const activities = createActivities({ authority: configuredAuthority(config, { passphrase: HISTORY_PASSPHRASE }), workerConfig: config, cluster });
  const open = (name: Name) => Repository.open(new LocalStorage(dirs[name]), HISTORY_PASSPHRASE);
  return { activities, monitor, dirs, open };
}

const run = <T>(body: () => Promise<T>): Promise<T> => new MockActivityEnvironment({ workflowExecution: { workflowId: 'failover:dr', runId: 'r' } }).run(body);

it('describes the entry with each region’s member, and checks regions: an unreachable member is unhealthy data', async () => {
  const { activities, dirs } = await failoverWorker();
  expect(await run(() => activities.describeFailover({ name: 'dr' }))).toMatchObject({ replication: 'gis', members: { eu: 'main', us: 'copy-us' }, probeTimeoutMs: 2000, intervalMs: 30_000 });
  const healthy = await run(() => activities.checkRegions({ name: 'dr', regions: ['eu', 'us'] }));
  expect(healthy.map((r) => [r.region, r.healthy])).toEqual([['eu', true], ['us', true]]);

  fs.rmSync(dirs['copy-us'], { recursive: true });
  fs.writeFileSync(dirs['copy-us'], 'not a repository any more');
  const [eu, us] = await run(() => activities.checkRegions({ name: 'dr', regions: ['eu', 'us'] }));
  expect(eu).toMatchObject({ region: 'eu', healthy: true });
  expect(us).toMatchObject({ region: 'us', healthy: false, reason: expect.stringMatching(/^storage copy-us: \S/), probes: [{ kind: 'storage', target: 'copy-us', healthy: false }] });
  await expect(run(() => activities.describeFailover({ name: 'nope' }))).rejects.toMatchObject({ type: 'not-found' });
});

it('discovers which regions are writable, replicas, or unreachable', async () => {
  const { activities, dirs } = await failoverWorker();
  expect(await run(() => activities.discoverRegions({ name: 'dr' }))).toEqual({ writable: ['eu'], replicas: ['us'], unreachable: [] });
  fs.rmSync(dirs['copy-us'], { recursive: true });
  fs.writeFileSync(dirs['copy-us'], 'not a repository any more');
  expect(await run(() => activities.discoverRegions({ name: 'dr' }))).toEqual({ writable: ['eu'], replicas: [], unreachable: ['us'] });
});

it('after a forced failover, a backup naming the configured primary goes to the active member; resync brings the old primary back as a replica', async () => {
  const { activities, monitor, open } = await failoverWorker();
  const before = await run(() => activities.backupSnapshot({ repo: 'main', path: historySource(0), type: 'full' }));
  expect(before.activeRepository).toBeUndefined();

  const promoted = await run(() => activities.promoteRegion({ name: 'dr', from: 'eu', to: 'us', eventId: 'dr-1' }));
  expect(promoted).toEqual({ promoted: true, unmerged: [] });
  expect(await run(() => activities.promoteRegion({ name: 'dr', from: 'eu', to: 'us', eventId: 'dr-1' }))).toEqual({ promoted: false, unmerged: [] });
  monitor.active = 'us';
  monitor.needsResync = ['eu'];

  // Until it is re-synced, the failed primary is no replica: no pass, no barrier targets it.
  const after = await run(() => activities.backupSnapshot({ repo: 'main', path: historySource(1), type: 'incremental' }));
  expect(after).toMatchObject({ activeRepository: 'copy-us', replication: { lagging: [] } });
  expect(await snapshotNames((await open('copy-us')).storage)).toEqual([after.snapshotId]);
  expect(await run(() => activities.describeReplicaSet({ set: 'gis' }))).toMatchObject({ primary: 'copy-us', replicas: [] });
  monitor.needsResync = [];
  expect(await run(() => activities.describeReplicaSet({ set: 'gis' }))).toMatchObject({ primary: 'copy-us', replicas: ['main'] });

  // main holds a snapshot copy-us never got: the resync merges it, then main is a replica.
  expect(await run(() => activities.resyncRegion({ name: 'dr', region: 'eu', active: 'us' }))).toMatchObject({ copied: expect.any(Number) });
  expect((await snapshotNames((await open('copy-us')).storage)).sort()).toEqual([before.snapshotId, after.snapshotId].sort());
  expect(await readReplicaState(await open('main'))).toBeDefined();
  const caughtUp = await run(() => activities.catchUpRegion({ name: 'dr', region: 'eu', active: 'us' }));
  expect(caughtUp).toEqual({ region: 'eu', caughtUp: true, behindSnapshots: 0 });

  // Failback: the graceful switch makes main active again.
  expect(await run(() => activities.switchRegion({ name: 'dr', from: 'us', to: 'eu', eventId: 'dr-2' }))).toEqual({ switched: true });
  // Until the monitor records the switch, a backup finds copy-us demoted: it starts over, retryably.
  const during = await run(() => activities.backupSnapshot({ repo: 'main', path: historySource(2), type: 'incremental' })).catch((e: unknown) => e);
  expect(during).toMatchObject({ type: 'concurrent-change', nonRetryable: false, message: expect.stringContaining('copy-us was made a replica by a failover switch') });
  monitor.active = 'eu';
  expect(await readReplicaState(await open('copy-us'))).toBeDefined();
  expect(await readReplicaState(await open('main'))).toBeUndefined();
  const back = await run(() => activities.backupSnapshot({ repo: 'main', path: historySource(2), type: 'incremental' }));
  expect(back.activeRepository).toBeUndefined();
});

it('a forced failover merges into the promoted member what another replica holds and it lacks, and names the regions it could not reach', async () => {
  const { activities, dirs, open } = await failoverWorker(true);
  const written = await run(() => activities.backupSnapshot({ repo: 'main', path: historySource(0), type: 'full' }));
  await replicatePass(await open('main'), await open('copy-ap'), { replicaName: 'copy-ap', graceHours: 24 }); // copy-us never got it

  fs.renameSync(dirs['copy-ap'], `${dirs['copy-ap']}.away`);
  expect(await run(() => activities.promoteRegion({ name: 'dr', from: 'eu', to: 'us', eventId: 'dr-1' }))).toEqual({ promoted: true, unmerged: ['ap'] });
  expect(await snapshotNames((await open('copy-us')).storage)).toEqual([]);
  fs.renameSync(`${dirs['copy-ap']}.away`, dirs['copy-ap']);
  expect(await run(() => activities.promoteRegion({ name: 'dr', from: 'eu', to: 'us', eventId: 'dr-1' }))).toEqual({ promoted: false, unmerged: [] });
  expect(await snapshotNames((await open('copy-us')).storage)).toEqual([written.snapshotId]);
  expect(await readReplicaState(await open('copy-ap'))).toBeDefined();
});

it('reports each region’s lag from the set’s workflow, null where unknown', async () => {
  const { activities, monitor } = await failoverWorker();
  expect(await run(() => activities.regionLags({ name: 'dr' }))).toEqual([
    { region: 'eu', lagSeconds: null },
    { region: 'us', lagSeconds: null },
  ]);
  const oldestMissingAt = new Date(Date.now() - 120_000).toISOString();
  monitor.replication = { set: 'gis', passes: 3, replicas: [{ name: 'copy-us', state: 'idle', reachable: true, behind: { snapshots: 1, files: 3, bytes: 10, oldestMissingAt, newestMissingAt: oldestMissingAt } }] };
  const [, us] = await run(() => activities.regionLags({ name: 'dr' }));
  expect(us!.region).toBe('us');
  expect(us!.lagSeconds).toBeGreaterThanOrEqual(120);
});

it('a monitor that does not answer makes the operation fail retryably, touching no repository', async () => {
  const { activities, monitor, open } = await failoverWorker();
  monitor.answers = false;
  const err = await run(() => activities.backupSnapshot({ repo: 'main', path: historySource(0), type: 'full' })).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect(err).toMatchObject({ nonRetryable: false, message: expect.stringContaining('failover:dr does not answer') });
  for (const name of NAMES) expect(await snapshotNames((await open(name)).storage)).toEqual([]);
  await expect(run(() => activities.describeReplicaSet({ set: 'gis' }))).rejects.toMatchObject({ nonRetryable: false });
  // Naming a replica explicitly asks no monitor: it stays what it names.
  const verified = await run(() => activities.verifyRepository({ repo: 'copy-us' }));
  expect(verified.activeRepository).toBeUndefined();
});

// Which repository an operation runs on (worker/activeRegion.ts): a set's configured primary, by
// name or URL, resolves to the member in the monitor's active region; a replica named explicitly,
// a set without a failover entry, a worker without cluster access or a monitor not applied yet
// keep what the input names; a region with no member is an error, a silent or switching monitor a
// retryable one; regions awaiting a resync hold no replica.

import { FailoverEntrySchema, ReplicationEntrySchema } from '../../config/schema';
import { repositoryLocationKey } from '../../storage/open';
import { activeView, resolveActiveRepository } from '../../worker/activeRegion';
import type { ClusterAccess, FailoverView } from '../../worker/cluster';
import { resolveReplicaSet } from '../../worker/replicationSets';
import { WorkerConfig } from '../../worker/workerConfig';

const url = (name: string) => `/srv/${name}`;

function config(withFailover = true): WorkerConfig {
  return {
    repositories: ['main', 'copy-us', 'copy-ap', 'other'].map((name) => ({ name, url: url(name), key: repositoryLocationKey(url(name)) })),
    sourceRoots: [],
    restoreRoots: [],
    replication: {
      sets: {
        gis: ReplicationEntrySchema.parse({ primary: 'main', replicas: ['copy-us', 'copy-ap'] }),
        plain: ReplicationEntrySchema.parse({ primary: 'other', replicas: ['copy-ap'] }),
      },
      regions: { main: 'eu', 'copy-us': 'us', 'copy-ap': 'ap' },
      ...(withFailover ? { failover: { dr: FailoverEntrySchema.parse({ replication: 'gis', primaryRegion: 'eu', secondaryRegions: ['us', 'ap'] }) } } : {}),
    },
    origin: { kind: 'command' },
  };
}

function cluster(active: () => string | undefined, more: Omit<FailoverView, 'activeRegion'> = { needsResync: [] }): ClusterAccess {
  const unused = async () => Promise.reject(new Error('not used'));
  const failoverView = async () => {
    const activeRegion = active();
    return activeRegion === undefined ? undefined : { activeRegion, ...more };
  };
  return { failoverView, replicationState: async () => undefined, failover: unused, failback: unused, replicateNow: unused };
}

it('resolves a set’s configured primary, by name or URL, to the member of the active region', async () => {
  const deps = { workerConfig: config(), cluster: cluster(() => 'us') };
  expect(await resolveActiveRepository(deps, 'main')).toMatchObject({ repo: 'copy-us', set: { primary: { name: 'copy-us' }, replicas: [{ name: 'main' }, { name: 'copy-ap' }] } });
  expect((await resolveActiveRepository(deps, url('main'))).repo).toBe('copy-us');
  expect(await resolveActiveRepository(deps, 'copy-ap')).toEqual({ repo: 'copy-ap' });
  expect(await resolveActiveRepository(deps, 'other')).toMatchObject({ repo: 'other', set: { name: 'plain' } });
});

it('keeps the configured primary without a monitor, without cluster access, without a failover entry, or with the primary region active', async () => {
  const name = async (deps: Parameters<typeof resolveActiveRepository>[0]) => (await resolveActiveRepository(deps, 'main')).repo;
  expect(await name({ workerConfig: config(), cluster: cluster(() => undefined) })).toBe('main');
  expect(await name({ workerConfig: config() })).toBe('main');
  expect(await name({ workerConfig: config(false), cluster: cluster(() => 'us') })).toBe('main');
  expect(await name({ workerConfig: config(), cluster: cluster(() => 'eu') })).toBe('main');
  expect(await name({})).toBe('main');
});

it('refuses a region without a member, and makes a silent monitor a plain (retryable) error', async () => {
  const set = resolveReplicaSet(config(), 'gis');
  await expect(activeView({ workerConfig: config(), cluster: cluster(() => 'mars') }, set)).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringContaining('no member in region "mars"') });
  const silent: ClusterAccess = { ...cluster(() => undefined), failoverView: async () => Promise.reject(new Error('context deadline exceeded')) };
  const err = await activeView({ workerConfig: config(), cluster: silent }, set).catch((e: unknown) => e);
  expect(err).toMatchObject({ message: 'the failover monitor failover:dr does not answer, so the active region is unknown: context deadline exceeded' });
  expect(err).not.toHaveProperty('code');
});

it('leaves the members of regions awaiting a resync out of the replicas, whichever region is active', async () => {
  const set = resolveReplicaSet(config(), 'gis');
  const failedOver = await activeView({ workerConfig: config(), cluster: cluster(() => 'us', { needsResync: ['eu'] }) }, set);
  expect({ primary: failedOver.primary.name, replicas: failedOver.replicas.map((r) => r.name) }).toEqual({ primary: 'copy-us', replicas: ['copy-ap'] });
  const back = await activeView({ workerConfig: config(), cluster: cluster(() => 'eu', { needsResync: ['ap'] }) }, set);
  expect({ primary: back.primary.name, replicas: back.replicas.map((r) => r.name) }).toEqual({ primary: 'main', replicas: ['copy-us'] });
});

it('makes a switch in progress a plain (retryable) error naming it', async () => {
  const switching = cluster(() => 'eu', { needsResync: [], switching: { from: 'eu', to: 'us' } });
  const err = await resolveActiveRepository({ workerConfig: config(), cluster: switching }, 'main').catch((e: unknown) => e);
  expect(err).toMatchObject({ message: expect.stringContaining('has a switch from eu to us in progress') });
  expect(err).not.toHaveProperty('code');
});

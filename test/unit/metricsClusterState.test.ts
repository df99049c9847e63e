// The cache behind /metrics reading Temporal (metrics/clusterState.ts temporalReaders through the
// real control/ and replication/ readers, over a stand-in client whose workflows can be running,
// closed, missing, unreachable or unanswered): a closed sla-monitor's last state is dropped; a
// failover monitor that cannot be read keeps its previous entry and counts a failure, one that is
// gone is dropped; an unanswered replica set keeps its previous copy and counts a failure, and a
// set whose workflow does not run has no behind series.

import { Registry } from 'prom-client';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { registerClusterMetrics } from '../../metrics/clusterMetrics';
import { ClusterStateCache, temporalReaders } from '../../metrics/clusterState';
import { metricsApp } from '../../metrics/endpoint';
import type { MeridianConfig } from '../../config/schema';
import { fleetClusterState } from '../helpers/clusterStates';

type Behaviour = 'running' | 'closed' | 'missing' | 'unreachable' | 'unanswered';

/** A client whose workflow `id` behaves as `behaviours[id]` (missing when not listed) and answers `answers[id]`. */
function standInClient(behaviours: Record<string, Behaviour>, answers: Record<string, unknown>): Client {
  const getHandle = (id: string) => ({
    workflowId: id,
    async describe() {
      const behaviour = behaviours[id] ?? 'missing';
      if (behaviour === 'missing') throw new WorkflowNotFoundError(`${id} not found`, id, undefined);
      if (behaviour === 'unreachable') throw new Error('14 UNAVAILABLE: connection refused');
      return { status: { name: behaviour === 'closed' ? 'TERMINATED' : 'RUNNING' } };
    },
    // Temporal answers queries of closed workflows too: from their last state.
    async query() {
      if (behaviours[id] === 'unanswered') throw new Error('query timed out');
      return answers[id];
    },
  });
  return { workflow: { getHandle }, withDeadline: (_deadline: number, fn: () => Promise<unknown>) => fn() } as unknown as Client;
}

const NOW = Date.parse('2026-11-30T12:00:00Z');
const seeded = () => fleetClusterState({ now: NOW, sources: [{ source: 'maps', repository: 'main', snapshotCount: 3, lastGoodSnapshotAt: new Date(NOW).toISOString() }], repositories: [], slas: 1, sourcesPerSla: 1, failovers: 2, schedules: 0 });

const config = {
  failover: { 'site-0': {}, 'site-1': {} },
  replication: { 'site-0': { primary: 'site-0-eu', replicas: ['site-0-us'], mode: 'async' }, 'site-1': { primary: 'site-1-eu', replicas: ['site-1-us'], mode: 'async' } },
  repositories: Object.fromEntries(['site-0-eu', 'site-0-us', 'site-1-eu', 'site-1-us'].map((name) => [name, { url: `/srv/${name}` }])),
  schedules: {},
} as unknown as Pick<MeridianConfig, 'failover' | 'replication' | 'repositories' | 'schedules'>;

/** A cache seeded with a full state (as an earlier refresh left it), refreshed once over `client`. */
async function refreshedOver(client: Client) {
  const cache = new ClusterStateCache(temporalReaders(client, config));
  Object.assign(cache.state, seeded());
  cache.state.failures.replication = 0;
  await cache.refresh();
  return cache.state;
}

describe('the cluster state cache reading Temporal', () => {
  it('drops the sla-monitor state once the monitor no longer runs, though its last state still answers', async () => {
    const view = seeded().sla;
    expect((await refreshedOver(standInClient({ 'sla-monitor': 'running' }, { 'sla-monitor': view }))).sla).toEqual(view);
    const state = await refreshedOver(standInClient({ 'sla-monitor': 'closed' }, { 'sla-monitor': view }));
    expect(state.sla).toBeUndefined();
    expect(state.failures.sla).toBe(0);
  });

  it('keeps the previous copy and counts a failure when the sla-monitor cannot be read', async () => {
    const state = await refreshedOver(standInClient({ 'sla-monitor': 'unanswered' }, {}));
    expect(state.sla?.sources[0]?.source).toBe('maps');
    expect(state.failures.sla).toBe(1);
  });

  it('keeps a failover monitor that cannot be read and counts a failure; drops one that is gone', async () => {
    const previous = seeded().failovers['site-0'];
    const state = await refreshedOver(standInClient({ 'failover:site-0': 'unreachable' }, {}));
    expect(state.failovers['site-0']).toEqual(previous);
    expect(state.failovers['site-1']).toBeUndefined(); // failover:site-1 does not exist
    expect(state.failures.failover).toBe(1);
    expect(state.refreshedAt.failover).toBe(NOW);
  });

  it('keeps an unanswered replica set and counts a failure; a set whose workflow does not run has no behind series', async () => {
    const state = await refreshedOver(standInClient({ 'replication:site-0': 'unanswered', 'replication:site-1': 'closed' }, {}));
    expect(state.replication.find((set) => set.name === 'site-0')!.replicas[0]!.behind.bytes).toBe(4096);
    expect(state.failures.replication).toBe(1);
    const registry = new Registry();
    registerClusterMetrics(registry, () => state, () => NOW);
    const text = await (await metricsApp(registry).request('/metrics')).text();
    expect(text).toContain('meridian_replication_behind_bytes{replication="site-0",replica="site-0-us"} 4096');
    expect(text).not.toContain('replication="site-1"');
  });
});

// The worker's cluster access (worker/clusterReader.ts) against the real dev server and the real
// monitor and replication workflows, with stand-in activities: no monitor → no active region
// (the configured primary), the monitor's active region read by its query, a manual failover
// through its Update (the same update id twice is one switch), and replicateNow starting the
// set's workflow when it does not run.

import { Worker } from '@temporalio/worker';
import type { PassResult } from '../../core/replicationTypes';
import { clusterReader } from '../../worker/clusterReader';
import type { CheckRegionsInput, FailoverDescription, RegionHealth } from '../../workflows/failoverDefs';
import { failoverStatusQuery, failoverWorkflowId } from '../../workflows/failoverDefs';
import { replicationWorkflowId, type ReplicaSetDescription, type ReplicateInput } from '../../workflows/replicationDefs';
import { workflowBundle } from '../helpers/meridianWorker';
import { recordingNotifyEvent } from '../helpers/raisedEvents';
import { eventually, readUntil } from '../helpers/polling';
import { testConnection, TestConnection, uniqueTaskQueue } from '../helpers/temporal';

let t: TestConnection;
beforeAll(async () => {
  t = await testConnection();
});
afterAll(() => t.close());

const none = { files: 0, bytes: 0 };

/** Stand-in activities: both regions always healthy, every move a no-op, passes that copy nothing. */
function standIns(name: string, set: string) {
  const description: FailoverDescription = {
    name,
    replication: set,
    primaryRegion: 'eu',
    secondaryRegions: ['us'],
    autoFailover: true,
    autoFailback: false,
    intervalMs: 1000,
    failoverThreshold: 3,
    failbackThreshold: 5,
    probeTimeoutMs: 1000,
    members: { eu: 'main', us: 'copy-us' },
  };
  return {
    notifyEvent: recordingNotifyEvent().notifyEvent,
    describeFailover: async () => description,
    checkRegions: async ({ regions }: CheckRegionsInput): Promise<RegionHealth[]> => regions.map((region) => ({ region, healthy: true, probes: [], at: new Date().toISOString() })),
    regionLags: async () => [{ region: 'eu', lagSeconds: 0 }, { region: 'us', lagSeconds: 0 }],
    discoverRegions: async () => ({ writable: ['eu'], replicas: ['us'], unreachable: [] }),
    promoteRegion: async () => ({ promoted: true, unmerged: [] }),
    switchRegion: async () => ({ switched: true }),
    resyncRegion: async () => ({ copied: 0 }),
    catchUpRegion: async ({ region }: { region: string }) => ({ region, caughtUp: true, behindSnapshots: 0 }),
    describeReplicaSet: async (): Promise<ReplicaSetDescription> => ({ set, primary: 'main', replicas: ['copy-us'], retryFloorMs: 200 }),
    replicateToReplica: async ({ replica }: ReplicateInput): Promise<PassResult> => ({
      replica,
      kind: 'incremental',
      copied: { ...none, byType: { keys: 0, data: 0, index: 0, snapshots: 0, journal: 0, wal: 0 } },
      skippedPresent: 0,
      deleted: none,
      pending: none,
      behind: { ...none, snapshots: 0 },
      durationMs: 1,
    }),
  };
}

test('reads the active region from the monitor, switches it by an idempotent Update, and starts a set’s workflow for replicateNow', async () => {
  const taskQueue = uniqueTaskQueue('cluster-reader');
  const name = `dr-${taskQueue}`;
  const set = `set-${taskQueue}`;
  const worker = await Worker.create({ connection: t.connection, namespace: t.namespace, taskQueue, workflowBundle: await workflowBundle(), activities: standIns(name, set), shutdownGraceTime: '1s' });
  const cluster = clusterReader(t.client, taskQueue);

  await worker.runUntil(async () => {
    expect(await cluster.failoverView(name)).toBeUndefined();
    expect(await cluster.replicationState(set)).toBeUndefined();

    await t.client.workflow.start('failoverMonitorWorkflow', { taskQueue, workflowId: failoverWorkflowId(name), args: [{ name }] });
    // Until the monitor has read its entry it answers 'starting' (the worker's lookups retry that too).
    const first = await eventually('the monitor to read its entry', () => cluster.failoverView(name).catch((err: Error) => (/is starting/.test(err.message) ? undefined : Promise.reject(err))));
    expect(first).toEqual({ activeRegion: 'eu', needsResync: [] });
    // The Update's validator wants a target checked healthy: wait for the first check.
    const handle = t.client.workflow.getHandle(failoverWorkflowId(name));
    await readUntil('a first check of us', () => handle.query(failoverStatusQuery), (s) => s.regions.us !== undefined, 20_000);
    const accepted = await cluster.failover(name, { to: 'us', by: 'test', reason: 'drill' }, 'runbook:x:failover:1');
    expect(accepted).toMatchObject({ from: 'eu', to: 'us' });
    expect(await cluster.failover(name, { to: 'us', by: 'test', reason: 'drill' }, 'runbook:x:failover:1')).toEqual(accepted);
    expect(await cluster.failoverView(name)).toMatchObject({ activeRegion: 'us', needsResync: expect.any(Array) });

    const results = await cluster.replicateNow(set, false, 'runbook:x:replicate:1');
    expect(results.map((r) => r.replica)).toEqual(['copy-us']);
    expect(await cluster.replicationState(set)).toMatchObject({ set });
    await Promise.all([failoverWorkflowId(name), replicationWorkflowId(set)].map((id) => t.client.workflow.getHandle(id).terminate('test done')));
  });
});

// The set's workflow logic on the real dev server, with stand-in activities (the passes themselves
// are proven against real storage in replicationRuns.test.ts and the region tests): a failing
// replica is retried on the workflow's own timer, alone, until it recovers (raising one
// replication-failed event for the incident, not one per failed pass); a backup's request
// counts as lag for the replicas that do not hold it; after 100 passes the workflow continues as
// new with its state, and updates across it each get their pass.

import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import type { PassResult } from '../../core/replicationTypes';
import { replicateNowUpdate, replicateSignal, ReplicaSetDescription, ReplicateInput, ReplicationState, replicationStatusQuery, replicationWorkflowId } from '../../workflows/replicationDefs';
import { workflowBundle } from '../helpers/meridianWorker';
import { recordingNotifyEvent } from '../helpers/raisedEvents';
import { readUntil } from '../helpers/polling';
import { uniqueTaskQueue, useTestConnection } from '../helpers/temporal';

const scope = useTestConnection();
const { started } = scope;

/** Stand-ins for the replication activities: every call recorded; a replica in `down` fails as unreachable. */
class StandIns {
  readonly calls: string[] = [];
  readonly down = new Set<string>();
  /** describeReplicaSet fails (the failover monitor it asks does not answer). */
  describeFails = false;
  /** The events the workflow raised. */
  readonly raised = recordingNotifyEvent();

  constructor(private readonly replicas: string[]) {}

  activities() {
    return {
      notifyEvent: this.raised.notifyEvent,
      describeReplicaSet: async ({ set }: { set: string }): Promise<ReplicaSetDescription> => {
        if (this.describeFails) throw ApplicationFailure.create({ type: 'unexpected', message: 'failover monitor fo does not answer', nonRetryable: true });
        return { set, primary: 'primary', replicas: this.replicas, retryFloorMs: 200 };
      },
      replicateToReplica: async ({ replica }: ReplicateInput): Promise<PassResult> => {
        this.calls.push(replica);
        if (this.down.has(replica)) throw ApplicationFailure.create({ type: 'storage-unavailable', message: `storage unreachable: ${replica} is down`, nonRetryable: true });
        const none = { files: 0, bytes: 0 };
        return { replica, kind: 'incremental', copied: { ...none, byType: { keys: 0, data: 0, index: 0, snapshots: 0, journal: 0, wal: 0 } }, skippedPresent: 0, deleted: none, pending: none, behind: { ...none, snapshots: 0 }, durationMs: 1 };
      },
    };
  }

  count(replica: string): number {
    return this.calls.filter((name) => name === replica).length;
  }
}

async function withStandInWorker(standIns: StandIns, body: (taskQueue: string) => Promise<void>): Promise<void> {
  const taskQueue = uniqueTaskQueue('replication-workflow');
  const worker = await Worker.create({
    connection: scope.t.connection,
    namespace: scope.t.namespace,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: standIns.activities(),
    shutdownGraceTime: '1s',
  });
  await worker.runUntil(body(taskQueue));
}


function uniqueSet(): string {
  const set = `workflow-${uniqueTaskQueue('set')}`;
  started.push(replicationWorkflowId(set));
  return set;
}

test('a failing replica is retried alone on the workflow timer until it recovers, and backups count as its lag meanwhile', async () => {
  const standIns = new StandIns(['r1', 'r2']);
  standIns.down.add('r2');
  await withStandInWorker(standIns, async (taskQueue) => {
    const set = uniqueSet();
    const handle = await scope.t.client.workflow.start('replicationWorkflow', { taskQueue, workflowId: replicationWorkflowId(set), args: [{ set }] });
    const status = () => handle.query(replicationStatusQuery);
    const failing = await readUntil('r2 failing', status, (s) => s.replicas[1]?.state === 'failing', 30_000);
    expect(failing.replicas[0]).toMatchObject({ name: 'r1', state: 'idle', reachable: true });
    expect(failing.replicas[1]).toMatchObject({ name: 'r2', reachable: false, lastError: { message: 'storage unreachable: r2 is down' } });

    const committedAt = '2026-11-30T08:00:00.000Z';
    await handle.signal(replicateSignal, { reason: 'backup', snapshotId: 'a'.repeat(64), committedAt, bytesAdded: 1000, heldBy: ['r1'] });
    // The pass this request asks for copies nothing new to r1 and fails on r2 again; r2 stays one snapshot behind.
    const behind = await readUntil('the backup counted for r2', status, (s) => s.replicas[1]!.behind.snapshots === 1 && standIns.count('r1') >= 2, 30_000);
    expect(behind.replicas[1]!.behind).toMatchObject({ snapshots: 1, bytes: 1000, oldestMissingAt: committedAt, newestMissingAt: committedAt });
    expect(behind.replicas[0]!.behind.snapshots).toBe(0);

    // No more requests: the timer alone tries r2 again, and r2 only.
    const r1Passes = standIns.count('r1');
    const r2Passes = standIns.count('r2');
    await readUntil('a retry of r2', async () => standIns.count('r2'), (n) => n > r2Passes, 30_000);
    expect(standIns.count('r1')).toBe(r1Passes);

    standIns.down.delete('r2');
    const recovered = await readUntil('r2 idle', status, (s) => s.replicas[1]!.state === 'idle', 30_000);
    expect(recovered.replicas[1]).toMatchObject({ reachable: true, behind: { snapshots: 0 } });
    expect(recovered.replicas[1]!.lastError).toBeUndefined();
    expect(recovered.replicas[1]!.lastSuccessAt).toBeDefined();
    // r2 failed in three passes or more: one incident, one replication-failed event.
    expect(standIns.raised.events).toEqual([expect.objectContaining({ kind: 'replication-failed', severity: 'warning', subject: set, details: expect.objectContaining({ replica: 'r2', pass: 1 }) })]);
  });
});

test('after 100 passes the workflow continues as new with its state, and every update across it gets its pass', async () => {
  const standIns = new StandIns(['r1']);
  await withStandInWorker(standIns, async (taskQueue) => {
    const set = uniqueSet();
    const workflowId = replicationWorkflowId(set);
    const handle = await scope.t.client.workflow.start('replicationWorkflow', { taskQueue, workflowId, args: [{ set }] });
    const firstRunId = handle.firstExecutionRunId;
    await readUntil('the first pass', () => handle.query(replicationStatusQuery), (s) => s.passes === 1, 30_000);
    for (let pass = 2; pass <= 101; pass++) {
      const [result] = await handle.executeUpdate(replicateNowUpdate, { args: [{}] });
      expect(result).toMatchObject({ replica: 'r1' });
    }
    const state: ReplicationState = await handle.query(replicationStatusQuery);
    expect(state).toMatchObject({ set, passes: 101, replicas: [{ name: 'r1', state: 'idle', reachable: true }] });
    const runs = [];
    for await (const execution of scope.t.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) runs.push(execution);
    expect(runs.map((run) => run.status.name).sort()).toEqual(['CONTINUED_AS_NEW', 'RUNNING']);
    expect((await handle.describe()).runId).not.toBe(firstRunId);
    expect(standIns.count('r1')).toBe(101);
  });
});

test('a pass whose description of the set fails keeps the last one: the workflow goes on and the next pass describes again', async () => {
  const standIns = new StandIns(['r1']);
  await withStandInWorker(standIns, async (taskQueue) => {
    const set = uniqueSet();
    const handle = await scope.t.client.workflow.start('replicationWorkflow', { taskQueue, workflowId: replicationWorkflowId(set), args: [{ set }] });
    await readUntil('the first pass', () => handle.query(replicationStatusQuery), (s) => s.passes === 1, 30_000);
    standIns.describeFails = true;
    const [during] = await handle.executeUpdate(replicateNowUpdate, { args: [{}] });
    expect(during).toMatchObject({ replica: 'r1' });
    expect((await handle.describe()).status.name).toBe('RUNNING');
    standIns.describeFails = false;
    await handle.executeUpdate(replicateNowUpdate, { args: [{}] });
    expect(await handle.query(replicationStatusQuery)).toMatchObject({ passes: 3, replicas: [{ name: 'r1', state: 'idle' }] });
  });
});

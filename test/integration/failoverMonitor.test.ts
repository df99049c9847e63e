// The failover monitor on the real dev server. With stand-in activities (the rules are proven in
// test/unit/failoverLogic.test.ts; here the workflow around them): an automatic failover and the
// re-sync of the returned region, autoFailback's catch-up and graceful switch back, a failed switch,
// and three runs' worth of check intervals across continue-as-new with each run's history
// bounded. With real regions behind fault proxies and a real worker: a flapping primary moves
// nothing, a lagging secondary blocks the automatic failover until a manual one, and rejected
// Updates leave no trace.

import { WorkflowHandle, WorkflowUpdateStage } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { SEARCH_ATTRIBUTES } from '../../workflows/catalog';
import { CatchUpResult, CheckRegionsInput, DiscoveredRegions, FAILOVER_DIGEST_MEMO, FailoverDescription, failbackUpdate, FailoverState, failoverStatusQuery, failoverUpdate, failoverWorkflowId, ManualFailoverRequest, PromoteResult, RegionHealth, RegionInput, RegionLag, reloadFailoverSignal, SwitchInput } from '../../workflows/failoverDefs';
import { INTERVALS_PER_RUN } from '../../workflows/failover';
import { z } from 'zod';
import { FailoverEntrySchema, ReplicationEntrySchema } from '../../config/schema';
import { acquireLock, readLockFolder } from '../../core/locks';
import { repositoryLocationKey } from '../../storage/open';
import { configuredAuthority } from '../../worker/authority';
import type { WorkerConfig } from '../../worker/workerConfig';
import { replicateSignal, replicationStatusQuery, replicationWorkflowId } from '../../workflows/replicationDefs';
import { RunningWorker, startWorker, workflowBundle } from '../helpers/meridianWorker';
import { recordingNotifyEvent } from '../helpers/raisedEvents';
import { initReplicas, Regions, RegionsHome, regionsHome, startRegions } from '../helpers/regions';
import { readUntil } from '../helpers/polling';
import { runLengths } from '../helpers/runChain';
import { parseConfig } from '../../config/load';
import { MANAGED_BY } from '../../schedules/applyPlan';
import { executeFailoverMonitors, planFailoverMonitors } from '../../schedules/failoverMonitors';
import { uniqueTaskQueue, useTestConnection } from '../helpers/temporal';

const scope = useTestConnection();
const { started } = scope;

/** Stand-ins for the failover activities: regions in `down` check unhealthy; every switch recorded. */
class StandIns {
  readonly down = new Set<string>();
  readonly switches: string[] = [];
  /** Catch-up passes that still find the region behind before one catches it up. */
  behindPasses = 0;
  /** Activities that fail (a region that cannot be written). */
  readonly failing = new Set<'promoteRegion' | 'switchRegion'>();
  /** A graceful switch fails because its source went down meanwhile. */
  sourceDiesInSwitch = false;
  /** describeFailover calls that fail (retryably) before one answers. */
  describeFailures = 0;
  /** The regions a promotion could not merge from. */
  unmerged: string[] = [];
  /** A graceful switch waits for this first (a switch in progress). */
  hold: Promise<void> = Promise.resolve();
  /** What discoverRegions finds: by default the primary writable, the secondaries replicas. */
  discovered: DiscoveredRegions;
  /** The events the monitor raised. */
  readonly raised = recordingNotifyEvent();

  constructor(private readonly description: Omit<FailoverDescription, 'name'>) {
    this.discovered = { writable: [description.primaryRegion], replicas: description.secondaryRegions, unreachable: [] };
  }

  activities() {
    return {
      notifyEvent: this.raised.notifyEvent,
      describeFailover: async ({ name }: { name: string }): Promise<FailoverDescription> => {
        if (this.describeFailures > 0) {
          this.describeFailures -= 1;
          throw ApplicationFailure.create({ type: 'unexpected', message: 'configuration not readable yet' });
        }
        return { ...this.description, name };
      },
      checkRegions: async ({ regions }: CheckRegionsInput): Promise<RegionHealth[]> =>
        regions.map((region) => {
          const healthy = !this.down.has(region);
          const probe = { kind: 'storage' as const, target: `repo-${region}`, healthy, latencyMs: 1, ...(healthy ? {} : { reason: `repo-${region}: connection refused` }) };
          return { region, healthy, ...(healthy ? {} : { reason: probe.reason }), probes: [probe], at: new Date().toISOString() };
        }),
      discoverRegions: async (): Promise<DiscoveredRegions> => this.discovered,
      regionLags: async (): Promise<RegionLag[]> => this.description.secondaryRegions.map((region) => ({ region, lagSeconds: 0 })),
      promoteRegion: async ({ from, to }: SwitchInput): Promise<PromoteResult> => {
        this.move('promoteRegion', `promote ${from}->${to}`);
        return { promoted: true, unmerged: this.unmerged };
      },
      switchRegion: async ({ from, to }: SwitchInput) => {
        await this.hold;
        if (this.sourceDiesInSwitch) {
          this.down.add(from);
          throw ApplicationFailure.create({ type: 'storage-unavailable', message: `${from} stopped answering`, nonRetryable: true });
        }
        this.move('switchRegion', `switch ${from}->${to}`);
      },
      resyncRegion: async ({ region }: RegionInput) => void this.switches.push(`resync ${region}`),
      catchUpRegion: async ({ region }: RegionInput): Promise<CatchUpResult> => {
        this.switches.push(`catch-up ${region}`);
        const behind = this.behindPasses > 0;
        if (behind) this.behindPasses -= 1;
        return { region, caughtUp: !behind, behindSnapshots: behind ? 1 : 0 };
      },
    };
  }

  private move(activity: 'promoteRegion' | 'switchRegion', what: string): void {
    if (this.failing.has(activity)) throw ApplicationFailure.create({ type: 'storage-unavailable', message: `${what}: storage unreachable`, nonRetryable: true });
    this.switches.push(what);
  }
}

const DESCRIPTION: Omit<FailoverDescription, 'name'> = {
  replication: 'standin-set',
  primaryRegion: 'eu',
  secondaryRegions: ['us', 'ap'],
  autoFailover: true,
  autoFailback: false,
  intervalMs: 200,
  failoverThreshold: 3,
  failbackThreshold: 3,
  probeTimeoutMs: 1000,
  members: { eu: 'repo-eu', us: 'repo-us', ap: 'repo-ap' },
};

async function withStandInWorker(standIns: StandIns, body: (taskQueue: string) => Promise<void>): Promise<void> {
  const taskQueue = uniqueTaskQueue('failover-monitor');
  const worker = await Worker.create({ connection: scope.t.connection, namespace: scope.t.namespace, taskQueue, workflowBundle: await workflowBundle(), activities: standIns.activities(), shutdownGraceTime: '1s' });
  await worker.runUntil(body(taskQueue));
}

async function startMonitor(taskQueue: string, memo?: Record<string, unknown>): Promise<{ name: string; handle: WorkflowHandle; status: () => Promise<FailoverState> }> {
  const name = uniqueTaskQueue('monitor');
  const workflowId = failoverWorkflowId(name);
  started.push(workflowId);
  const handle = await scope.t.client.workflow.start('failoverMonitorWorkflow', { taskQueue, workflowId, args: [{ name }], ...(memo ? { memo } : {}) });
  return { name, handle, status: () => scope.t.client.workflow.getHandle(workflowId).query(failoverStatusQuery) };
}

test('stand-ins: the primary failing threshold times in a row is promoted away from (with a member the promotion could not merge from), then both are re-synced when they return', async () => {
  const standIns = new StandIns(DESCRIPTION);
  await withStandInWorker(standIns, async (taskQueue) => {
    const { name, status } = await startMonitor(taskQueue);
    await readUntil('a first check', status, (s) => s.checks >= 1);
    standIns.down.add('eu');
    standIns.unmerged = ['ap'];
    standIns.down.add('ap');
    const failed = await readUntil('failover to us', status, (s) => s.activeRegion === 'us');
    expect(failed.events[0]).toMatchObject({ id: `${name}-${failed.token}-1`, kind: 'failover', from: 'eu', to: 'us', trigger: 'automatic', lagSeconds: 0, failedChecks: [{ target: 'repo-eu', healthy: false }] });
    // ap could not be merged into us: it is re-synced too before it is a replica again.
    expect(failed.needsResync).toEqual(['eu', 'ap']);
    standIns.down.delete('eu');
    standIns.down.delete('ap');
    const resynced = await readUntil('eu and ap re-synced', status, (s) => s.needsResync.length === 0 && s.events.some((e) => e.kind === 'failback-possible'));
    expect(resynced.events.map((e) => e.kind)).toEqual(['failover', 'resynced', 'resynced', 'failback-possible']);
    expect(standIns.switches).toEqual(['promote eu->us', 'resync eu', 'resync ap']);
    // Operators are told of the failover, once; re-syncs and failback-possible show in the status only.
    expect(standIns.raised.events).toEqual([expect.objectContaining({ id: `failover:${name}:${name}-${failed.token}-1`, kind: 'failover', severity: 'critical', subject: name, details: { from: 'eu', to: 'us', trigger: 'automatic', lagSeconds: 0 } })]);
  });
});

test('stand-ins: with autoFailback the re-synced primary is caught up (one pass per interval) and switched back to gracefully', async () => {
  const standIns = new StandIns({ ...DESCRIPTION, autoFailback: true, failbackThreshold: 2 });
  standIns.behindPasses = 2;
  await withStandInWorker(standIns, async (taskQueue) => {
    const { name, status } = await startMonitor(taskQueue);
    standIns.down.add('eu');
    await readUntil('failover to us', status, (s) => s.activeRegion === 'us');
    standIns.down.delete('eu');
    const back = await readUntil('failback to eu', status, (s) => s.activeRegion === 'eu');
    expect(back.events.map((e) => [e.kind, e.from, e.to, e.trigger])).toEqual([
      ['failover', 'eu', 'us', 'automatic'],
      ['resynced', 'eu', 'us', 'automatic'],
      ['failback', 'us', 'eu', 'automatic'],
    ]);
    expect(back.events[2]!.id).toBe(`${name}-${back.token}-3`);
    expect(standIns.switches).toEqual(['promote eu->us', 'resync eu', 'catch-up eu', 'catch-up eu', 'catch-up eu', 'switch us->eu']);
    expect(back.needsResync).toEqual([]);
  });
});

test('stand-ins: a graceful switch that fails leaves the active region (made writable again), records switch-failed and fails the Update', async () => {
  const standIns = new StandIns(DESCRIPTION);
  standIns.failing.add('switchRegion');
  await withStandInWorker(standIns, async (taskQueue) => {
    const { handle, status } = await startMonitor(taskQueue);
    await readUntil('us checked', status, (s) => s.regions.us?.healthy === true);
    await expect(handle.executeUpdate(failoverUpdate, { args: [{ to: 'us' }] })).rejects.toMatchObject({ cause: { message: 'failover from eu to us failed: switch eu->us: storage unreachable' } });
    const after = await status();
    expect(after).toMatchObject({ activeRegion: 'eu', needsResync: [] });
    expect(after.switching).toBeUndefined();
    expect(after.events).toEqual([expect.objectContaining({ kind: 'switch-failed', from: 'eu', to: 'us', trigger: 'manual' })]);
    // eu promoted again, in case the switch demoted it and could not undo that.
    expect(standIns.switches).toEqual(['promote us->eu']);
  });
});

test('stand-ins: a graceful switch whose source dies meanwhile becomes a forced promotion of the target (one failover event)', async () => {
  const standIns = new StandIns(DESCRIPTION);
  standIns.sourceDiesInSwitch = true;
  await withStandInWorker(standIns, async (taskQueue) => {
    const { name, handle, status } = await startMonitor(taskQueue);
    await readUntil('us checked', status, (s) => s.regions.us?.healthy === true);
    expect(await handle.executeUpdate(failoverUpdate, { args: [{ to: 'us' }] })).toEqual({ eventId: `${name}-${(await status()).token}-1`, from: 'eu', to: 'us' });
    const after = await status();
    expect(after).toMatchObject({ activeRegion: 'us', needsResync: ['eu'] });
    expect(after.events).toEqual([expect.objectContaining({ kind: 'failover', from: 'eu', to: 'us', trigger: 'manual', reason: 'manual failover to us; the graceful switch failed (eu stopped answering) and eu is unhealthy now: us promoted without it' })]);
    expect(standIns.switches).toEqual(['promote eu->us']);
  });
});

// (Its 'starting' answer is not asserted: retries this short run inside one workflow task, which a query waits for.)
test('stand-ins: a monitor whose entry cannot be read yet keeps trying past the lookups\' 3 attempts, then runs', async () => {
  const standIns = new StandIns(DESCRIPTION);
  standIns.describeFailures = 4;
  await withStandInWorker(standIns, async (taskQueue) => {
    const { status } = await startMonitor(taskQueue);
    await readUntil('a first check', status, (s) => s.checks >= 1, 60_000);
    expect(standIns.describeFailures).toBe(0);
  });
});

test('stand-ins: a monitor started fresh takes the writable member as active (eu unreachable, us promoted earlier)', async () => {
  const standIns = new StandIns(DESCRIPTION);
  standIns.discovered = { writable: ['us'], replicas: ['ap'], unreachable: ['eu'] };
  await withStandInWorker(standIns, async (taskQueue) => {
    const { status } = await startMonitor(taskQueue);
    const first = await readUntil('a first check', status, (s) => s.checks >= 1);
    expect(first).toMatchObject({ activeRegion: 'us', needsResync: [], events: [] });
  });
});

test('stand-ins: a monitor started fresh with two writable members waits for a person and raises failover-blocked once', async () => {
  const standIns = new StandIns(DESCRIPTION);
  standIns.discovered = { writable: ['eu', 'us'], replicas: ['ap'], unreachable: [] };
  await withStandInWorker(standIns, async (taskQueue) => {
    const { name, status } = await startMonitor(taskQueue);
    const blocked = await readUntil('a few checks', status, (s) => s.checks >= 3);
    expect(blocked).toMatchObject({ activeRegion: 'eu', awaitingDecision: { eventId: `${name}-${blocked.token}-1`, writable: ['eu', 'us'] } });
    expect(blocked.events).toEqual([expect.objectContaining({ id: `${name}-${blocked.token}-1`, kind: 'failover-blocked', from: 'eu', to: 'us' })]);
    expect(standIns.raised.events).toEqual([expect.objectContaining({ id: `failover:${name}:${name}-${blocked.token}-1`, kind: 'failover-blocked', severity: 'critical', subject: name })]);
  });
});

test('stand-ins: meridian apply keeps the monitor of a removed entry while a switch is in progress, and stops it after', async () => {
  const standIns = new StandIns(DESCRIPTION);
  let release = () => {};
  standIns.hold = new Promise((resolve) => (release = resolve));
  await withStandInWorker(standIns, async (taskQueue) => {
    const configFile = `/nowhere/${uniqueTaskQueue('apply')}.yaml`;
    const { name, handle, status } = await startMonitor(taskQueue, { managedBy: MANAGED_BY, config: configFile });
    await readUntil('us checked', status, (s) => s.regions.us?.healthy === true);
    const update = await handle.startUpdate(failoverUpdate, { args: [{ to: 'us' }], waitForStage: WorkflowUpdateStage.ACCEPTED });
    await readUntil('the switch in progress', status, (s) => s.switching?.to === 'us');
    // The entry is gone from the file (visibility lists the running monitor after a moment).
    const emptied = parseConfig('', configFile);
    const kept = await readUntil('the monitor planned', () => planFailoverMonitors(scope.t.client, emptied, configFile), (plan) => plan.length === 1);
    expect(kept).toEqual([{ name, workflowId: failoverWorkflowId(name), action: 'keep', why: 'its entry is no longer in meridian.yaml, but a failover from eu to us is in progress: not stopped, apply again once it is done' }]);
    await executeFailoverMonitors(scope.t.client, kept, taskQueue, configFile);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    release();
    expect(await update.result()).toMatchObject({ from: 'eu', to: 'us' });
    expect(await planFailoverMonitors(scope.t.client, emptied, configFile)).toEqual([expect.objectContaining({ name, action: 'stop' })]);
  });
});

// Three runs' worth: two continue-as-new, the second from a run that was itself continued, which
// is every transition there is (more runs repeat the second one).
const CHECKS_ACROSS_RUNS = 3 * INTERVALS_PER_RUN;

test(`stand-ins: over ${CHECKS_ACROSS_RUNS} check intervals the monitor continues as new with its state, each run history bounded`, async () => {
  // 1 ms: each check follows the last at once (the dev server fires timers about once a second, too slow for hundreds).
  const standIns = new StandIns({ ...DESCRIPTION, intervalMs: 1 });
  await withStandInWorker(standIns, async (taskQueue) => {
    const { handle, status } = await startMonitor(taskQueue);
    // What `meridian apply` sends: the digest stays in the memo across continue-as-new.
    await handle.signal(reloadFailoverSignal, { digest: 'applied-digest' });
    const after = await readUntil(`${CHECKS_ACROSS_RUNS} checks`, status, (s) => s.checks >= CHECKS_ACROSS_RUNS, 300_000, 1000);
    expect(after.activeRegion).toBe('eu');
    const current = await handle.describe();
    expect(current.memo).toMatchObject({ [FAILOVER_DIGEST_MEMO]: 'applied-digest', operation: 'failover', repository: 'standin-set' });
    expect(current.searchAttributes).toMatchObject({ [SEARCH_ATTRIBUTES.operation]: ['failover'], [SEARCH_ATTRIBUTES.repository]: ['standin-set'] });

    // Walk the run chain back from the current run: every earlier run continued as new after INTERVALS_PER_RUN intervals.
    const runs = await runLengths(scope.t.client, handle);
    expect(runs.length).toBeGreaterThanOrEqual(3);
    // A run: one activity and one timer per interval, a few events each.
    for (const length of runs) expect(length).toBeLessThan(INTERVALS_PER_RUN * 15);
  });
});

describe('real regions', () => {
  // Two replica sets over three real regions (eu SeaweedFS, us fake-gcs-server, ap Azurite), each
  // region behind its own fault proxy, served by one real worker; each set has its own monitor.
  const suffix = Date.now().toString(36).slice(-5);
  const SETS = { flap: `fo-flap-${suffix}`, lag: `fo-lag-${suffix}` };
  const ENTRIES: Record<keyof typeof SETS, Partial<z.input<typeof FailoverEntrySchema>>> = {
    flap: { failoverThreshold: 2 },
    lag: { failoverThreshold: 2, maxLagOnFailoverSeconds: 60 },
  };
  const regions = {} as Record<keyof typeof SETS, Regions>;
  let home: RegionsHome;
  let worker: RunningWorker | undefined;

  beforeAll(async () => {
    home = regionsHome('failover-monitor');
    for (const key of Object.keys(SETS) as (keyof typeof SETS)[]) {
      regions[key] = await startRegions(home, { set: SETS[key] });
      await initReplicas(regions[key]);
    }
    const all = Object.values(regions);
    const config: WorkerConfig = {
      repositories: all.flatMap((r) => r.all.map((region) => ({ name: region.repository, url: region.url, key: repositoryLocationKey(region.url) }))),
      sourceRoots: [],
      restoreRoots: [],
      origin: { kind: 'command' },
      replication: {
        sets: Object.fromEntries(all.map((r) => [r.options.set, ReplicationEntrySchema.parse({ primary: r.primary.repository, replicas: r.replicas.map((region) => region.repository), deleteGraceHours: 0 })])),
        regions: Object.fromEntries(all.flatMap((r) => r.all.map((region) => [region.repository, region.name]))),
        failover: Object.fromEntries(
          (Object.keys(SETS) as (keyof typeof SETS)[]).map((key) => [
            SETS[key],
            // A down region's probe gives up after 500 ms, well inside the 1 s interval.
            FailoverEntrySchema.parse({ replication: SETS[key], primaryRegion: 'eu', secondaryRegions: ['us', 'ap'], healthCheckIntervalSecs: 1, probeTimeout: '500ms', ...ENTRIES[key] }),
          ]),
        ),
        retryFloorMs: 1000,
      },
    };
    worker = await startWorker(scope.t, home.passphrase, uniqueTaskQueue('failover-regions'), { workerConfig: config, authority: configuredAuthority(config, { passphrase: home.passphrase }) });
  });

  afterAll(async () => {
    await worker?.stop();
    await Promise.all(Object.values(regions).map((r) => r.close()));
  });

  async function startRegionMonitor(key: keyof typeof SETS) {
    const name = SETS[key];
    const workflowId = failoverWorkflowId(name);
    started.push(workflowId, replicationWorkflowId(name));
    const handle = await scope.t.client.workflow.start('failoverMonitorWorkflow', { taskQueue: worker!.taskQueue, workflowId, args: [{ name }] });
    const status = () => handle.query(failoverStatusQuery);
    await readUntil(`every region of ${name} checked healthy`, status, (s) => ['eu', 'us', 'ap'].every((region) => s.regions[region]?.healthy === true));
    return { handle, status };
  }

  /** The Update requests the monitor accepted, from its history (a rejected one leaves none). */
  async function acceptedUpdates(handle: WorkflowHandle): Promise<string[]> {
    const history = await handle.fetchHistory();
    return (history.events ?? []).flatMap((event) => {
      const accepted = event.workflowExecutionUpdateAcceptedEventAttributes;
      return accepted ? [String(accepted.acceptedRequest?.input?.name)] : [];
    });
  }

  // Ten intervals: with failoverThreshold 2, any rule that counted failures other than in a row
  // would fail over by the second down check; five of them, each reset by an up one, show it does not.
  test('a primary down one interval and up the next, for 10 intervals, fails over nothing; bad manual requests are rejected without a trace', async () => {
    const r = regions.flap;
    const { handle, status } = await startRegionMonitor('flap');
    const seen: boolean[] = [];
    let last = (await status()).checks;
    r.primary.down();
    // Each check observed, the primary is flipped for the next one.
    while (seen.length < 10) {
      const s = await readUntil('the next check', status, (state) => state.checks > last, 30_000, 50);
      expect(s.checks).toBe(last + 1);
      last = s.checks;
      const healthy = s.regions.eu!.healthy;
      seen.push(healthy);
      if (healthy) r.primary.down();
      else r.primary.up();
      expect({ active: s.activeRegion, events: s.events }).toEqual({ active: 'eu', events: [] });
    }
    r.primary.up();
    expect(seen.filter((healthy) => !healthy).length).toBe(5);
    expect(seen.every((healthy, i) => i === 0 || healthy !== seen[i - 1])).toBe(true);

    await readUntil('eu healthy again', status, (s) => s.regions.eu?.healthy === true);
    const update = (request: ManualFailoverRequest) => handle.executeUpdate(failoverUpdate, { args: [request] });
    await expect(update({ to: 'mars' })).rejects.toMatchObject({ cause: { message: `"mars" is not a region of failover ${SETS.flap} (its regions: eu, us, ap)` } });
    await expect(update({ to: 'eu' })).rejects.toMatchObject({ cause: { message: `eu is already the active region of failover ${SETS.flap}` } });
    await expect(handle.executeUpdate(failbackUpdate, { args: [{}] })).rejects.toMatchObject({ cause: { message: `eu is already the active region of failover ${SETS.flap}` } });

    // A switch held up by a lock on its target: a second request meanwhile is rejected as well.
    const us = await r.open(r.byName('us'));
    const lock = await acquireLock(us, { operation: 'test-hold', exclusive: true });
    let held = true;
    try {
      const first = await handle.startUpdate(failoverUpdate, { args: [{ to: 'us', by: 'tester' }], waitForStage: WorkflowUpdateStage.ACCEPTED });
      await readUntil('the switch in progress', status, (s) => s.switching?.to === 'us');
      await expect(update({ to: 'ap' })).rejects.toMatchObject({ cause: { message: `a failover from eu to us is in progress` } });
      await lock.release();
      held = false;
      const accepted = await first.result();
      expect(accepted).toEqual({ eventId: `${SETS.flap}-${(await status()).token}-1`, from: 'eu', to: 'us' });
    } finally {
      if (held) await lock.release();
      await us.storage.close();
    }
    const after = await status();
    expect(after).toMatchObject({ activeRegion: 'us', needsResync: [] });
    expect(after.events).toEqual([expect.objectContaining({ id: `${SETS.flap}-${after.token}-1`, kind: 'failover', from: 'eu', to: 'us', trigger: 'manual', by: 'tester' })]);
    expect(await acceptedUpdates(handle)).toEqual(['failover']);
  });

  test('a secondary lagging more than maxLagOnFailoverSeconds: no automatic failover but one failover-blocked event, then the manual failover works', async () => {
    const r = regions.lag;
    const set = replicationWorkflowId(SETS.lag);
    await scope.t.client.workflow.start('replicationWorkflow', { taskQueue: worker!.taskQueue, workflowId: set, args: [{ set: SETS.lag }] });
    await readUntil('the replicas caught up', () => scope.t.client.workflow.getHandle(set).query(replicationStatusQuery), (s) => s.replicas.length === 2 && s.replicas.every((replica) => replica.state === 'idle'));
    const { handle, status } = await startRegionMonitor('lag');

    // The primary fails; a backup committed 10 minutes ago never reached the replicas (the pass cannot read the primary).
    r.primary.down();
    const committedAt = new Date(Date.now() - 600_000).toISOString();
    await scope.t.client.workflow.getHandle(set).signal(replicateSignal, { reason: 'backup', snapshotId: 'never-replicated', committedAt });
    const blocked = await readUntil('a failover-blocked event', status, (s) => s.events.length > 0, 60_000);
    expect(blocked.activeRegion).toBe('eu');
    expect(blocked.events).toEqual([expect.objectContaining({ kind: 'failover-blocked', from: 'eu', to: 'us', trigger: 'automatic' })]);
    expect(blocked.events[0]!.lagSeconds).toBeGreaterThanOrEqual(600);
    expect(blocked.events[0]!.reason).toMatch(/^eu failed 2 checks in a row; no region to fail over to: us lags \d+s > 60s, ap lags \d+s > 60s$/);
    expect(blocked.awaitingDecision).toMatchObject({ eventId: blocked.events[0]!.id });
    // More failed checks of the same incident: still one event, still eu.
    const later = await readUntil('two more checks', status, (s) => s.checks >= blocked.checks + 2);
    expect({ active: later.activeRegion, events: later.events.length, failures: later.consecutiveFailures >= 4 }).toEqual({ active: 'eu', events: 1, failures: true });

    const accepted = await handle.executeUpdate(failoverUpdate, { args: [{ to: 'us', by: 'operator', reason: 'lag accepted' }] });
    expect(accepted).toEqual({ eventId: `${SETS.lag}-${blocked.token}-2`, from: 'eu', to: 'us' });
    const moved = await status();
    expect(moved).toMatchObject({ activeRegion: 'us', needsResync: ['eu'] });
    expect(moved.awaitingDecision).toBeUndefined();
    expect(moved.events[1]).toMatchObject({ id: accepted.eventId, kind: 'failover', from: 'eu', to: 'us', trigger: 'manual', by: 'operator', reason: 'lag accepted' });
    // us was promoted: writable, no replica-state document left.
    const us = await r.open(r.byName('us'));
    try {
      expect((await readLockFolder(us)).documents.map((d) => d.kind)).not.toContain('replica-state');
    } finally {
      await us.storage.close();
    }
    r.primary.up();
  });
});

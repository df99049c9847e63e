// The outage drill against real servers: two regions, each its own SeaweedFS server behind a
// fault proxy, one replica set over them with a failover entry (1 s checks), a real `meridian
// worker` and the monitor on the real Temporal dev server. The primary region's server is killed:
// the monitor fails over within the bound its settings give (threshold × interval + probe timeout
// + a few seconds), backups named by the configured primary go to the secondary and complete; the
// server starts again on its data: the region is re-synced and, with autoFailback, active again
// after failbackThreshold healthy checks (without it: failback-possible, then the failback Update).
// No snapshot is lost and each restores to the tree it was taken of. Last, an operator's drill:
// with autoFailover off, the built-in datacenter-failover runbook is run from the CLI, tracked
// from the CLI and the API, approved from both, moves the set out of the dead region, and is found
// in Temporal's visibility as the UI filters it. The measured times (for the README's table) are
// printed on one line when the file ends.

import fs from 'node:fs';
import path from 'node:path';
import { WorkflowHandle } from '@temporalio/client';
import { createApiApp } from '../../api/app';
import { startOperation } from '../../api/operations';
import { loadConfig } from '../../config/load';
import { FAILOVER_MONITOR_WORKFLOW } from '../../schedules/failoverMonitors';
import { SEARCH_ATTRIBUTES } from '../../workflows/catalog';
import { RunbookExecutionState, StepState } from '../../workflows/runbookDefs';
import { BackupOutput, RanOn } from '../../workflows/shared';
import { FailoverEvent, FailoverEventKind, FailoverState, failbackUpdate, failoverStatusQuery, failoverWorkflowId } from '../../workflows/failoverDefs';
import { createDrillSet, DrillServers, DrillSet, startDrillServers, writeDrillConfig } from '../helpers/drillRegions';
import { meridianEnv, MeridianWorkerProcess, parseJson, runMeridian, startMeridianWorker } from '../helpers/meridianCli';
import { testAuthority } from '../helpers/meridianWorker';
import { eventually, readUntil } from '../helpers/polling';
import { RegionsHome, regionsHome } from '../helpers/regions';
import { testConnection, TestConnection } from '../helpers/temporal';
import { describeTree, expectSameTree, pseudoRandomBytes } from '../helpers/trees';

/** The bound's "few seconds": a check's round trip through Temporal and the switch's own storage calls. */
const FEW_SECONDS_MS = 5_000;
/** A probe timeout within the interval: checks start one interval apart (the bound's premise), a slow one delays the next. */
const SETTINGS = { healthCheckIntervalSecs: 1, failoverThreshold: 2, failbackThreshold: 3, probeTimeoutMs: 1_000 };
const suffix = Date.now().toString(36).slice(-4);
/** The named API token of the runbook case (its name, oncall-lead, is the approver's identity). */
const API_TOKEN = `drill-${suffix}-0123456789abcdef`;

let t: TestConnection;
let home: RegionsHome;
let servers: DrillServers;
let env: NodeJS.ProcessEnv;
let worker: MeridianWorkerProcess | undefined;
let autoSet: DrillSet;
let manualSet: DrillSet;
let runbookSet: DrillSet;
const monitors: WorkflowHandle[] = [];
const measured: Record<string, number> = {};

/** Failover happens within failoverThreshold × interval + probe timeout + a few seconds of the stop. */
const failoverBoundMs = (set: DrillSet) => set.failover.failoverThreshold * set.failover.healthCheckIntervalSecs * 1000 + set.failover.probeTimeoutMs + FEW_SECONDS_MS;

beforeAll(async () => {
  t = await testConnection();
  home = regionsHome('drill');
  servers = await startDrillServers(home, ['eu', 'us']);
  autoSet = await createDrillSet(servers, `drill-auto-${suffix}`, { ...SETTINGS, autoFailback: true });
  manualSet = await createDrillSet(servers, `drill-manual-${suffix}`, { ...SETTINGS, autoFailback: false });
  runbookSet = await createDrillSet(servers, `drill-runbook-${suffix}`, { ...SETTINGS, autoFailover: false, autoFailback: false });
  writeDrillConfig(home, [autoSet, manualSet, runbookSet]);
  env = { ...meridianEnv(home.dir, 'drill', home.passphrase), MERIDIAN_CONFIG: home.configFile, MERIDIAN_REPLICATION_RETRY_SECONDS: '1' };
  worker = await startMeridianWorker(env);
}, 180_000);

// A failed drill leaves no region down for the next.
afterEach(async () => {
  for (const server of servers?.servers ?? []) if (!server.running()) await server.start();
}, 60_000);

afterAll(async () => {
  for (const monitor of monitors) await monitor.terminate('drill done').catch(() => undefined);
  await worker?.stop();
  await servers?.close();
  await t?.close();
  if (Object.keys(measured).length > 0) console.log(`outage drill measured (ms): ${JSON.stringify(measured)}`);
}, 60_000);

/** The set's monitor, started as `meridian apply` does; resolves once it has checked every region healthy. */
async function startMonitor(set: DrillSet): Promise<WorkflowHandle> {
  const handle = await t.client.workflow.start(FAILOVER_MONITOR_WORKFLOW, { taskQueue: env.MERIDIAN_TASK_QUEUE!, workflowId: failoverWorkflowId(set.name), args: [{ name: set.name }] });
  monitors.push(handle);
  await readUntil(`${set.name}: every region checked healthy`, () => handle.query(failoverStatusQuery), (s) => set.members.every((m) => s.regions[m.region]?.healthy === true), 60_000);
  return handle;
}

/** The monitor's activities since `sinceMs`: `+ms name scheduled|completed|failed`, one per line. */
async function activityTimeline(handle: WorkflowHandle, sinceMs: number): Promise<string> {
  const names = new Map<string, string>();
  const lines: string[] = [];
  for (const event of (await handle.fetchHistory()).events ?? []) {
    const ms = Number(event.eventTime?.seconds ?? 0) * 1000 + (event.eventTime?.nanos ?? 0) / 1e6 - sinceMs;
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) names.set(String(event.eventId), scheduled.activityType?.name ?? '?');
    const ended = event.activityTaskCompletedEventAttributes ?? event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes;
    const what = scheduled ? `${names.get(String(event.eventId))} scheduled` : ended ? `${names.get(String(ended.scheduledEventId))} ${event.activityTaskCompletedEventAttributes ? 'completed' : 'failed'}` : undefined;
    if (what && ms >= 0) lines.push(`+${Math.round(ms)} ms ${what}`);
  }
  return lines.join('\n');
}

const eventOf = (state: FailoverState, kind: FailoverEventKind): FailoverEvent | undefined => state.events.find((e) => e.kind === kind);
const at = (event: FailoverEvent) => Date.parse(event.at);

/** What the drill took: each snapshot and the tree of its source when it was taken. */
class Taken {
  readonly snapshots: { id: string; tree: ReturnType<typeof describeTree> }[] = [];
  private step = 0;
  constructor(readonly set: DrillSet, readonly source: string) {
    fs.mkdirSync(source, { recursive: true });
  }

  /** Changes the source a little and backs it up through the worker, naming the set's configured primary. */
  async backup(): Promise<BackupOutput & RanOn & { wallMs: number }> {
    this.step += 1;
    for (let i = 0; i < 3; i++) fs.writeFileSync(path.join(this.source, `step${this.step}-${i}.bin`), pseudoRandomBytes(40_000, this.step * 10 + i));
    const tree = describeTree(this.source);
    const started = Date.now();
    const output: BackupOutput & RanOn = await (await startOperation(t.client, 'backup', { repo: this.set.primary.repository, path: this.source, type: 'incremental' }, env.MERIDIAN_TASK_QUEUE)).result();
    this.snapshots.push({ id: output.snapshotId, tree });
    return { ...output, wallMs: Date.now() - started };
  }

  /** Every snapshot is on `region`'s member, and each restores (through the worker, by the configured primary's name) to its tree. */
  async expectWholeOn(region: string): Promise<void> {
    const ids = [...(await this.set.listing(this.set.member(region), 'snapshots')).keys()];
    expect(ids.sort()).toEqual(expect.arrayContaining(this.snapshots.map((s) => s.id)));
    for (const [i, snapshot] of this.snapshots.entries()) {
      const target = path.join(home.dir, `restored-${this.set.name}-${i}`);
      await (await startOperation(t.client, 'restore', { repo: this.set.primary.repository, snapshot: snapshot.id, target }, env.MERIDIAN_TASK_QUEUE)).result();
      expectSameTree(snapshot.tree, target);
    }
  }
}

test('the outage drill: the primary region fails, backups go to the secondary, the primary returns and is failed back to automatically; nothing is lost', async () => {
  const set = autoSet;
  const taken = new Taken(set, path.join(home.dir, 'source-auto'));
  const monitor = await startMonitor(set);
  const status = () => monitor.query(failoverStatusQuery);
  expect((await taken.backup()).activeRepository).toBeUndefined();
  await taken.backup();

  const eu = servers.byRegion('eu');
  const stoppedAt = Date.now();
  await eu.stop();
  const failedOver = await readUntil('failover to us', status, (s) => s.activeRegion === 'us' && eventOf(s, 'failover') !== undefined, 90_000);
  const failover = eventOf(failedOver, 'failover')!;
  expect(failover).toMatchObject({ from: 'eu', to: 'us', trigger: 'automatic' });
  expect(failover.failedChecks).toEqual([expect.objectContaining({ kind: 'storage', target: set.member('eu').repository, healthy: false })]);
  measured.stopToFailover = at(failover) - stoppedAt;
  measured.failoverBound = failoverBoundMs(set);
  // Above the bound, the failure shows what the monitor's activities did after the stop.
  if (measured.stopToFailover > measured.failoverBound) expect(await activityTimeline(monitor, stoppedAt)).toBe(`within ${measured.failoverBound} ms`);
  // Not before failoverThreshold failed checks, one interval apart, all after the stop.
  expect(measured.stopToFailover).toBeGreaterThanOrEqual((set.failover.failoverThreshold - 1) * set.failover.healthCheckIntervalSecs * 1000);

  // Started after the failover, named by the configured primary: written to us, and complete.
  const during = await taken.backup();
  measured.backupDuringFailover = during.wallMs;
  expect(during.activeRepository).toBe(set.member('us').repository);
  expect([...(await set.listing(set.member('us'), 'snapshots')).keys()]).toContain(during.snapshotId);
  await taken.backup();

  const restartedAt = Date.now();
  await eu.start();
  const returnedAt = Date.now();
  const failedBack = await readUntil('resynced, then failback to eu', status, (s) => s.activeRegion === 'eu' && eventOf(s, 'failback') !== undefined, 120_000);
  const resynced = eventOf(failedBack, 'resynced')!;
  const failback = eventOf(failedBack, 'failback')!;
  expect(resynced).toMatchObject({ to: 'us' });
  expect(failback).toMatchObject({ from: 'us', to: 'eu', trigger: 'automatic' });
  expect(at(failback)).toBeGreaterThanOrEqual(at(resynced));
  // Failback only after failbackThreshold healthy checks of eu, one interval apart, none before its server was started.
  expect(at(failback) - restartedAt).toBeGreaterThanOrEqual((set.failover.failbackThreshold - 1) * set.failover.healthCheckIntervalSecs * 1000);
  measured.serverRestart = returnedAt - restartedAt;
  measured.returnToFailback = at(failback) - returnedAt;

  await taken.expectWholeOn('eu');
  expect(failedBack.events.filter((e) => e.kind === 'failover')).toHaveLength(1);
}, 300_000);

test('without autoFailback the returned primary is reported as failback-possible, and the failback Update moves back to it', async () => {
  const set = manualSet;
  const taken = new Taken(set, path.join(home.dir, 'source-manual'));
  const monitor = await startMonitor(set);
  const status = () => monitor.query(failoverStatusQuery);
  await taken.backup();

  const eu = servers.byRegion('eu');
  await eu.stop();
  await readUntil('failover to us', status, (s) => s.activeRegion === 'us', 90_000);
  await taken.backup();
  await eu.start();
  const possible = await readUntil('failback possible', status, (s) => s.failbackPossible && eventOf(s, 'failback-possible') !== undefined, 120_000);
  expect(possible.activeRegion).toBe('us');
  expect(eventOf(possible, 'failback')).toBeUndefined();

  const accepted = await monitor.executeUpdate(failbackUpdate, { args: [{ reason: 'drill over', by: 'drill' }] });
  expect(accepted).toMatchObject({ from: 'us', to: 'eu' });
  const after = await status();
  expect(after.activeRegion).toBe('eu');
  expect(after.events.find((e) => e.id === accepted.eventId)).toMatchObject({ kind: 'failback', trigger: 'manual', by: 'drill' });

  const afterFailback = await taken.backup();
  expect(afterFailback.activeRepository).toBeUndefined();
  expect([...(await set.listing(set.member('eu'), 'snapshots')).keys()]).toContain(afterFailback.snapshotId);
  await taken.expectWholeOn('eu');
}, 300_000);

test('the datacenter-failover runbook, run from the CLI, approved from the API and the CLI, moves the set out of the dead region', async () => {
  const set = runbookSet;
  const taken = new Taken(set, path.join(home.dir, 'source-runbook'));
  const monitor = await startMonitor(set);
  await taken.backup();
  const api = createApiApp({ client: t.client, authority: testAuthority(home.passphrase), token: '', tokens: { 'oncall-lead': API_TOKEN }, taskQueue: env.MERIDIAN_TASK_QUEUE, config: loadConfig(home.configFile)!.config });
  const request = async <T>(method: 'GET' | 'POST', url: string, body?: object): Promise<T> => {
    const response = await api.request(url, { method, headers: { Authorization: `Bearer ${API_TOKEN}`, 'Content-Type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const answer = (await response.json()) as T;
    expect({ url, status: response.status, answer }).toMatchObject({ status: 200 });
    return answer;
  };
  const cli = async (args: string[], identity = 'drill-operator') => runMeridian(args, { cwd: home.dir, env: { ...env, MERIDIAN_IDENTITY: identity }, timeoutMs: 60_000 });

  await servers.byRegion('eu').stop();
  // autoFailover is off: the monitor sees eu fail and moves nothing.
  const down = await readUntil('eu unhealthy past the threshold', () => monitor.query(failoverStatusQuery), (s) => s.consecutiveFailures > set.failover.failoverThreshold, 60_000);
  expect(down.activeRegion).toBe('eu');

  const started = parseJson<{ workflowId: string }>(await cli(['runbook', 'run', 'datacenter-failover', '--param', `failover=${set.name}`, '--param', 'reason=eu is gone', '--json']));
  const execution = started.workflowId;
  monitors.push(t.client.workflow.getHandle(execution));
  const cliStatus = async () => parseJson<RunbookExecutionState>(await cli(['runbook', 'status', execution, '--json']));
  const waiting = await readUntil('confirm-failover waiting (CLI status)', cliStatus, (s) => s.steps[1]?.status === 'waiting-for-approval', 60_000);
  expect(waiting).toMatchObject({ status: 'waiting-for-approval', startedBy: 'drill-operator' });
  expect(waiting.steps[0]).toMatchObject({ name: 'check-regions', status: 'succeeded' });
  expect((await monitor.query(failoverStatusQuery)).activeRegion).toBe('eu');

  const confirmed = await request<StepState>('POST', `/v1/runbooks/executions/${encodeURIComponent(execution)}/approve`, { step: 'confirm-failover', note: 'eu confirmed down' });
  expect(confirmed.decision).toMatchObject({ approved: true, by: 'oncall-lead', note: 'eu confirmed down' });
  const apiStatus = () => request<RunbookExecutionState>('GET', `/v1/runbooks/executions/${encodeURIComponent(execution)}`);
  const moved = await readUntil('confirm-service waiting (API status)', apiStatus, (s) => s.steps[4]?.status === 'waiting-for-approval', 60_000);
  expect(moved.steps.slice(2, 4).map((s) => [s.name, s.status])).toEqual([['failover', 'succeeded'], ['check-after', 'succeeded']]);
  const state = await monitor.query(failoverStatusQuery);
  expect(state.activeRegion).toBe('us');
  expect(eventOf(state, 'failover')).toMatchObject({ from: 'eu', to: 'us', trigger: 'manual', reason: 'eu is gone' });
  expect((await taken.backup()).activeRepository).toBe(set.member('us').repository);

  const approved = await cli(['runbook', 'approve', execution, 'confirm-service', '--note', 'clients on us'], 'oncall-second');
  expect(approved.code).toBe(0);
  const done = await readUntil('the execution succeeded (API status)', apiStatus, (s) => s.status === 'succeeded', 60_000);
  expect(done.steps.map((s) => s.decision?.by)).toEqual([undefined, 'oncall-lead', undefined, undefined, 'oncall-second']);
  expect(done.rtoSeconds).toBeGreaterThan(0);
  measured.runbookRtoSeconds = done.rtoSeconds!;
  const found = await eventually('the execution in visibility by runbook and status', async () => {
    for await (const run of t.client.workflow.list({ query: `${SEARCH_ATTRIBUTES.runbook} = "datacenter-failover" AND ${SEARCH_ATTRIBUTES.runbookStatus} = "succeeded"` })) if (run.workflowId === execution) return run;
    return undefined;
  });
  expect(found.workflowId).toBe(execution);

  await servers.byRegion('eu').start();
  await readUntil('failback possible', () => monitor.query(failoverStatusQuery), (s) => s.failbackPossible, 120_000);
  const failback = await cli(['failover', 'failback', set.name, '--json']);
  expect(parseJson<{ to: string }>(failback)).toMatchObject({ to: 'eu' });
  await taken.expectWholeOn('eu');
}, 300_000);

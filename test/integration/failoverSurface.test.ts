// `meridian failover` and /v1/failover against the real failover monitor on the real dev server,
// its activities stood in (every region healthy; switches recorded: the switches themselves are
// the core part's tests): status and events through the CLI; a manual failover to an unknown
// region refused by the monitor's validator (exit 3 with its reason); a manual failover by the
// CLI's MERIDIAN_IDENTITY and a failback by a named API token, each recorded with who asked; a
// second failback refused with 409; an unknown monitor exit 3 / 404.

import { Worker } from '@temporalio/worker';
import { createApiApp } from '../../api/app';
import type { FailoverDescription, FailoverEvent, FailoverState, RegionHealth } from '../../workflows/failoverDefs';
import { meridianEnv, moduleRecorder, parseJson, runMeridian, SDK_CLIENT_MODULES } from '../helpers/meridianCli';
import { testAuthority, workflowBundle } from '../helpers/meridianWorker';
import { recordingNotifyEvent } from '../helpers/raisedEvents';
import { readUntil } from '../helpers/polling';
import { uniqueTaskQueue, useTestConnection } from '../helpers/temporal';
import { tempDir } from '../helpers/trees';

const scope = useTestConnection();
const OPS = 'failover-surface-ops-0123456789';
const ADMIN = 'failover-surface-admin-0123456789';

const description = (name: string): FailoverDescription => ({
  name,
  replication: 'surface-set',
  primaryRegion: 'eu',
  secondaryRegions: ['us'],
  autoFailover: true,
  autoFailback: false,
  intervalMs: 1000,
  failoverThreshold: 3,
  failbackThreshold: 3,
  probeTimeoutMs: 1000,
  members: { eu: 'repo-eu', us: 'repo-us' },
});
const switches: string[] = [];
const activities = {
  notifyEvent: recordingNotifyEvent().notifyEvent,
  describeFailover: async ({ name }: { name: string }) => description(name),
  checkRegions: async ({ regions }: { regions: string[] }): Promise<RegionHealth[]> =>
    regions.map((region) => ({ region, healthy: true, probes: [{ kind: 'storage', target: `repo-${region}`, healthy: true, latencyMs: 3 }], at: new Date().toISOString() })),
  regionLags: async () => [{ region: 'us', lagSeconds: 0 }],
  promoteRegion: async ({ from, to }: { from: string; to: string }) => void switches.push(`promote ${from}->${to}`),
  switchRegion: async ({ from, to }: { from: string; to: string }) => void switches.push(`switch ${from}->${to}`),
  resyncRegion: async ({ region }: { region: string }) => void switches.push(`resync ${region}`),
  catchUpRegion: async ({ region }: { region: string }) => ({ region, caughtUp: true, behindSnapshots: 0 }),
};

test('status, events, a refused and an accepted manual failover, a failback by a named token', async () => {
  const work = tempDir('failover-surface');
  const env = meridianEnv(work, 'fosurf', 'unused');
  const taskQueue = env.MERIDIAN_TASK_QUEUE!;
  const name = uniqueTaskQueue('surface').replace(/[^A-Za-z0-9-]/g, '-');
  const meridian = (args: string[], extra: NodeJS.ProcessEnv = {}) => runMeridian(args, { cwd: work, env: { ...env, ...extra }, timeoutMs: 60_000 });
  const worker = await Worker.create({ connection: scope.t.connection, namespace: scope.t.namespace, taskQueue, workflowBundle: await workflowBundle(), activities, shutdownGraceTime: '1s' });
  const app = createApiApp({ client: scope.t.client, authority: testAuthority('unused'), token: ADMIN, tokens: { ops: OPS }, taskQueue });
  const call = (method: string, route: string, body?: unknown) =>
    app.request(route, { method, headers: { Authorization: `Bearer ${OPS}`, 'Content-Type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });

  await worker.runUntil(async () => {
    scope.started.push(`failover:${name}`);
    await scope.t.client.workflow.start('failoverMonitorWorkflow', { taskQueue, workflowId: `failover:${name}`, args: [{ name }] });
    const status = () => meridian(['failover', 'status', name, '--json']).then((run) => parseJson<FailoverState>(run));
    const checked = await readUntil('both regions checked', status, (s) => Object.keys(s.regions).length === 2);
    expect(checked).toMatchObject({ activeRegion: 'eu', primaryRegion: 'eu', consecutiveFailures: 0, regions: { us: { healthy: true, probes: [{ target: 'repo-us', latencyMs: 3 }] } } });
    const modules = moduleRecorder(work, 'status'); // status reads over the CLI's own gRPC calls, without the SDK
    const human = await meridian(['failover', 'status', name], modules.env);
    expect(human.stdout).toContain(`${name}: active region eu (primary eu, then us); replica set surface-set;`);
    expect(modules.loaded().filter((file) => SDK_CLIENT_MODULES.test(file))).toEqual([]);
    expect(human.stdout).toMatch(/us +secondary +healthy +\d+s ago +repo-us 3ms/);

    const refused = await meridian(['failover', 'trigger', name, '--to', 'mars']);
    expect(refused.code).toBe(3);
    expect(refused.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^meridian: .*mars/)]);

    const triggerModules = moduleRecorder(work, 'trigger'); // the Update too goes over the CLI's own gRPC calls
    const moved = parseJson<{ eventId: string; from: string; to: string }>(await meridian(['failover', 'trigger', name, '--to', 'us', '--reason', 'drill', '--json'], { MERIDIAN_IDENTITY: 'carol', ...triggerModules.env }));
    expect(moved).toEqual({ eventId: `${name}-${checked.token}-1`, from: 'eu', to: 'us' });
    expect(triggerModules.loaded().filter((file) => SDK_CLIENT_MODULES.test(file))).toEqual([]);
    expect((await status()).activeRegion).toBe('us');

    const back = await call('POST', `/v1/failover/${name}/failback`, { reason: 'drill over' });
    expect(back.status).toBe(200);
    expect(await back.json()).toEqual({ eventId: `${name}-${checked.token}-2`, from: 'us', to: 'eu' });
    // Both regions healthy: each manual move was the graceful switch.
    expect(switches).toEqual(['switch eu->us', 'switch us->eu']);
    const again = await call('POST', `/v1/failover/${name}/failback`, {});
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('rejected');

    const { events } = parseJson<{ events: FailoverEvent[] }>(await meridian(['failover', 'events', name, '--json']));
    expect(events.map((e) => [e.kind, e.from, e.to, e.trigger, e.by, e.reason])).toEqual([
      ['failover', 'eu', 'us', 'manual', 'carol', 'drill'],
      ['failback', 'us', 'eu', 'manual', 'ops', 'drill over'],
    ]);
    expect((await call('GET', `/v1/failover/${name}/events`)).status).toBe(200);
    expect((await meridian(['failover', 'events', name])).stdout).toMatch(new RegExp(`${name}-${checked.token}-2 .* failback +us +eu +manual +ops +drill over`));

    const unknown = await meridian(['failover', 'status', 'no-such-monitor']);
    expect([unknown.code, unknown.stderr]).toEqual([3, expect.stringContaining('no failover named "no-such-monitor" is running')]);
    expect((await call('GET', '/v1/failover/no-such-monitor')).status).toBe(404);
  });
});

test('with no worker running, a manual failover, a failback and a runbook approval end in 10 s with "no worker answered" (exit 4 / 503), not a hang', async () => {
  const work = tempDir('failover-surface-idle');
  const env = meridianEnv(work, 'fosurf-idle', 'unused');
  const taskQueue = env.MERIDIAN_TASK_QUEUE!;
  const name = uniqueTaskQueue('idle').replace(/[^A-Za-z0-9-]/g, '-');
  const app = createApiApp({ client: scope.t.client, authority: testAuthority('unused'), token: ADMIN, tokens: { ops: OPS }, taskQueue });
  // Started on a queue no worker polls: they run, and nothing answers them.
  for (const workflowId of [`failover:${name}`, `runbook:idle:${name}`]) {
    scope.started.push(workflowId);
    await scope.t.client.workflow.start(workflowId.startsWith('failover') ? 'failoverMonitorWorkflow' : 'runbookWorkflow', { taskQueue, workflowId, args: [{ name }] });
  }
  const post = (route: string) => app.request(route, { method: 'POST', headers: { Authorization: `Bearer ${OPS}`, 'Content-Type': 'application/json' }, body: '{}' });
  const [trigger, failback, approve] = await Promise.all([
    post(`/v1/failover/${name}/trigger`),
    post(`/v1/failover/${name}/failback`),
    runMeridian(['runbook', 'approve', `idle:${name}`, 'check'], { cwd: work, env, timeoutMs: 60_000 }),
  ]);
  for (const answer of [trigger, failback]) {
    expect(answer.status).toBe(503);
    expect(((await answer.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'unanswered', message: expect.stringMatching(/^no worker answered the \w+ update of failover:/) });
  }
  expect(approve.code).toBe(4);
  expect(approve.stderr.trim().split('\n')).toEqual([`meridian: no worker answered the approveStep update of runbook:idle:${name} within 10 s (is a meridian worker or server running?)`]);
});

// I7: `meridian apply` and a replica set, through the real CLI against the test Temporal server:
// the first apply creates the set's Schedule (a replicationTickWorkflow run every hour by default,
// overlap skip) and starts its workflow replication:<set>; a second apply changes nothing (same
// run); removing the set deletes the Schedule and terminates the workflow. No worker polls the
// task queue: the workflow stays Running, which is all apply needs. With it running,
// `meridian replication status|run` and the /v1/replication routes are read and driven for real
// (status without a worker says so; run's signal lands in the workflow's history), and an
// unknown set is one line, exit 2 / 404.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createApiApp } from '../../api/app';
import { loadConfig } from '../../config/load';
import type { ReplicationStatus } from '../../replication/status';
import { meridianEnv, parseJson, runMeridian } from '../helpers/meridianCli';
import { testAuthority } from '../helpers/meridianWorker';
import { deleteSchedules, scheduleExists } from '../helpers/schedules';
import { testConnection, uniqueTaskQueue, type TestConnection } from '../helpers/temporal';
import { tempDir } from '../helpers/trees';

interface ApplyJson {
  plan: Array<{ name: string; id: string; action: string; why: string; schedule?: string }>;
  replicationWorkflows: Array<{ set: string; workflowId: string; action: string; why: string }>;
  applied: boolean;
}

const TOKEN = 'apply-replication-token-0123456789';
let work: string;
let env: NodeJS.ProcessEnv;
let temporal: TestConnection;
let configFile: string;
/** Unique set names of this run (other runs on the same server never collide). */
const run = uniqueTaskQueue('ar').replace(/[^A-Za-z0-9-]/g, '-');
const sets = { gis: `${run}-gis`, dem: `${run}-dem` };
const scheduleIds = Object.values(sets).map((set) => `meridian:replication-${set}`);
const verifications: string[] = [];

const meridian = (...args: string[]) => runMeridian(args, { cwd: work, env, timeoutMs: 60_000 });
const apply = async (...args: string[]) => parseJson<ApplyJson>(await meridian('apply', '--config', configFile, '--json', ...args));
const scheduleOf = (result: ApplyJson, set: string) => result.plan.find((e) => e.name === `replication-${set}`)?.action;
const workflowOf = (result: ApplyJson, set: string) => result.replicationWorkflows.find((e) => e.set === set)?.action;
const describeWorkflow = (set: string) => temporal.client.workflow.getHandle(`replication:${set}`).describe();

/** Three regions; the gis set (every 10m) and, unless left out, the dem set (no timing: hourly; disabled). */
function writeConfig({ dem = true }: { dem?: boolean } = {}): void {
  const pass = path.join(work, 'gis.pass');
  const repository = (name: string, url: string, region: string) => `  ${name}: { url: '${url}', region: ${region}, passwordFile: ${pass} }`;
  const lines = [
    'repositories:',
    repository('gis-eu', 's3://gis-eu/meridian?region=eu-west-1', 'eu-west-1'),
    repository('gis-us', 'gs://gis-us/meridian', 'us-east1'),
    repository('gis-ap', 'azure://gisap/backups/meridian', 'ap-southeast'),
    repository('dem-eu', path.join(work, 'dem-eu'), 'eu-west-1'),
    repository('dem-us', path.join(work, 'dem-us'), 'us-east1'),
    'replication:',
    `  ${sets.gis}: { primary: gis-eu, replicas: [gis-us, gis-ap], mode: quorum, quorum: 2, every: 10m }`,
    ...(dem ? [`  ${sets.dem}: { primary: dem-eu, replicas: [dem-us], enabled: false }`] : []),
  ];
  writeFileSync(configFile, `${lines.join('\n')}\n`);
}

beforeAll(async () => {
  work = tempDir('apply-replication');
  configFile = path.join(work, 'meridian.yaml');
  writeFileSync(path.join(work, 'gis.pass'), 'not used by apply\n');
  env = { ...meridianEnv(work, 'applyrep', 'unused'), MERIDIAN_CONFIG: configFile };
  temporal = await testConnection();
});

afterAll(async () => {
  await deleteSchedules(temporal.client, scheduleIds);
  for (const id of [...Object.values(sets).map((set) => `replication:${set}`), ...verifications]) {
    await temporal.client.workflow
      .getHandle(id)
      .terminate('test over')
      .catch(() => undefined);
  }
  await temporal?.close();
});

describe('meridian apply with replica sets (I7)', () => {
  let gisRunId: string;

  it('--dry-run plans the Schedules and the workflows and creates nothing', async () => {
    writeConfig();
    const result = await apply('--dry-run');
    expect(result.applied).toBe(false);
    expect([scheduleOf(result, sets.gis), scheduleOf(result, sets.dem)]).toEqual(['create', 'create']);
    expect(result.replicationWorkflows.filter((w) => Object.values(sets).includes(w.set))).toEqual([
      { set: sets.dem, workflowId: `replication:${sets.dem}`, action: 'start', why: 'not running' },
      { set: sets.gis, workflowId: `replication:${sets.gis}`, action: 'start', why: 'not running' },
    ]);
    expect(await scheduleExists(temporal.client, scheduleIds[0]!)).toBe(false);
    await expect(describeWorkflow(sets.gis)).rejects.toThrow();
  });

  it("creates each set's Schedule and starts its workflow", async () => {
    const result = await apply();
    expect(result.applied).toBe(true);
    expect(result.plan.find((e) => e.name === `replication-${sets.gis}`)!.schedule).toBe('every 600s → replicate gis-eu to gis-us, gis-ap (quorum)');

    const gis = await temporal.client.schedule.getHandle(`meridian:replication-${sets.gis}`).describe();
    expect(gis.spec.intervals).toMatchObject([{ every: 600_000 }]);
    expect(gis.policies).toMatchObject({ overlap: 'SKIP' });
    expect(gis.state.paused).toBe(false);
    expect(gis.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'replicationTickWorkflow',
      taskQueue: env.MERIDIAN_TASK_QUEUE,
      workflowId: `scheduled-replication:${sets.gis}`,
      args: [{ set: sets.gis }],
    });
    const dem = await temporal.client.schedule.getHandle(`meridian:replication-${sets.dem}`).describe();
    expect(dem.spec.intervals).toMatchObject([{ every: 3_600_000 }]);
    expect(dem.state).toMatchObject({ paused: true, note: 'disabled in meridian.yaml' });

    const workflow = await describeWorkflow(sets.gis);
    expect(workflow).toMatchObject({ type: 'replicationWorkflow', taskQueue: env.MERIDIAN_TASK_QUEUE, status: { name: 'RUNNING' } });
    expect(await temporal.client.workflow.getHandle(`replication:${sets.gis}`).fetchHistory()).toMatchObject({
      events: expect.arrayContaining([expect.objectContaining({ workflowExecutionStartedEventAttributes: expect.anything() })]),
    });
    gisRunId = workflow.runId;
    expect((await describeWorkflow(sets.dem)).status.name).toBe('RUNNING');
  });

  it('a second apply changes nothing: Schedules unchanged, the same workflow runs', async () => {
    const before = await temporal.client.schedule.getHandle(`meridian:replication-${sets.gis}`).describe();
    const result = await apply();
    expect([scheduleOf(result, sets.gis), scheduleOf(result, sets.dem)]).toEqual(['unchanged', 'unchanged']);
    expect([workflowOf(result, sets.gis), workflowOf(result, sets.dem)]).toEqual(['running', 'running']);
    expect((await temporal.client.schedule.getHandle(`meridian:replication-${sets.gis}`).describe()).info.lastUpdatedAt).toEqual(before.info.lastUpdatedAt);
    expect((await describeWorkflow(sets.gis)).runId).toBe(gisRunId);
    const human = await meridian('apply', '--config', configFile);
    expect(human.stdout).toContain(`running replication:${sets.gis}\n`);
    expect(human.stdout.trim().split('\n').pop()).toMatch(/^replication workflows: started 0, stopped 0; \d+ already running$/);
  });

  it('replication status reads the running workflow and the file: regions and locations, no credentials; nothing answers without a worker', async () => {
    const status = parseJson<ReplicationStatus>(await meridian('replication', 'status', sets.gis, '--json'));
    expect(status).toMatchObject({
      name: sets.gis,
      mode: 'quorum',
      quorum: 2,
      workflowId: `replication:${sets.gis}`,
      running: true,
      primary: { name: 'gis-eu', region: 'eu-west-1', location: 's3://gis-eu/meridian' },
    });
    expect(status.unanswered).toMatch(/^no worker answered the status query/);
    expect(status.replicas.map((r) => [r.name, r.region, r.location, r.state, r.lagSeconds])).toEqual([
      ['gis-us', 'us-east1', 'gs://gis-us/meridian', 'never-run', null],
      ['gis-ap', 'ap-southeast', 'azure://gisap/backups/meridian', 'never-run', null],
    ]);
    const human = await meridian('replication', 'status', sets.gis);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`${sets.gis} (quorum 2 of 3): primary gis-eu (eu-west-1) s3://gis-eu/meridian; replication:${sets.gis} running; no worker answered`);
    expect(human.stdout).toMatch(/gis-us +us-east1 +not yet +not copied yet +- +never +never-run/);
  });

  it('replication run signals the workflow for a manual pass; an unknown set is one line, exit 2', async () => {
    const asked = parseJson<{ workflowId: string }>(await meridian('replication', 'run', sets.gis, '--full', '--json'));
    expect(asked.workflowId).toBe(`replication:${sets.gis}`);
    const history = await temporal.client.workflow.getHandle(`replication:${sets.gis}`).fetchHistory();
    const signals = (history.events ?? []).flatMap((e) => (e.workflowExecutionSignaledEventAttributes ? [e.workflowExecutionSignaledEventAttributes.signalName] : []));
    expect(signals).toEqual(['replicate']);

    const unknown = await meridian('replication', 'run', 'no-such-set');
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^meridian: no replica set named "no-such-set" in meridian.yaml \(known: .*\)$/)]);
    const noName = await meridian('replication', 'verify');
    expect(noName.code).toBe(2);
    expect(noName.stderr).toContain('replication verify needs the NAME of a replica set');
  });

  it('the /v1/replication routes read and drive the same sets; an unknown one is 404', async () => {
    const app = createApiApp({ client: temporal.client, authority: testAuthority('unused'), token: TOKEN, taskQueue: env.MERIDIAN_TASK_QUEUE, replication: loadConfig(configFile)!.config });
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const post = (route: string, body: object) => app.request(route, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

    const all = (await (await app.request('/v1/replication', { headers: auth })).json()) as { sets: ReplicationStatus[] };
    expect(all.sets.map((s) => [s.name, s.running])).toEqual([
      [sets.dem, true],
      [sets.gis, true],
    ]);
    const one = await app.request(`/v1/replication/${sets.dem}`, { headers: auth });
    expect(await one.json()).toMatchObject({ name: sets.dem, mode: 'async', primary: { location: path.join(work, 'dem-eu') }, replicas: [{ name: 'dem-us', state: 'never-run' }] });
    const missing = await app.request('/v1/replication/nothing', { headers: auth });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'not_found', message: expect.stringContaining('no replica set named "nothing"') } });

    const runs = await post(`/v1/replication/${sets.dem}/runs`, {});
    expect(runs.status).toBe(202);
    expect(await runs.json()).toEqual({ workflowId: `replication:${sets.dem}` });
    expect((await post(`/v1/replication/${sets.dem}/runs`, { full: 'yes' })).status).toBe(400);

    expect((await post(`/v1/replication/${sets.gis}/verifications`, { replica: 'dem-us' })).status).toBe(404);
    const verification = await post(`/v1/replication/${sets.gis}/verifications`, { replica: 'gis-ap' });
    expect(verification.status).toBe(202);
    const { workflowId } = (await verification.json()) as { workflowId: string };
    verifications.push(workflowId);
    expect(workflowId).toMatch(new RegExp(`^replication-verify:${sets.gis}:\\d{4}-`));
    expect(verification.headers.get('Location')).toBe(`/v1/operations/${encodeURIComponent(workflowId)}`);
    const started = await temporal.client.workflow.getHandle(workflowId).describe();
    expect(started.type).toBe('replicationVerifyWorkflow');
    const operation = await app.request(verification.headers.get('Location')!, { headers: auth });
    expect(await operation.json()).toMatchObject({ workflowId, operation: 'replication-verify', status: 'running' });
  });

  it("removing a set deletes its Schedule and terminates its workflow, and leaves the other set's alone", async () => {
    writeConfig({ dem: false });
    const result = await apply();
    expect([scheduleOf(result, sets.gis), scheduleOf(result, sets.dem)]).toEqual(['unchanged', 'delete']);
    expect(result.replicationWorkflows.find((w) => w.set === sets.dem)).toEqual({
      set: sets.dem,
      workflowId: `replication:${sets.dem}`,
      action: 'stop',
      why: 'its set is no longer in meridian.yaml',
    });
    expect(await scheduleExists(temporal.client, `meridian:replication-${sets.dem}`)).toBe(false);
    expect((await describeWorkflow(sets.dem)).status.name).toBe('TERMINATED');
    expect(await scheduleExists(temporal.client, `meridian:replication-${sets.gis}`)).toBe(true);
    expect((await describeWorkflow(sets.gis)).runId).toBe(gisRunId);

    const again = await apply();
    expect(workflowOf(again, sets.dem)).toBeUndefined();
    expect(scheduleOf(again, sets.dem)).toBeUndefined();
  });
});

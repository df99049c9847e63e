// `meridian apply` and failover monitors, through the real CLI against the test Temporal server:
// --dry-run plans a monitor and starts nothing; apply starts failover:<name> (a
// failoverMonitorWorkflow with input {name}); a second apply changes nothing (same run, no
// signal); a changed entry is signalled to reload (its state stays: same run) and the apply after
// that changes nothing; a removed entry's monitor is terminated. No worker polls the task queue:
// the monitor stays Running, which is all apply needs.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { meridianEnv, parseJson, runMeridian } from '../helpers/meridianCli';
import { readUntil } from '../helpers/polling';
import { deleteSchedules } from '../helpers/schedules';
import { testConnection, uniqueTaskQueue, type TestConnection } from '../helpers/temporal';
import { tempDir } from '../helpers/trees';

interface ApplyJson {
  failoverMonitors: Array<{ name: string; workflowId: string; action: string; why: string }>;
  applied: boolean;
}

let work: string;
let env: NodeJS.ProcessEnv;
let temporal: TestConnection;
let configFile: string;
const run = uniqueTaskQueue('af').replace(/[^A-Za-z0-9-]/g, '-');
const names = { set: `${run}-tiles`, dr: `${run}-dr`, other: `${run}-dem-dr`, otherSet: `${run}-dem` };

const meridian = (...args: string[]) => runMeridian(args, { cwd: work, env, timeoutMs: 60_000 });
const apply = async (...args: string[]) => parseJson<ApplyJson>(await meridian('apply', '--config', configFile, '--json', ...args));
const monitorOf = (result: ApplyJson, name: string) => result.failoverMonitors.find((e) => e.name === name);
const describeMonitor = (name: string) => temporal.client.workflow.getHandle(`failover:${name}`).describe();
const reloads = async (name: string) => {
  const history = await temporal.client.workflow.getHandle(`failover:${name}`).fetchHistory();
  return (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'reloadFailover').length;
};

/** Two sets over regions eu/us; the dr monitor (threshold `threshold`) and, unless left out, the other one. */
function writeConfig({ threshold = 3, other = true }: { threshold?: number; other?: boolean } = {}): void {
  const repository = (name: string, region: string) => `  ${name}: { url: '${path.join(work, name)}', region: ${region}, passwordFile: ${path.join(work, 'pass')} }`;
  const lines = [
    'repositories:',
    repository('tiles-eu', 'eu'),
    repository('tiles-us', 'us'),
    repository('dem-eu', 'eu'),
    repository('dem-us', 'us'),
    'replication:',
    `  ${names.set}: { primary: tiles-eu, replicas: [tiles-us] }`,
    `  ${names.otherSet}: { primary: dem-eu, replicas: [dem-us] }`,
    'failover:',
    `  ${names.dr}: { replication: ${names.set}, primaryRegion: eu, secondaryRegions: [us], healthCheckIntervalSecs: 1, failoverThreshold: ${threshold} }`,
    ...(other ? [`  ${names.other}: { replication: ${names.otherSet}, primaryRegion: us, secondaryRegions: [eu] }`] : []),
  ];
  writeFileSync(configFile, `${lines.join('\n')}\n`);
}

beforeAll(async () => {
  work = tempDir('apply-failover');
  configFile = path.join(work, 'meridian.yaml');
  writeFileSync(path.join(work, 'pass'), 'not used by apply\n');
  env = { ...meridianEnv(work, 'applyfo', 'unused'), MERIDIAN_CONFIG: configFile };
  temporal = await testConnection();
});

afterAll(async () => {
  await deleteSchedules(temporal.client, [names.set, names.otherSet].map((set) => `meridian:replication-${set}`));
  for (const id of [`failover:${names.dr}`, `failover:${names.other}`, `replication:${names.set}`, `replication:${names.otherSet}`]) {
    await temporal.client.workflow
      .getHandle(id)
      .terminate('test over')
      .catch(() => undefined);
  }
  await temporal?.close();
});

describe('meridian apply with failover entries', () => {
  let runId: string;

  it('--dry-run plans the monitors and starts none', async () => {
    writeConfig();
    const result = await apply('--dry-run');
    expect(result.applied).toBe(false);
    expect(monitorOf(result, names.dr)).toEqual({ name: names.dr, workflowId: `failover:${names.dr}`, action: 'start', why: 'not running' });
    expect(monitorOf(result, names.other)?.action).toBe('start');
    await expect(describeMonitor(names.dr)).rejects.toThrow();
  });

  it('starts failover:<name> as a failoverMonitorWorkflow, and a second apply changes nothing', async () => {
    expect(monitorOf(await apply(), names.dr)?.action).toBe('start');
    const started = await describeMonitor(names.dr);
    expect(started).toMatchObject({ type: 'failoverMonitorWorkflow', taskQueue: env.MERIDIAN_TASK_QUEUE, status: { name: 'RUNNING' }, memo: { managedBy: 'meridian apply', config: configFile } });
    runId = started.runId;
    const again = await apply();
    expect([monitorOf(again, names.dr)?.action, monitorOf(again, names.other)?.action]).toEqual(['running', 'running']);
    expect((await describeMonitor(names.dr)).runId).toBe(runId);
    expect(await reloads(names.dr)).toBe(0);
    const human = await meridian('apply', '--config', configFile);
    expect(human.stdout).toContain(`running failover:${names.dr}\n`);
    expect(human.stdout.trim().split('\n').pop()).toMatch(/^failover monitors: started 0, stopped 0; \d+ already running$/);
  });

  it('a changed entry is signalled to reload, in the same run, once', async () => {
    writeConfig({ threshold: 2 });
    const planned = await apply('--dry-run');
    expect(monitorOf(planned, names.dr)).toMatchObject({ action: 'reload', why: 'meridian.yaml changed it' });
    expect(monitorOf(planned, names.other)?.action).toBe('running');
    expect(await reloads(names.dr)).toBe(0);
    expect(monitorOf(await apply(), names.dr)?.action).toBe('reload');
    expect(await reloads(names.dr)).toBe(1);
    expect((await describeMonitor(names.dr)).runId).toBe(runId);
    expect(monitorOf(await apply(), names.dr)?.action).toBe('running');
    expect(await reloads(names.dr)).toBe(1);
  });

  it("a removed entry's monitor is terminated; the other stays", async () => {
    writeConfig({ threshold: 2, other: false });
    // Listing is eventually consistent: the plan shows the stop once visibility lists the monitor.
    const planned = await readUntil('the stop in the plan', () => apply('--dry-run'), (r) => monitorOf(r, names.other) !== undefined);
    expect(monitorOf(planned, names.other)).toEqual({ name: names.other, workflowId: `failover:${names.other}`, action: 'stop', why: 'its entry is no longer in meridian.yaml' });
    expect(monitorOf(await apply(), names.other)?.action).toBe('stop');
    expect((await describeMonitor(names.other)).status.name).toBe('TERMINATED');
    expect((await describeMonitor(names.dr)).status.name).toBe('RUNNING');
  });
});

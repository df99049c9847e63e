// `meridian apply` and the SLA monitor, through the real CLI against the test Temporal server:
// --dry-run plans it and starts nothing; apply starts `sla-monitor` (a slaMonitorWorkflow with the
// resolved settings); a second apply changes nothing; a changed SLA is signalled to reload once (same
// run) and the apply after that changes nothing; a file without sources or SLAs stops it. No worker
// polls the task queue: the monitor stays Running, which is all apply needs.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { SLA_MONITOR_WORKFLOW_ID } from '../../workflows/slaDefs';
import { meridianEnv, parseJson, runMeridian } from '../helpers/meridianCli';
import { testConnection, type TestConnection } from '../helpers/temporal';
import { tempDir } from '../helpers/trees';

interface ApplyJson {
  slaMonitor: { workflowId: string; action: string; why: string };
  applied: boolean;
}

let work: string;
let env: NodeJS.ProcessEnv;
let temporal: TestConnection;
let configFile: string;

const meridian = (...args: string[]) => runMeridian(args, { cwd: work, env, timeoutMs: 60_000 });
const apply = async (...args: string[]) => parseJson<ApplyJson>(await meridian('apply', '--config', configFile, '--json', ...args));
const monitor = () => temporal.client.workflow.getHandle(SLA_MONITOR_WORKFLOW_ID);
const reloads = async () => ((await monitor().fetchHistory()).events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'reloadSlas').length;

function writeConfig({ rpoMinutes = 60, empty = false }: { rpoMinutes?: number; empty?: boolean } = {}): void {
  const lines = empty
    ? ['repositories: {}']
    : [
        'repositories:',
        `  main: { url: '${path.join(work, 'repo')}', passwordFile: ${path.join(work, 'pass')} }`,
        'sources:',
        `  tiles: { path: ${path.join(work, 'tiles')}, repository: main }`,
        'slas:',
        `  gold: { repositories: [main], rpoMinutes: ${rpoMinutes}, rtoMinutes: 30 }`,
        'monitoring: { slaInterval: 5s }',
      ];
  writeFileSync(configFile, `${lines.join('\n')}\n`);
}

beforeAll(async () => {
  work = tempDir('apply-sla');
  configFile = path.join(work, 'meridian.yaml');
  writeFileSync(path.join(work, 'pass'), 'not used by apply\n');
  env = { ...meridianEnv(work, 'applysla', 'unused'), MERIDIAN_CONFIG: configFile };
  temporal = await testConnection();
  // Another test's apply may have left one running: this test starts from none.
  await monitor().terminate('applySla test starts from none').catch(() => undefined);
});

afterAll(async () => {
  await monitor().terminate('test over').catch(() => undefined);
  await temporal?.close();
});

describe('meridian apply with SLAs', () => {
  let runId: string;

  it('--dry-run plans the monitor and starts nothing', async () => {
    writeConfig();
    const result = await apply('--dry-run');
    expect(result).toMatchObject({ applied: false, slaMonitor: { workflowId: 'sla-monitor', action: 'start', why: 'not running' } });
    expect((await monitor().describe().catch(() => undefined))?.status.name ?? 'none').not.toBe('RUNNING');
  });

  it('starts sla-monitor with the resolved settings, and a second apply changes nothing', async () => {
    expect((await apply()).slaMonitor.action).toBe('start');
    const started = await monitor().describe();
    expect(started).toMatchObject({ type: 'slaMonitorWorkflow', taskQueue: env.MERIDIAN_TASK_QUEUE, status: { name: 'RUNNING' }, memo: { managedBy: 'meridian apply', config: configFile } });
    expect(started.memo?.slaSettings).toEqual({
      slas: [{ name: 'gold', enabled: true, sources: ['tiles'], rpoSeconds: 3600, rtoSeconds: 1800, rtoTestedWithinSeconds: 30 * 86_400 }],
      sources: ['tiles'],
      repositories: ['main'],
      intervalSeconds: 5,
    });
    runId = started.runId;
    expect((await apply()).slaMonitor.action).toBe('running');
    expect(await reloads()).toBe(0);
    expect((await meridian('apply', '--config', configFile)).stdout).toContain('running sla-monitor\n');
  });

  it('a changed SLA is signalled to reload, in the same run, once', async () => {
    writeConfig({ rpoMinutes: 15 });
    expect((await apply('--dry-run')).slaMonitor).toMatchObject({ action: 'reload', why: 'meridian.yaml changed its SLAs, sources or interval' });
    expect((await apply()).slaMonitor.action).toBe('reload');
    expect(await reloads()).toBe(1);
    expect((await monitor().describe()).runId).toBe(runId);
    expect((await apply()).slaMonitor.action).toBe('running');
    expect(await reloads()).toBe(1);
  });

  it('a file without sources or SLAs stops it', async () => {
    writeConfig({ empty: true });
    expect((await apply()).slaMonitor).toMatchObject({ action: 'stop', why: 'meridian.yaml has no sources or SLAs' });
    expect((await monitor().describe()).status.name).toBe('TERMINATED');
    expect((await apply()).slaMonitor.action).toBe('none');
  });
});

// `meridian sla` and /v1/slas against the real SLA monitor on the real dev server, seeded with
// `carried` state (compliance buckets and violations of the past) and one stand-in observation
// (tiles-eu's newest good snapshot 2 h old against a 1 h RPO, restored in 10 min two days ago;
// tiles-us fresh and restored in 25 min a day ago: the SLA's RTO is its slowest source's).
// Violation ids carry the monitor's first run id: `tiles-<run id>-3`. Its first evaluation opens one rpo violation and adds one non-compliant sample, so
// every figure the CLI and the API print is computed here by hand. No monitor: exit 3 / 404.

import { Worker } from '@temporalio/worker';
import { createApiApp } from '../../api/app';
import type { SlaMonitorState, SlaMonitorView, SlaReport, SlaStatus } from '../../workflows/slaDefs';
import { meridianEnv, moduleRecorder, parseJson, runMeridian, SDK_CLIENT_MODULES } from '../helpers/meridianCli';
import { testAuthority, workflowBundle } from '../helpers/meridianWorker';
import { readUntil } from '../helpers/polling';
import { useTestConnection } from '../helpers/temporal';
import { tempDir } from '../helpers/trees';

const scope = useTestConnection();
const TOKEN = 'sla-surface-token-0123456789';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

test('status and report through the CLI and the API, as text, JSON and Markdown', async () => {
  const work = tempDir('sla-surface');
  const env = meridianEnv(work, 'slasurf', 'unused');
  const taskQueue = env.MERIDIAN_TASK_QUEUE!;
  const meridian = (args: string[], extra: NodeJS.ProcessEnv = {}) => runMeridian(args, { cwd: work, env: { ...env, ...extra }, timeoutMs: 60_000 });
  const now = Date.now();
  const hour = Math.floor(now / HOUR);
  const iso = (ms: number) => new Date(ms).toISOString();
  const activities = {
    observeFleet: async () => ({
      sources: [
        { source: 'tiles-eu', repository: 'gis-eu', snapshotCount: 40, lastGoodSnapshotAt: iso(now - 2 * HOUR), lastRecovery: { kind: 'restore' as const, at: iso(now - 2 * DAY), seconds: 600, workflowId: 'restore-drill-eu' } },
        { source: 'tiles-us', repository: 'gis-eu', snapshotCount: 44, lastGoodSnapshotAt: iso(now - 5 * 60_000), lastRecovery: { kind: 'restore' as const, at: iso(now - DAY), seconds: 1500, workflowId: 'restore-drill' } },
      ],
      repositories: [{ repository: 'gis-eu', snapshotCount: 84, sizeBytes: 5 * 2 ** 30 }],
    }),
    notifyEvent: async () => ({ delivered: [], filtered: [] }),
  };
  // 24h: 45 of 60 samples in the last hour, then this evaluation's one non-compliant: 45/61.
  // 7d adds 100 of 100 two days ago: 145/161. 30d adds 0 of 39 ten days ago: 145/200.
  const carried: SlaMonitorState = {
    slas: {
      tiles: {
        buckets: [
          { hour: hour - 240, samples: 39, compliant: 0 },
          { hour: hour - 48, samples: 100, compliant: 100 },
          { hour: hour - 1, samples: 60, compliant: 45 },
        ],
        violations: [
          { id: 'tiles-1', sla: 'tiles', kind: 'rto-untested', subject: 'tiles', start: iso(now - 11 * DAY), end: iso(now - 10 * DAY), observedSeconds: -1, targetSeconds: 30 * 86_400 },
          { id: 'tiles-2', sla: 'tiles', kind: 'rpo', subject: 'tiles-eu', start: iso(now - 3 * DAY), end: iso(now - 3 * DAY + 2 * HOUR + 5 * 60_000), observedSeconds: 7500, targetSeconds: 3600 },
        ],
        rpoHistory: {},
      },
    },
    sources: {},
    repositories: {},
    nextViolation: 3,
    evaluations: 100,
  };
  const slas = [{ name: 'tiles', enabled: true, sources: ['tiles-eu', 'tiles-us'], rpoSeconds: 3600, rtoSeconds: 4 * 3600, rtoTestedWithinSeconds: 30 * 86_400 }];
  const worker = await Worker.create({ connection: scope.t.connection, namespace: scope.t.namespace, taskQueue, workflowBundle: await workflowBundle(), activities, shutdownGraceTime: '1s' });
  const app = createApiApp({ client: scope.t.client, authority: testAuthority('unused'), token: TOKEN, taskQueue });
  const get = (route: string) => app.request(route, { headers: { Authorization: `Bearer ${TOKEN}` } });

  await worker.runUntil(async () => {
    scope.started.push('sla-monitor');
    await scope.t.client.workflow.start('slaMonitorWorkflow', {
      taskQueue,
      workflowId: 'sla-monitor',
      args: [{ slas, sources: ['tiles-eu', 'tiles-us'], repositories: ['gis-eu'], intervalSeconds: 3600, carried }],
    });
    const view = await readUntil('the first evaluation', () => meridian(['sla', 'status', '--json']).then((run) => parseJson<SlaMonitorView>(run)), (v) => v.evaluations === 101);
    const [tiles] = view.slas;
    expect(tiles).toMatchObject({ name: 'tiles', compliant: false, rpoTargetSeconds: 3600, rtoSeconds: 1500, rtoMeasuredAt: iso(now - DAY), openViolations: [{ id: expect.stringMatching(/^tiles-.+-3$/), kind: 'rpo', subject: 'tiles-eu', targetSeconds: 3600 }] });
    expect(tiles!.rpoSeconds).toBeGreaterThanOrEqual(7200);
    expect(tiles!.compliance['24h']).toBeCloseTo(45 / 61, 10);
    expect(tiles!.compliance['7d']).toBeCloseTo(145 / 161, 10);
    expect(tiles!.compliance['30d']).toBeCloseTo(145 / 200, 10);
    expect(view.repositories).toEqual([{ repository: 'gis-eu', snapshotCount: 84, sizeBytes: 5 * 2 ** 30 }]);

    const table = await meridian(['sla', 'status']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^tiles +NOT COMPLIANT +2 h \/ 1 h +25 min \/ 4 h +73\.77 % +90\.06 % +72\.50 % +1$/m);
    const one = parseJson<SlaStatus>(await meridian(['sla', 'status', 'tiles', '--json']));
    expect(one.sources.map((s) => s.source)).toEqual(['tiles-eu', 'tiles-us']);
    const unknown = await meridian(['sla', 'status', 'nope']);
    expect({ code: unknown.code, stderr: unknown.stderr.trim() }).toEqual({ code: 3, stderr: 'meridian: no SLA named "nope" in sla-monitor (it monitors tiles)' });

    // 7 days back: the rpo violation of 3 days ago and the open one; not the one that ended 10 days ago.
    // The report query's argument travels in the CLI's own gRPC call: no SDK is loaded.
    const modules = moduleRecorder(work, 'report');
    const week = parseJson<SlaReport>(await meridian(['sla', 'report', 'tiles', '--since', '7d', '--json'], modules.env));
    expect(week.violations.map((v) => v.id)).toEqual(['tiles-2', expect.stringMatching(/^tiles-.+-3$/)]);
    expect(modules.loaded().filter((file) => SDK_CLIENT_MODULES.test(file))).toEqual([]);
    const every = parseJson<{ reports: SlaReport[] }>(await meridian(['sla', 'report', '--since', '7d', '--json']));
    expect(every.reports.map((r) => [r.status.name, r.violations.length])).toEqual([['tiles', 2]]);
    const month = await meridian(['sla', 'report', 'tiles', '--markdown']);
    expect(month.code).toBe(0);
    expect(month.stdout).toMatch(/^# SLA report: tiles\n/);
    expect(month.stdout).toContain('Status: **not compliant (1 open violation)**');
    expect(month.stdout).toContain('| rpo | tiles-eu |');
    expect(month.stdout).toMatch(/\| rto-untested \| tiles \| .* UTC \| .* UTC \| 1 d \| never \| 30 d \|/);
    expect(month.stdout).toMatch(/\| rpo \| tiles-eu \| .* UTC \| .* UTC \| 2 h 5 min \| 2 h 5 min \| 1 h \|/);
    const badSince = await meridian(['sla', 'report', 'tiles', '--since', 'yesterday']);
    expect(badSince.code).toBe(2);

    const listed = await get('/v1/slas');
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as SlaMonitorView).slas[0]!.compliance['7d']).toBeCloseTo(145 / 161, 10);
    const markdown = await get('/v1/slas/tiles/report?since=7d&format=markdown');
    expect(markdown.status).toBe(200);
    expect(markdown.headers.get('content-type')).toMatch(/^text\/markdown/);
    expect(await markdown.text()).toContain('| 24h | 73.77 % |');
    expect((await get('/v1/slas/nope/report')).status).toBe(404);

    await scope.t.client.workflow.getHandle('sla-monitor').terminate('test: no monitor');
    const gone = await meridian(['sla', 'status']);
    expect({ code: gone.code, stderr: gone.stderr.trim() }).toEqual({ code: 3, stderr: 'meridian: no SLA monitor (sla-monitor) is running: meridian apply starts it when meridian.yaml has slas' });
    expect((await get('/v1/slas')).status).toBe(404);
  });
});

// `meridian schedule` and the /v1/schedules routes against the test Temporal server, on Schedules
// made by the real `meridian apply` (plus one foreign Schedule, never listed nor touched): list
// and describe (spec in words, next 5 runs as computed independently here), pause with a note and
// resume, trigger (a run starts; a second trigger while it is open is skipped, never a second
// run), backfill over three scheduled times (each run starts only once the previous one has
// closed: the test ends each open run itself, as no worker polls the schedules' task queue), and
// unknown names (exit 2, 404). The runs need not succeed: what is tested is the Schedule's side.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createApiApp } from '../../api/app';
import { listSchedules, type PauseView, type ScheduleSummaryView, type ScheduleView, type TriggerView } from '../../schedules/inspect';
import { DEFAULT_PAUSE_NOTE, RESUME_NOTE } from '../../schedules/notes';
import { meridianEnv, parseJson, runMeridian } from '../helpers/meridianCli';
import { testAuthority } from '../helpers/meridianWorker';
import { testConnection, uniqueTaskQueue, type TestConnection } from '../helpers/temporal';
import { createForeignSchedule, deleteSchedules } from '../helpers/schedules';
import { eventually } from '../helpers/polling';
import { tempDir } from '../helpers/trees';

const TOKEN = 'schedule-control-token';
const run = uniqueTaskQueue('sc').replace(/[^A-Za-z0-9-]/g, '-');
const names = { yearly: `${run}-yearly`, scrub: `${run}-scrub`, backfill: `${run}-backfill` };
const foreignId = `${run}-foreign`;

let work: string;
let env: NodeJS.ProcessEnv;
let temporal: TestConnection;
let app: ReturnType<typeof createApiApp>;

const meridian = (...args: string[]) => runMeridian(args, { cwd: work, env, timeoutMs: 60_000 });
const schedule = async <T>(...args: string[]) => parseJson<T>(await meridian('schedule', ...args, '--json'));
const handle = (name: string) => temporal.client.schedule.getHandle(`meridian:${name}`);

async function api<T>(method: 'GET' | 'POST', route: string, body?: object): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}`, ...(body ? { 'Content-Type': 'application/json' } : {}) };
  const response = await app.request(route, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { status: response.status, body: (await response.json()) as T };
}

/** Jan 1 03:00 in Europe/Berlin (CET, UTC+1) for the next `n` years: an independent computation of the yearly spec's runs. */
function nextNewYearMornings(n: number): string[] {
  const now = Date.now();
  let year = new Date(now).getUTCFullYear();
  while (Date.UTC(year, 0, 1, 2) <= now) year += 1;
  return Array.from({ length: n }, (_, i) => new Date(Date.UTC(year + i, 0, 1, 2)).toISOString());
}

beforeAll(async () => {
  work = tempDir('schedule-control');
  const configFile = path.join(work, 'meridian.yaml');
  writeFileSync(path.join(work, 'gis.pass'), 'not used by these schedules\n');
  writeFileSync(
    configFile,
    [
      'repositories:',
      `  gis: { url: ${path.join(work, 'repo')}, passwordFile: ${path.join(work, 'gis.pass')} }`,
      'sources:',
      `  tiles: { path: ${path.join(work, 'tiles')}, repository: gis }`,
      'schedules:',
      `  ${names.yearly}: { source: tiles, cron: "0 3 1 1 *", timezone: Europe/Berlin }`,
      `  ${names.scrub}: { repository: gis, every: 1s, scrub: { cycle: 4 }, enabled: false }`,
      `  ${names.backfill}: { source: tiles, cron: "0 3 1 1 *" }`,
      '',
    ].join('\n'),
  );
  // MERIDIAN_TASK_QUEUE is unique to this file and no worker polls it: the runs stay open until the test ends them.
  env = { ...meridianEnv(work, 'schedule-control', 'unused'), MERIDIAN_CONFIG: configFile };
  temporal = await testConnection();
  await createForeignSchedule(temporal.client, foreignId);
  parseJson(await meridian('apply', '--json'));
  app = createApiApp({ client: temporal.client, authority: testAuthority('unused'), token: TOKEN });
});

afterAll(async () => {
  for (const name of Object.values(names)) {
    const description = await handle(name)
      .describe()
      .catch(() => undefined);
    for (const action of description?.info.runningActions ?? []) {
      await temporal.client.workflow
        .getHandle(action.workflow.workflowId)
        .terminate('schedule control test over')
        .catch(() => undefined);
    }
  }
  await deleteSchedules(temporal.client, [foreignId, ...Object.values(names).map((name) => `meridian:${name}`)]);
  await temporal?.close();
});

describe('meridian schedule', () => {
  it('lists the owned schedules with their spec in words, state and next run, and never a foreign one', async () => {
    // Temporal's list of Schedules lags a little behind their creation.
    await eventually('the applied schedules to be listed', async () => {
      const listed = (await listSchedules(temporal.client)).map((s) => s.name);
      return Object.values(names).every((name) => listed.includes(name)) ? true : undefined;
    });
    const rows = await schedule<ScheduleSummaryView[]>('list');
    const mine = rows.filter((row) => row.name.startsWith(run));
    expect(mine).toEqual([
      { name: names.backfill, kind: 'backup', spec: '0 3 1 1 * UTC', paused: false, nextRun: expect.any(String) },
      { name: names.scrub, kind: 'scrub', spec: 'every 1s', paused: true, note: 'disabled in meridian.yaml', nextRun: expect.any(String) },
      { name: names.yearly, kind: 'backup', spec: '0 3 1 1 * Europe/Berlin', paused: false, nextRun: nextNewYearMornings(1)[0] },
    ]);
    expect(rows.map((row) => row.name)).not.toContain(foreignId);
    expect(rows.some((row) => row.name.includes('foreign'))).toBe(false);

    const table = await meridian('schedule', 'list');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAME +KIND +SPEC +NEXT RUN +STATE$/m);
    expect(table.stdout).toMatch(new RegExp(`^${names.scrub} +scrub +every 1s +- +paused: disabled in meridian.yaml$`, 'm'));
  });

  it('describes a schedule: spec, policies, the next 5 runs Temporal computes, no runs yet', async () => {
    const view = await schedule<ScheduleView>('describe', names.yearly);
    expect(view).toEqual({
      name: names.yearly,
      kind: 'backup',
      spec: '0 3 1 1 * Europe/Berlin',
      paused: false,
      nextRun: nextNewYearMornings(1)[0],
      overlap: 'SKIP',
      catchupWindowMs: 3_600_000,
      nextRuns: nextNewYearMornings(5),
      recentRuns: [],
      openRuns: [],
      actionsTaken: 0,
      missedCatchupWindow: 0,
      skippedOverlap: 0,
    });
    const text = await meridian('schedule', 'describe', names.yearly);
    expect(text.stdout).toContain(`schedule ${names.yearly} (backup)`);
    expect(text.stdout).toContain('overlap:    SKIP; catch-up window 1h');
  });

  it('pauses with a note (or the default one) and resumes', async () => {
    expect(await schedule<PauseView>('pause', names.yearly, '--note', 'storage migration until Friday')).toEqual({
      name: names.yearly,
      paused: true,
      note: 'storage migration until Friday',
    });
    expect((await handle(names.yearly).describe()).state).toMatchObject({ paused: true, note: 'storage migration until Friday' });
    expect(await schedule<ScheduleView>('describe', names.yearly)).toMatchObject({ paused: true, note: 'storage migration until Friday' });

    expect((await meridian('schedule', 'pause', names.yearly)).stdout).toBe(`paused schedule ${names.yearly} (note: ${DEFAULT_PAUSE_NOTE})\n`);
    expect((await handle(names.yearly).describe()).state).toMatchObject({ paused: true, note: DEFAULT_PAUSE_NOTE });

    expect(await schedule<PauseView>('resume', names.yearly)).toEqual({ name: names.yearly, paused: false, note: RESUME_NOTE });
    expect((await handle(names.yearly).describe()).state.paused).toBe(false);
  });

  it('triggers a run with the schedule’s own overlap policy; a second trigger while it is open is skipped', async () => {
    const first = await schedule<TriggerView & { workflowId: string }>('trigger', names.yearly);
    expect(first).toEqual({
      name: names.yearly,
      overlap: 'SKIP',
      outcome: 'started',
      workflowId: expect.stringMatching(new RegExp(`^scheduled-backup:${names.yearly}-`)),
      openRuns: [first.workflowId],
    });
    const second = await schedule<TriggerView>('trigger', names.yearly);
    expect(second).toEqual({ name: names.yearly, overlap: 'SKIP', outcome: 'skipped', openRuns: [first.workflowId] });

    // One action taken in all: the skipped trigger started no workflow.
    const view = await schedule<ScheduleView>('describe', names.yearly);
    expect(view).toMatchObject({ actionsTaken: 1, skippedOverlap: 1, openRuns: [first.workflowId] });
    expect(view.recentRuns).toEqual([{ scheduledAt: expect.any(String), takenAt: expect.any(String), workflowId: first.workflowId, outcome: 'running' }]);
    await temporal.client.workflow.getHandle(first.workflowId).terminate('ended by the schedule control test');
    await eventually('the describe to show the run terminated', async () => {
      const after = await schedule<ScheduleView>('describe', names.yearly);
      return after.recentRuns[0]?.outcome === 'terminated' ? after : undefined;
    });
  });

  it('backfills the three scheduled times of a window, one run after another', async () => {
    const result = await schedule<Record<string, unknown>>('backfill', names.backfill, '--from', '2023-01-01T00:00:00Z', '--to', '2025-12-31T00:00:00+01:00');
    expect(result).toEqual({ name: names.backfill, from: '2023-01-01T00:00:00.000Z', to: '2025-12-30T23:00:00.000Z', overlap: 'BUFFER_ALL' });
    // Each backfilled run stays open (no worker polls the queue) until this test ends it; the next
    // may start only after that, so at no moment are two of them open.
    const ended: string[] = [];
    for (let step = 1; step <= 3; step += 1) {
      const description = await eventually(`backfilled run ${step}`, async () => {
        const d = await handle(names.backfill).describe();
        expect(d.info.runningActions.length).toBeLessThanOrEqual(1);
        return d.info.numActionsTaken === step && d.info.runningActions.length === 1 ? d : undefined;
      });
      const open = description.info.runningActions[0]!.workflow.workflowId;
      expect(ended).not.toContain(open);
      await temporal.client.workflow.getHandle(open).terminate('backfill step done');
      ended.push(open);
    }
    const view = await eventually('the last backfilled run to close', async () => {
      const v = await schedule<ScheduleView>('describe', names.backfill);
      return v.openRuns.length === 0 && v.recentRuns.every((r) => r.outcome !== 'running') ? v : undefined;
    });
    expect(view.actionsTaken).toBe(3);
    expect(view.skippedOverlap).toBe(0);
    expect(view.recentRuns.map((r) => r.scheduledAt)).toEqual(['2023-01-01T03:00:00.000Z', '2024-01-01T03:00:00.000Z', '2025-01-01T03:00:00.000Z']);
    expect(view.recentRuns.map((r) => r.workflowId)).toEqual(ended);
    expect(view.recentRuns.map((r) => r.outcome)).toEqual(['terminated', 'terminated', 'terminated']);
  });

  it('answers an unknown or foreign name, and bad input, with one line and exit 2', async () => {
    for (const name of [`${run}-nothing`, foreignId]) {
      const missing = await meridian('schedule', 'describe', name);
      expect({ code: missing.code, stdout: missing.stdout, stderr: missing.stderr }).toEqual({
        code: 2,
        stdout: '',
        stderr: `meridian: no schedule named "${name}" (meridian schedule list shows those meridian apply made)\n`,
      });
      expect((await meridian('schedule', 'pause', name)).code).toBe(2);
    }
    for (const args of [
      ['describe'],
      ['list', names.yearly],
      ['resume', names.yearly, '--note', 'x'],
      ['backfill', names.backfill, '--from', '2025-01-01T00:00:00Z'],
      ['backfill', names.backfill, '--from', '2025-01-02T00:00:00Z', '--to', '2025-01-01T00:00:00Z'],
      ['backfill', names.backfill, '--from', '2025-01-01', '--to', '2025-01-02T00:00:00Z'],
    ]) {
      const bad = await meridian('schedule', ...args);
      expect({ args, code: bad.code, lines: bad.stderr.trim().split('\n').length }).toEqual({ args, code: 2, lines: 1 });
    }
    expect((await handle(names.backfill).describe()).info.numActionsTaken).toBe(3);
  });
});

describe('/v1/schedules', () => {
  it('lists and describes the owned schedules as the CLI does, never a foreign one', async () => {
    const { status, body } = await api<{ schedules: ScheduleSummaryView[] }>('GET', '/v1/schedules');
    expect(status).toBe(200);
    expect(body.schedules).toEqual(await schedule<ScheduleSummaryView[]>('list'));
    expect(body.schedules.map((s) => s.name)).toEqual(expect.arrayContaining(Object.values(names)));
    expect(body.schedules.map((s) => s.name)).not.toContain(foreignId);

    const described = await api<ScheduleView>('GET', `/v1/schedules/${names.yearly}`);
    expect(described.status).toBe(200);
    expect(described.body).toMatchObject({ name: names.yearly, spec: '0 3 1 1 * Europe/Berlin', nextRuns: nextNewYearMornings(5), actionsTaken: 1 });
  });

  it('pauses with a note, resumes and triggers', async () => {
    expect(await api('POST', `/v1/schedules/${names.yearly}/pause`, { note: 'paused over HTTP' })).toEqual({
      status: 200,
      body: { name: names.yearly, paused: true, note: 'paused over HTTP' },
    });
    expect((await handle(names.yearly).describe()).state).toMatchObject({ paused: true, note: 'paused over HTTP' });
    expect(await api('POST', `/v1/schedules/${names.yearly}/resume`)).toEqual({ status: 200, body: { name: names.yearly, paused: false, note: RESUME_NOTE } });
    expect((await handle(names.yearly).describe()).state.paused).toBe(false);

    const triggered = await api<TriggerView>('POST', `/v1/schedules/${names.yearly}/trigger`);
    expect(triggered).toEqual({ status: 200, body: expect.objectContaining({ outcome: 'started', overlap: 'SKIP' }) });
    expect((await handle(names.yearly).describe()).info.numActionsTaken).toBe(2);
    const again = await api<TriggerView>('POST', `/v1/schedules/${names.yearly}/trigger`);
    expect(again.body).toEqual({ name: names.yearly, overlap: 'SKIP', outcome: 'skipped', openRuns: [triggered.body.workflowId!] });
  });

  it('answers 404 for an unknown or foreign name, and touches no foreign schedule', async () => {
    for (const name of [`${run}-nothing`, foreignId]) {
      expect(await api('GET', `/v1/schedules/${name}`)).toEqual({
        status: 404,
        body: { error: { code: 'not_found', message: `no schedule named "${name}" (meridian schedule list shows those meridian apply made)` } },
      });
      expect((await api('POST', `/v1/schedules/${name}/pause`, {})).status).toBe(404);
      expect((await api('POST', `/v1/schedules/${name}/trigger`)).status).toBe(404);
    }
    const foreign = await temporal.client.schedule.getHandle(foreignId).describe();
    expect(foreign.state).toMatchObject({ paused: true });
    expect(foreign.info.numActionsTaken).toBe(0);
  });
});

// scrubWorkflow through a real Temporal Schedule on the dev server, made by `meridian apply` (the
// real CLI) from a meridian.yaml entry `every: 1s`, with a real worker that resolves the entry's
// repository name through that file, over a small repository: each run gets the
// previous completed run's cursor from the Schedule, T consecutive runs read subsets 1..T and
// together every pack; then a flipped byte makes a run complete with ok: false naming the pack,
// and the schedule's channel, a local webhook, receives the damage-found event. The Schedule is
// deleted after. Also: `meridian verify --subset` through the CLI, and a run that cannot scrub,
// started with a legacy notify list (a URL), notifies 'scrub-failed' through the legacy path.

import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ScheduleHandle } from '@temporalio/client';
import { inSubset } from '../../core/packSubset';
import { scheduleId } from '../../schedules/names';
import { configuredAuthority } from '../../worker/authority';
import { loadWorkerConfig } from '../../worker/workerConfig';
import { progressQuery, type ScrubInput, type ScrubOutput } from '../../workflows/shared';
import { buildManyPacksRepository, MANY_PACKS_PASSPHRASE, ManyPacksRepository, packNames, packPath } from '../helpers/manyPacksRepository';
import { meridianEnv, parseJson, runMeridian } from '../helpers/meridianCli';
import { RunningWorker, startWorker } from '../helpers/meridianWorker';
import { testConnection, TestConnection } from '../helpers/temporal';
import { tempDir } from '../helpers/trees';

jest.setTimeout(60_000);

const T = 3;
let t: TestConnection;
let worker: RunningWorker | undefined;
let work: string;
let env: NodeJS.ProcessEnv;
let built: ManyPacksRepository;
/** Legacy NotifyEvents and MeridianEvents, as received. */
let webhook: { url: string; events: Record<string, unknown>[]; server: http.Server };
let schedule: ScheduleHandle | undefined;
let configFile: string;
const name = `scrub-test-${process.pid}-${Date.now().toString(36)}`;

beforeAll(async () => {
  work = tempDir('scrub-schedule');
  built = await buildManyPacksRepository(8, path.join(work, 'repo'));
  env = meridianEnv(work, 'scrub', 'not the passphrase: meridian.yaml names the file');
  t = await testConnection();
  const events: Record<string, unknown>[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      events.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  webhook = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/scrub`, events, server };

  configFile = path.join(work, 'meridian.yaml');
  fs.writeFileSync(path.join(work, 'scrubbed.pass'), `${MANY_PACKS_PASSPHRASE}\n`);
  fs.writeFileSync(path.join(work, 'hook.secret'), 'scrub-hook-secret\n');
  fs.writeFileSync(
    configFile,
    [
      'repositories:',
      `  scrubbed: { url: ${built.dir}, passwordFile: scrubbed.pass }`,
      'schedules:',
      `  ${name}: { repository: scrubbed, every: 1s, scrub: { cycle: ${T} }, notify: [scrub-hook] }`,
      'notifications:',
      `  scrub-hook: { webhook: { url: "${webhook.url}", secretFile: hook.secret } }`,
      '',
    ].join('\n'),
  );
  // The worker serves the repository by the name meridian.yaml gives it, with the file's passphrase.
  const workerConfig = loadWorkerConfig({ ...env, MERIDIAN_CONFIG: configFile });
  worker = await startWorker(t, 'unused', env.MERIDIAN_TASK_QUEUE, { authority: configuredAuthority(workerConfig), workerConfig });
});

afterAll(async () => {
  await schedule?.delete().catch(() => undefined);
  await worker?.stop();
  await t?.close();
  await new Promise((resolve) => webhook?.server.close(resolve));
});

/** Waits for the Schedule's next `count` completed runs after those in `seen`, in the order they ran. */
async function nextRuns(handle: ScheduleHandle, seen: Set<string>, count: number): Promise<{ workflowId: string; output: ScrubOutput }[]> {
  const runs: { workflowId: string; output: ScrubOutput }[] = [];
  while (runs.length < count) {
    const { info } = await handle.describe();
    const fresh = info.recentActions.filter((a) => !seen.has(a.action.workflow.workflowId)).sort((a, b) => a.takenAt.getTime() - b.takenAt.getTime());
    if (fresh.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      continue;
    }
    const { workflowId, firstExecutionRunId } = fresh[0]!.action.workflow;
    seen.add(workflowId);
    const output = await t.client.workflow.getHandle<(input: ScrubInput) => Promise<ScrubOutput>>(workflowId, firstExecutionRunId).result();
    runs.push({ workflowId, output });
  }
  return runs;
}

it('meridian verify --subset 2/3 reads the packs of that subset through the verify workflow', async () => {
  const run = await runMeridian(['verify', '--repo', 'scrubbed', '--config', configFile, '--subset', '2/3', '--json'], { cwd: work, env, timeoutMs: 30_000 });
  const report = parseJson<{ level: string; ok: boolean; subset: { n: number; t: number }; checked: { packs: number } }>(run);
  const inTwo = packNames(built.dir).filter((p) => inSubset(p, { n: 2, t: 3 })).length;
  expect(inTwo).toBeGreaterThan(0);
  expect(report).toMatchObject({ level: 'deep', ok: true, subset: { n: 2, t: 3 }, checked: { packs: inTwo } });
});

it('a run that cannot scrub fails and notifies scrub-failed', async () => {
  const input: ScrubInput = { schedule: 'by-hand', repo: 'not-served-here', cycle: T, notify: [webhook.url] };
  const handle = await t.client.workflow.start('scrubWorkflow', { taskQueue: env.MERIDIAN_TASK_QUEUE!, workflowId: `${name}-refused`, args: [input] });
  await expect(handle.result()).rejects.toThrow();
  expect(webhook.events.find((e) => e.workflowId === handle.workflowId)).toMatchObject({ kind: 'scrub-failed', schedule: 'by-hand', message: expect.stringMatching(/^scrub of not-served-here failed: /) });
});

it('runs of a Schedule made by meridian apply carry the cursor: T consecutive runs read every pack; a flipped byte makes a run complete with ok: false naming the pack, and notifies', async () => {
  const packs = packNames(built.dir);
  schedule = t.client.schedule.getHandle(scheduleId(name));
  const applied = parseJson<{ plan: { name: string; action: string }[] }>(await runMeridian(['apply', '--config', configFile, '--json'], { cwd: work, env, timeoutMs: 30_000 }));
  expect(applied.plan).toEqual([expect.objectContaining({ name, action: 'create' })]);
  expect((await schedule.describe()).action).toMatchObject({ workflowType: 'scrubWorkflow', args: [{ schedule: name, repo: 'scrubbed', cycle: T, notify: ['scrub-hook'] } satisfies ScrubInput] });
  const seen = new Set<string>();

  // The first run starts at subset 1 (no earlier result); each later one where the one before left off.
  const first = await nextRuns(schedule, seen, T + 1);
  const cycle = first.slice(0, T).map((r) => r.output);
  first.slice(1).forEach((run, i) => expect(run.output.subset).toEqual({ n: first[i]!.output.cursor.subset, t: T }));
  expect(cycle.map((o) => o.subset.n).sort()).toEqual([1, 2, 3]);
  for (const output of cycle) {
    expect(output).toMatchObject({ ok: true, problems: [], cycleStretched: false });
    expect(output.checked.packs).toBe(packs.filter((p) => inSubset(p, output.subset)).length);
  }
  expect(cycle.reduce((sum, o) => sum + o.checked.packs, 0)).toBe(packs.length);
  expect(first[0]!.output.subset.n).toBe(1);
  const described = await t.client.workflow.getHandle(first[0]!.workflowId).describe();
  expect(described.searchAttributes).toMatchObject({ MeridianOperation: ['scrub'], MeridianRepository: ['scrubbed'] });
  expect(await t.client.workflow.getHandle(first[0]!.workflowId).query(progressQuery)).toMatchObject({ operation: 'scrub', phase: 'completed', result: { ok: true, subset: { n: 1, t: T } } });

  // Damage one byte in the middle of the largest pack (file data).
  const victim = packs.reduce((a, b) => (fs.statSync(packPath(built.dir, a)).size >= fs.statSync(packPath(built.dir, b)).size ? a : b));
  const file = packPath(built.dir, victim);
  const bytes = fs.readFileSync(file);
  const at = Math.floor(bytes.length / 2);
  bytes[at] = bytes[at]! ^ 0x10;
  fs.writeFileSync(file, bytes);

  // Within T runs (plus the one that may have been running during the flip) a run reports it and completes.
  const after = await nextRuns(schedule, seen, T + 1);
  const damaged = after.find((r) => !r.output.ok);
  expect(damaged?.output.problems[0]).toMatchObject({ kind: 'damaged-blob', pack: victim, snapshot: expect.stringMatching(/^[0-9a-f]{64}$/), path: expect.stringMatching(/tile-\d+\.bin$/) });
  expect(damaged!.output.notification).toEqual({ delivered: ['scrub-hook'], filtered: [] });
  // The run after it still got its cursor: a run with damage completes.
  const index = after.indexOf(damaged!);
  if (index + 1 < after.length) expect(after[index + 1]!.output.subset.n).toBe(damaged!.output.cursor.subset);
  const event = webhook.events.find((e) => e.workflowId === damaged!.workflowId);
  expect(event).toMatchObject({ kind: 'damage-found', severity: 'critical', subject: 'scrubbed', details: { operation: 'scrub', schedule: name }, summary: expect.stringContaining(`pack ${victim.slice(0, 12)}`) });

  await schedule.delete();
  schedule = undefined;
});

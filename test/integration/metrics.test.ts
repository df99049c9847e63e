// /metrics of a real `meridian server` (child process, real Temporal, real local repositories):
// after a real backup through the API, the scrape parses, `promtool check metrics` reports
// nothing, the operation and storage counters moved by what the backup did, a scrape itself makes
// no storage request, and the Temporal SDK serves its own metrics on metrics.temporalBind (which
// promtool accepts too). With the real sla-monitor observing a repository of 10,000 snapshots,
// scrapes show its count and make no storage request (the server's storage counters, which the
// observation itself moved, stand still across scrapes). A `meridian worker` serves its own
// counters on metrics.bind, behind metrics.tokenFile, without the server's cluster families.

import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Repository } from '../../core/repository';
import { LocalStorage } from '../../storage/local';
import { freePorts } from '../../worker/freePorts';
import { SLA_MONITOR_WORKFLOW_ID } from '../../workflows/slaDefs';
import { meridianEnv, projectRoot, startMeridianWorker } from '../helpers/meridianCli';
import { eventually } from '../helpers/polling';
import { promtool } from '../helpers/promtool';
import { hourlyTimes, UnsyncedLocalStorage, writeSnapshots } from '../helpers/snapshotHistories';
import { testAddress } from '../helpers/temporal';
import { tempDir, writeTree } from '../helpers/trees';
import { assertBuildFresh } from '../setup/distFreshness';

const PASS = 'metrics-pass';
const TOKEN = 'metrics-api-token';

let server: ChildProcessWithoutNullStreams | undefined;
let log = '';

afterAll(async () => {
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
});

const FLEET_SNAPSHOTS = 10_000;
let work: string;
let source: string;
let temporalPort: number;
let env: NodeJS.ProcessEnv;
let api: string;
let metrics: string;

beforeAll(async () => {
  work = tempDir('metrics');
  const repo = path.join(work, 'repo');
  await Repository.init(new LocalStorage(repo), PASS, {});
  source = path.join(work, 'maps');
  writeTree(source, { smallFiles: 8, largeFiles: [200 * 1024] });
  const fleet = path.join(work, 'fleet');
  await writeSnapshots(await Repository.init(new UnsyncedLocalStorage(fleet), PASS, {}), hourlyTimes(FLEET_SNAPSHOTS, '2026-11-30T00:00:00Z').map((time) => ({ time })));
  [temporalPort] = (await freePorts(1)) as [number];
  env = { ...meridianEnv(work, 'metrics', PASS), MERIDIAN_API_TOKEN: TOKEN };
  fs.writeFileSync(
    path.join(env.MERIDIAN_HOME!, 'meridian.yaml'),
    [
      'repositories:',
      `  main: { url: ${repo} }`,
      `  fleet: { url: ${fleet} }`,
      'sources:',
      `  maps: { path: ${source}, repository: main }`,
      'api: { bind: "127.0.0.1:0" }',
      `metrics: { bind: "127.0.0.1:0", temporalBind: "127.0.0.1:${temporalPort}" }`,
      '',
    ].join('\n'),
  );
  ({ api, metrics } = await startServer(env));
});

async function scrape(): Promise<string> {
  const response = await fetch(metrics);
  expect(response.status).toBe(200);
  return response.text();
}

const storageCounters = (values: Map<string, number>) => [...values].filter(([key]) => key.startsWith('meridian_storage_'));

/** Starts `meridian server` and resolves with the API's and the metrics' addresses once its worker runs. */
async function startServer(env: NodeJS.ProcessEnv): Promise<{ api: string; metrics: string }> {
  assertBuildFresh(projectRoot);
  server = spawn(process.execPath, [path.join(projectRoot, 'bin', 'meridian.js'), 'server'], { cwd: projectRoot, env, stdio: 'pipe' });
  await new Promise<void>((resolve, reject) => {
    server!.stderr.on('data', (data: Buffer) => {
      log += data.toString();
      if (log.includes('worker on task queue')) resolve();
    });
    server!.once('exit', (code) => reject(new Error(`meridian server exited with ${code}: ${log}`)));
  });
  const api = /HTTP API on (http:\/\/[^\s,]+)/.exec(log)?.[1];
  const metrics = /metrics on (http:\/\/\S+\/metrics)/.exec(log)?.[1];
  if (!api || !metrics) throw new Error(`no addresses in the server's log: ${log}`);
  return { api, metrics };
}

/** `name{labels}` → value of every sample of an exposition. */
function samples(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match) values.set(match[1]!, Number(match[2]));
  }
  return values;
}

test('a scrape after a real backup passes promtool, counts the backup and its storage requests, and touches no storage', async () => {
  expect(new URL(metrics).port).not.toBe(new URL(api).port);

  const before = samples(await scrape());
  expect(before.get('meridian_operations_total{operation="backup",outcome="success"}') ?? 0).toBe(0);

  const auth = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' };
  const started = (await (await fetch(`${api}/v1/backups`, { method: 'POST', headers: auth, body: JSON.stringify({ repo: 'main', path: source }) })).json()) as { workflowId: string };
  const result = await eventually('the backup to complete', async () => {
    const view = (await (await fetch(`${api}/v1/operations/${encodeURIComponent(started.workflowId)}`, { headers: auth })).json()) as { status: string; result?: { bytesAdded: number } };
    if (view.status !== 'running') return view;
    return undefined;
  }, 120_000);
  expect(result).toMatchObject({ status: 'completed' });

  const text = await scrape();
  expect(await promtool(text)).toBe('');
  const after = samples(text);
  expect(after.get('meridian_operations_total{operation="backup",outcome="success"}')).toBe(1);
  expect(after.get('meridian_operation_duration_seconds_count{operation="backup"}')).toBe(1);
  expect(after.get('meridian_backup_added_bytes_count')).toBe(1);
  expect(after.get('meridian_backup_added_bytes_sum')).toBe(result.result!.bytesAdded);
  expect(after.get('meridian_backup_added_bytes_sum')).toBeGreaterThan(200 * 1024);
  const puts = after.get('meridian_storage_requests_total{backend="local",operation="put",outcome="ok"}') ?? 0;
  expect(puts).toBeGreaterThanOrEqual(3); // at least a pack, an index and the snapshot
  expect(text).toContain('# TYPE meridian_storage_requests_total counter');

  // Scrapes answer from memory: scraping again and again moves no storage counter.
  for (let i = 0; i < 3; i++) await scrape();
  expect(storageCounters(samples(await scrape()))).toEqual(storageCounters(after));

  const sdk = await fetch(`http://127.0.0.1:${temporalPort}/metrics`);
  expect(sdk.status).toBe(200);
  const sdkText = await sdk.text();
  expect(sdkText).toMatch(/^temporal_activity_execution_latency_seconds_bucket\{/m);
  expect(await promtool(sdkText)).toBe('');
});

test('with the sla-monitor observing 10,000 snapshots, scrapes show them and make no storage request', async () => {
  const connection = await Connection.connect({ address: testAddress() });
  const client = new Client({ connection });
  try {
    // The real monitor on the server's worker; one observation, then an hour's sleep.
    const handle = await client.workflow.start('slaMonitorWorkflow', {
      workflowId: SLA_MONITOR_WORKFLOW_ID,
      taskQueue: env.MERIDIAN_TASK_QUEUE!,
      workflowIdConflictPolicy: 'TERMINATE_EXISTING',
      args: [{ slas: [], sources: ['maps'], repositories: ['fleet', 'main'], intervalSeconds: 3600 }],
    });
    try {
      // The server reads the monitor every 10 s: wait for the observation to reach /metrics.
      const text = await eventually('the fleet in /metrics', async () => {
        const scraped = await scrape();
        return scraped.includes(`meridian_repository_snapshots{repository="fleet"} ${FLEET_SNAPSHOTS}`) ? scraped : undefined;
      }, 60_000);
      expect(await promtool(text)).toBe('');
      const first = samples(text);
      expect(first.get('meridian_repository_snapshots{repository="main"}')).toBe(1);
      expect(first.get('meridian_repository_ransomware_alerts_open{repository="main"}')).toBe(0);
      expect(first.get('meridian_source_snapshots{source="maps"}')).toBe(1);
      expect(first.get('meridian_source_rpo_seconds{source="maps"}')).toBeGreaterThanOrEqual(0);
      // The observation listed and read the fleet through this server's storage: the counters saw it…
      expect(first.get('meridian_storage_requests_total{backend="local",operation="get",outcome="ok"}')).toBeGreaterThanOrEqual(FLEET_SNAPSHOTS);
      // …and scrapes over that state add nothing to them.
      for (let i = 0; i < 5; i++) await scrape();
      expect(storageCounters(samples(await scrape()))).toEqual(storageCounters(first));
    } finally {
      await handle.terminate('metrics test done');
    }
  } finally {
    await connection.close();
  }
});

test('meridian worker serves its own counters on metrics.bind, behind metrics.tokenFile', async () => {
  const home = tempDir('metrics-worker');
  const workerEnv: NodeJS.ProcessEnv = meridianEnv(home, 'metrics-worker', PASS);
  const tokenFile = path.join(home, 'metrics.token');
  fs.writeFileSync(tokenFile, 'scrape-token\n');
  fs.writeFileSync(path.join(workerEnv.MERIDIAN_HOME!, 'meridian.yaml'), `metrics: { bind: "127.0.0.1:0", tokenFile: ${tokenFile} }\n`);
  const worker = await startMeridianWorker(workerEnv);
  try {
    const address = /metrics on (http:\/\/\S+\/metrics)/.exec(worker.log())?.[1];
    expect(address).toBeDefined();
    expect((await fetch(address!)).status).toBe(401);
    const response = await fetch(address!, { headers: { Authorization: 'Bearer scrape-token' } });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('# TYPE meridian_operations_total counter');
    expect(text).not.toContain('meridian_sla_compliant');
    expect(await promtool(text)).toBe('');
  } finally {
    await worker.stop();
  }
});

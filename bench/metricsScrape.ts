// The metrics benchmark: a Prometheus scrape of a repository of N snapshots (default 10,000) of 100
// sources, side by side. Meridian's GET /metrics as `meridian server` serves it (its registry, the
// cluster gauges over a fleet's state: the 100 sources as the sla-monitor's observation left them,
// 20 SLAs, 3 failover monitors with their replica sets, 10 Schedules; metrics/endpoint.ts on a real
// listener): nothing is listed at scrape time. Against a per-scrape (probe-style) exporter of the
// restic kind: an HTTP server that runs `restic snapshots --json` on every scrape and renders the
// count and the newest snapshot per path, on a restic repository of the same N snapshots
// (bench/resticHistory.ts). And, for reference, what Meridian's observation costs (listing its own
// N snapshots): the monitor pays it once per interval (monitoring.slaInterval, default 60 s).

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Hono } from 'hono';
import { serveApi } from '../api/serve.js';
import { Repository } from '../core/repository.js';
import { listSnapshots, type Snapshot } from '../core/snapshots.js';
import { registerClusterMetrics } from '../metrics/clusterMetrics.js';
import { metricsApp } from '../metrics/endpoint.js';
import { meridianRegistry } from '../metrics/registry.js';
import { LocalStorage } from '../storage/local.js';
import { fleetClusterState } from '../test/helpers/clusterStates.js';
import { hourlyTimes, UnsyncedLocalStorage, writeSnapshots } from '../test/helpers/snapshotHistories.js';
import type { SourceObservation } from '../workflows/slaDefs.js';
import { processCpuMs } from './measure.js';
import { buildResticHistory } from './resticHistory.js';
import { BENCH_PASSWORD, resticCommand } from './tools.js';

const PATHS = Array.from({ length: 100 }, (_, i) => `/data/site-${String(i).padStart(3, '0')}`);
const SCRAPES = 30;

export interface ScrapeFigures {
  /** CPU time per scrape (mean): this process's (Meridian: server and client, both here) and its children's (restic). */
  cpuMs: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
  bodyBytes: number;
}

export interface MetricsBenchResult {
  snapshots: number;
  scrapes: number;
  meridian: ScrapeFigures;
  resticExporter?: ScrapeFigures;
  /** Meridian listing its N snapshots (the observation), repeated SCRAPES times. */
  meridianListing: ScrapeFigures;
}

export async function runMetricsBench(work: string, options: { snapshots: number; withRestic: boolean; log: (msg: string) => void }): Promise<MetricsBenchResult> {
  const { snapshots, log } = options;
  const times = hourlyTimes(snapshots, new Date().toISOString());
  const meridianRepo = path.join(work, 'metrics-meridian');
  log(`metrics: a Meridian repository of ${snapshots} snapshots`);
  const built = await Repository.init(new UnsyncedLocalStorage(meridianRepo), BENCH_PASSWORD);
  await writeSnapshots(built, times.map((time, i) => ({ time, host: 'bench', source: PATHS[i % PATHS.length]! })));
  await built.storage.close();

  const repo = await Repository.open(new LocalStorage(meridianRepo), BENCH_PASSWORD);
  let listed: Snapshot[] = [];
  const meridianListing = await timed(SCRAPES, async () => {
    listed = await listSnapshots(repo);
    return listed.length;
  });
  await repo.storage.close();
  const state = fleetState(listed);
  registerClusterMetrics(meridianRegistry, () => state);
  const meridianServer = await serveApi(metricsApp(meridianRegistry), 0);
  let meridian: ScrapeFigures;
  try {
    meridian = await scrapes(`http://127.0.0.1:${meridianServer.port}/metrics`, `meridian_repository_snapshots{repository="bench"} ${snapshots}`);
  } finally {
    await meridianServer.close();
  }
  log(`metrics: Meridian scrape median ${meridian.medianMs.toFixed(2)} ms; listing ${meridianListing.medianMs.toFixed(0)} ms`);

  let resticExporter: ScrapeFigures | undefined;
  if (options.withRestic) {
    const resticRepo = path.join(work, 'metrics-restic');
    log(`metrics: a restic repository of ${snapshots} snapshots`);
    buildResticHistory(resticRepo, work, times, PATHS);
    const exporter = await serveApi(resticExporterApp(resticRepo), 0);
    try {
      resticExporter = await scrapes(`http://127.0.0.1:${exporter.port}/metrics`, `restic_snapshots ${snapshots}`);
    } finally {
      await exporter.close();
    }
    log(`metrics: restic exporter scrape median ${resticExporter.medianMs.toFixed(0)} ms`);
    fs.rmSync(resticRepo, { recursive: true, force: true });
  }
  fs.rmSync(meridianRepo, { recursive: true, force: true });
  return { snapshots, scrapes: SCRAPES, meridian, meridianListing, ...(resticExporter ? { resticExporter } : {}) };
}

/** The fleet's state over what the sla-monitor's observation of this repository leaves: per source and per repository. */
function fleetState(snapshots: readonly Snapshot[]) {
  const sources = PATHS.map((source): SourceObservation => {
    const mine = snapshots.filter((s) => s.source === source);
    return { source: path.basename(source), repository: 'bench', snapshotCount: mine.length, ...(mine.length ? { lastGoodSnapshotAt: mine[mine.length - 1]!.time } : {}) };
  });
  const repositories = [{ repository: 'bench', snapshotCount: snapshots.length, sizeBytes: 0 }];
  return fleetClusterState({ now: Date.now(), sources, repositories, slas: 20, sourcesPerSla: 5, failovers: 3, schedules: 10 });
}

/** A per-scrape (probe-style) restic exporter: every scrape runs `restic snapshots --json` (with --no-lock: it writes nothing) and renders it. */
function resticExporterApp(repo: string): Hono {
  const spec = resticCommand(['snapshots', '--json', '--no-lock', '--repo', repo]);
  return new Hono().get('/metrics', async (c) => {
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(spec.argv[0]!, spec.argv.slice(1), { env: spec.env, maxBuffer: 256 * 1024 * 1024 }, (err, out) => (err ? reject(err) : resolve(out))),
    );
    const all = JSON.parse(stdout) as Array<{ time: string; paths: string[]; hostname: string }>;
    const newest = new Map<string, number>();
    for (const s of all) {
      const key = `host="${s.hostname}",path="${s.paths.join(',')}"`;
      newest.set(key, Math.max(newest.get(key) ?? 0, Date.parse(s.time) / 1000));
    }
    const lines = ['# HELP restic_snapshots Snapshots in the repository.', '# TYPE restic_snapshots gauge', `restic_snapshots ${all.length}`];
    lines.push('# HELP restic_backup_timestamp_seconds Time of the newest snapshot.', '# TYPE restic_backup_timestamp_seconds gauge');
    for (const [key, time] of newest) lines.push(`restic_backup_timestamp_seconds{${key}} ${time}`);
    return c.text(`${lines.join('\n')}\n`);
  });
}

/** SCRAPES scrapes of `url` one after another (after two to warm up), each checked to report `expected`. */
async function scrapes(url: string, expected: string): Promise<ScrapeFigures> {
  let bodyBytes = 0;
  const figures = await timed(SCRAPES, async () => {
    const response = await fetch(url);
    const body = await response.text();
    if (response.status !== 200 || !body.includes(expected)) throw new Error(`${url} answered ${response.status} without "${expected}"`);
    bodyBytes = body.length;
    return body.length;
  });
  return { ...figures, bodyBytes };
}

async function timed(count: number, run: () => Promise<number>): Promise<ScrapeFigures> {
  for (let i = 0; i < 2; i++) await run();
  const ms: number[] = [];
  const cpuBefore = processCpuMs('self', true);
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await run();
    ms.push(performance.now() - start);
  }
  const cpu = (processCpuMs('self', true) - cpuBefore) / count;
  ms.sort((a, b) => a - b);
  return { cpuMs: cpu, medianMs: ms[Math.floor(ms.length / 2)]!, p95Ms: ms[Math.min(ms.length - 1, Math.ceil(ms.length * 0.95) - 1)]!, maxMs: ms[ms.length - 1]!, bodyBytes: 0 };
}

export function metricsMarkdown(result: MetricsBenchResult): string {
  const ms = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(0));
  const row = (name: string, f: ScrapeFigures, does: string) => `| ${name} | ${ms(f.medianMs)} ms | ${ms(f.p95Ms)} ms | ${ms(f.maxMs)} ms | ${ms(f.cpuMs)} ms | ${does} |`;
  const n = result.snapshots.toLocaleString('en-US');
  return [
    `### Metrics scrape, ${n} snapshots of 100 sources (${result.scrapes} scrapes each, one after another)`,
    '',
    '| scrape | median wall | p95 | max | CPU per scrape | what it does |',
    '|---|---|---|---|---|---|',
    row('Meridian `GET /metrics`', result.meridian, `reads the state in memory: 100 sources, 20 SLAs, 3 failovers, 10 Schedules (${(result.meridian.bodyBytes / 1024).toFixed(1)} KiB of text); no storage call`),
    ...(result.resticExporter ? [row('per-scrape restic exporter', result.resticExporter, `runs \`restic snapshots --json --no-lock\`: opens the key, reads and decrypts ${n} snapshot files`)] : ['| per-scrape restic exporter | restic not installed | | | | |']),
    row(`Meridian listing its ${n} snapshots (reference)`, result.meridianListing, 'what the sla-monitor observation does once per interval (default 60 s), never per scrape'),
    '',
  ].join('\n');
}

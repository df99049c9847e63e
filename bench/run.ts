// `npm run bench`: generates a GIS-like dataset and measures Meridian against restic and borg
// side by side on it — full backup, backup with nothing changed, full restore, incremental after
// a 5% edit — several runs each, interleaved; writes JSON, Markdown and an SVG chart under
// bench/results/.
// Then the scale scenario (many small files: JSON, or with `--tiles N` a GIS tile tree z/x/y of N
// tiles; full backup, nothing-changed backup, full restore), the hot path against raw zstd, and forget + prune
// against restic's (bench/prune.ts; `--prune-only` runs just that one), and a scrub rotation
// against restic's `check --read-data-subset` (bench/scrub.ts; `--scrub-only`), and replication
// between two SeaweedFS servers against `rclone sync` and `restic copy` (bench/replication.ts;
// `--replication-only`), and a /metrics scrape against a per-scrape restic exporter over the same
// number of snapshots (bench/metricsScrape.ts; `--metrics-only`, no dataset needed), and PostgreSQL
// base backups, WAL push and restore to a time against pgBackRest on a PostGIS database
// (bench/pgBench.ts; `--pg-only` at --size, `--pg-smoke` at 48 MiB, no file dataset needed).
//   npm run bench -- [--size 1GiB] [--runs 3] [--files 100000 | --tiles 100000] [--tools restic,borg,meridian-engine,meridian-temporal,meridian-cli,meridian-cli-warm,meridian-cli-api] [--smoke]
//                    [--prune-only] [--prune-days 12] [--scrub-only] [--scrub-cycle 4] [--replication-only]
//                    [--metrics-only] [--metrics-snapshots 10000] [--pg-only] [--pg-smoke]

import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDevServer } from '../worker/devServer.js';
import { freePorts } from '../worker/freePorts.js';
import { editDataset, generateDataset } from './dataset.js';
import { directoryUsage, measure, Measurement } from './measure.js';
import { svgChart } from './chart.js';
import { measureHotPath } from './hotPath.js';
import { pgBenchMarkdown, runPgBench } from './pgBench.js';
import { pruneMarkdown, runPruneBench } from './prune.js';
import { metricsMarkdown, runMetricsBench } from './metricsScrape.js';
import { markdown, summarize, ToolResults } from './report.js';
import { replicationMarkdown, runReplicationBench } from './replication.js';
import { runScale } from './scale.js';
import { runScrubBench, scrubMarkdown } from './scrub.js';
import { borg, meridianCli, meridianCliApi, meridianCliWarmWorker, meridianEngine, meridianTemporal, meridianWorkerCommand, restic, Tool } from './tools.js';
import { WarmClient } from './warmClient.js';

const ALL_TOOLS = ['restic', 'borg', 'meridian-engine', 'meridian-temporal', 'meridian-cli', 'meridian-cli-warm', 'meridian-cli-api'];
/** The tools measured on the warm dev server and worker of warmMeridian. */
const WARM_TOOLS = ['meridian-temporal', 'meridian-cli-warm', 'meridian-cli-api'];

function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB)?$/i.exec(text.trim());
  if (!m) throw new Error(`--size: "${text}" is not a size like 256MiB or 1GiB`);
  const unit = { b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 }[(m[2] ?? 'B').toLowerCase() as 'b'];
  return Math.round(Number(m[1]) * unit);
}

function positiveCount(option: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${option}: "${text}" is not a positive whole number of files`);
  return n;
}

function installed(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: '1GiB' },
      runs: { type: 'string', default: '3' },
      files: { type: 'string', default: '100000' },
      tiles: { type: 'string' },
      tools: { type: 'string', default: ALL_TOOLS.join(',') },
      out: { type: 'string', default: path.join(__dirname, '..', '..', 'bench', 'results') },
      smoke: { type: 'boolean', default: false },
      'prune-only': { type: 'boolean', default: false },
      'prune-days': { type: 'string', default: '12' },
      'scrub-only': { type: 'boolean', default: false },
      'scrub-cycle': { type: 'string', default: '4' },
      'replication-only': { type: 'boolean', default: false },
      'metrics-only': { type: 'boolean', default: false },
      'metrics-snapshots': { type: 'string', default: '10000' },
      'pg-only': { type: 'boolean', default: false },
      'pg-smoke': { type: 'boolean', default: false },
    },
  });
  const size = parseSize(values.smoke ? '16MiB' : values.size!);
  const runs = values.smoke ? 1 : Number(values.runs);
  const scaleDataset = values.tiles === undefined ? 'json' : 'tiles';
  const scaleFiles = values.smoke ? 1000 : positiveCount(scaleDataset === 'tiles' ? '--tiles' : '--files', scaleDataset === 'tiles' ? values.tiles! : values.files!);
  const wanted = values.tools!.split(',').filter((t) => ALL_TOOLS.includes(t));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-bench-'));
  const log = (msg: string) => console.error(`[bench] ${msg}`);

  if (values['metrics-only']) {
    try {
      const result = await runMetricsBench(work, { snapshots: Number(values['metrics-snapshots']), withRestic: wanted.includes('restic') && installed('restic'), log });
      const stem = `metrics-bench-${result.snapshots}`;
      fs.mkdirSync(values.out!, { recursive: true });
      fs.writeFileSync(path.join(values.out!, `${stem}.json`), JSON.stringify({ context: `${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}, Node ${process.version}, ${new Date().toISOString()}`, metrics: result }, null, 2));
      fs.writeFileSync(path.join(values.out!, `${stem}.md`), metricsMarkdown(result));
      console.log(metricsMarkdown(result));
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
    return;
  }

  if (values['pg-only'] || values['pg-smoke']) {
    try {
      const databaseBytes = values['pg-smoke'] ? 48 * 1024 ** 2 : size;
      const result = await runPgBench(work, { databaseBytes, log });
      const stem = `pg-bench-${(databaseBytes / 1024 ** 2).toFixed(0)}MiB`;
      const text = pgBenchMarkdown(result, `${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}, Node ${process.version}, ${new Date().toISOString()}.`);
      fs.mkdirSync(values.out!, { recursive: true });
      fs.writeFileSync(path.join(values.out!, `${stem}.json`), JSON.stringify(result, null, 2));
      fs.writeFileSync(path.join(values.out!, `${stem}.md`), text);
      console.log(text);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
    return;
  }

  const data = path.join(work, 'data');
  const generated = generateDataset(data, size);
  log(`dataset: ${generated.files} files, ${(generated.bytes / 1e6).toFixed(1)} MB in ${data}`);
  const stem = values.smoke ? 'smoke' : `bench-${(size / 1024 ** 2).toFixed(0)}MiB`;
  const prune = () => runPruneBench(data, work, { days: values.smoke ? 6 : Number(values['prune-days']), withRestic: wanted.includes('restic') && installed('restic'), log });
  const scrub = () => runScrubBench(data, work, { cycle: Number(values['scrub-cycle']), withRestic: wanted.includes('restic') && installed('restic'), log });
  const replication = () => runReplicationBench(data, work, { withRestic: wanted.includes('restic') && installed('restic'), withRclone: installed('rclone'), log });
  const withText = <R>(run: () => R | Promise<R>, text: (result: R) => string) => async () => {
    const result = await run();
    return { result, text: text(result) };
  };
  const only = values['prune-only']
    ? { name: 'prune', run: withText(prune, pruneMarkdown) }
    : values['scrub-only']
      ? { name: 'scrub', run: withText(scrub, scrubMarkdown) }
      : values['replication-only']
        ? { name: 'replication', run: withText(replication, replicationMarkdown) }
        : undefined;
  if (only) {
    try {
      const { result, text } = await only.run();
      fs.mkdirSync(values.out!, { recursive: true });
      fs.writeFileSync(path.join(values.out!, `${only.name}-${stem}.json`), JSON.stringify({ context: runContext(generated, 1), [only.name]: result }, null, 2));
      fs.writeFileSync(path.join(values.out!, `${only.name}-${stem}.md`), text);
      console.log(text);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
    return;
  }

  const cleanups: (() => Promise<void> | void)[] = [];
  const tools: Tool[] = [];
  let temporalAddress: string | undefined;
  try {
    if (wanted.includes('restic') && installed('restic')) tools.push(restic());
    if (wanted.includes('borg') && installed('borg')) tools.push(borg());
    if (wanted.includes('meridian-engine')) tools.push(meridianEngine());
    if (WARM_TOOLS.some((tool) => wanted.includes(tool))) {
      const warm = await warmMeridian(work, cleanups, log, wanted.includes('meridian-cli-api'));
      tools.push(...warm.tools.filter((t) => wanted.includes(t.name)));
      temporalAddress = warm.address;
    }
    if (wanted.includes('meridian-cli')) tools.push(await coldCli(work, cleanups, log));
    const skipped = wanted.filter((w) => !tools.some((t) => t.name === w));
    if (skipped.length) log(`not installed, skipped: ${skipped.join(', ')}`);

    const results: Record<string, ToolResults> = {};
    for (const t of tools) results[t.name] = { runs: {}, repoBytes: [], repoObjects: [] };
    for (let run = 1; run <= runs; run++) {
      for (const tool of tools) {
        log(`run ${run}/${runs}: ${tool.name}`);
        await runScenarios(tool, data, work, results[tool.name]!, run);
      }
    }
    log(`scale: ${scaleFiles} small files (${scaleDataset === 'tiles' ? 'a tile tree z/x/y' : 'JSON'})`);
    const scale = await runScale(tools, work, scaleFiles, scaleDataset, !values.smoke, temporalAddress);
    log('hot path: chunk + hash + compress + seal against raw zstd, one core');
    const hotPath = measureHotPath(data, values.smoke ? 16 * 1024 * 1024 : 256 * 1024 * 1024);
    const pruneResult = await prune();
    const scrubResult = scrub();
    const replicationResult = await replication();
    const summary = summarize(results);
    const context = runContext(generated, runs);
    const table = `${markdown(summary, context, scale, hotPath)}\n${pruneMarkdown(pruneResult)}\n${scrubMarkdown(scrubResult)}\n${replicationMarkdown(replicationResult)}`;
    fs.mkdirSync(values.out!, { recursive: true });
    fs.writeFileSync(path.join(values.out!, `${stem}.json`), JSON.stringify({ context, dataset: generated, results, summary, scale, hotPath, prune: pruneResult, scrub: scrubResult, replication: replicationResult }, null, 2));
    fs.writeFileSync(path.join(values.out!, `${stem}.md`), table);
    fs.writeFileSync(path.join(values.out!, `${stem}.svg`), svgChart(summary, `Meridian vs restic vs borg, ${(generated.bytes / 1e9).toFixed(2)} GB GIS-like dataset: median wall time`));
    console.log(table);
  } finally {
    for (const c of cleanups.reverse()) await c();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function runContext(generated: { files: number; bytes: number }, runs: number): string {
  return `Dataset ${(generated.bytes / 1e6).toFixed(0)} MB (${generated.files} files), ${runs} run(s), ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}, Node ${process.version}, ${new Date().toISOString()}. Median (min–max).`;
}

/** One run of every scenario for one tool, on a fresh copy of the dataset and a fresh repository. */
async function runScenarios(tool: Tool, data: string, work: string, results: ToolResults, run: number): Promise<void> {
  const source = path.join(work, 'src');
  const repo = path.join(work, `repo-${tool.name}`);
  const target = path.join(work, 'restore');
  for (const dir of [source, repo, target]) fs.rmSync(dir, { recursive: true, force: true });
  spawnSync('cp', ['-a', data, source]);
  measure(tool.init(repo));
  const record = (scenario: keyof ToolResults['runs'], m: Measurement) => (results.runs[scenario] ??= []).push({ wallMs: m.wallMs, cpuMs: m.cpuMs, peakRssMiB: m.peakRssMiB, requests: m.requests });

  record('full', await tool.backup(source, repo, `full-${run}`));
  const usage = directoryUsage(repo);
  results.repoBytes.push(usage.bytes);
  results.repoObjects.push(usage.files);
  record('unchanged', await tool.backup(source, repo, `unchanged-${run}`));
  fs.mkdirSync(target);
  record('restore', await tool.restore(repo, target, `unchanged-${run}`));
  const restored = directoryUsage(target);
  const original = directoryUsage(data);
  if (restored.bytes !== original.bytes || restored.files !== original.files) {
    throw new Error(`${tool.name} restored ${restored.files} files / ${restored.bytes} bytes, expected ${original.files} / ${original.bytes}`);
  }
  editDataset(source);
  record('incremental', await tool.backup(source, repo, `incremental-${run}`));
  for (const dir of [source, repo, target]) fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * A Temporal dev server, a `meridian worker` and a connected client, warmed up by one tiny backup;
 * the tools measured on them: the warm client, and the CLI as a client of the same worker. With
 * `api`, the worker is a `meridian server` (the same worker plus the HTTP API) and the CLI is
 * measured through that API too. The worker serves the warm-up's repository and these tools'
 * (benchmark and scale runs), and paths under `work`.
 */
async function warmMeridian(work: string, cleanups: (() => Promise<void> | void)[], log: (m: string) => void, api: boolean): Promise<{ tools: Tool[]; address: string }> {
  const server = await startDevServer({ ui: false });
  cleanups.push(() => server.stop());
  const taskQueue = `bench-${process.pid}`;
  const home = path.join(work, 'worker-home');
  fs.mkdirSync(home);
  const repositories = ['warm/repo', ...WARM_TOOLS.flatMap((tool) => [`repo-${tool}`, `scale-repo-${tool}`])].map((repo) => path.join(work, repo));
  fs.writeFileSync(path.join(home, 'repositories.json'), JSON.stringify(Object.fromEntries(repositories.map((repo) => [repo, {}]))));
  const apiListener = api ? { port: (await freePorts(1))[0]!, token: randomBytes(16).toString('hex') } : undefined;
  const spec = meridianWorkerCommand(server.address, taskQueue, home, work, apiListener);
  const worker: ChildProcess = spawn(spec.argv[0]!, spec.argv.slice(1), { env: spec.env, stdio: ['ignore', 'ignore', 'inherit'] });
  cleanups.push(() => void worker.kill('SIGTERM'));
  const client = await WarmClient.start({ ...process.env, TEMPORAL_ADDRESS: server.address, MERIDIAN_TASK_QUEUE: taskQueue });
  cleanups.push(() => client.stop());
  const tool = meridianTemporal(client, worker.pid!);
  await warmUp(tool, path.join(work, 'warm'));
  log(`warm Temporal server at ${server.address}, ${api ? 'server' : 'worker'} pid ${worker.pid}, client pid ${client.pid}`);
  const cliHome = path.join(work, 'cli-warm-home');
  fs.mkdirSync(cliHome);
  const tools = [tool, meridianCliWarmWorker(server.address, taskQueue, cliHome, worker.pid!)];
  if (apiListener) {
    const apiUrl = `http://127.0.0.1:${apiListener.port}`;
    await answering(`${apiUrl}/healthz`);
    tools.push(meridianCliApi(apiUrl, apiListener.token, cliHome, worker.pid!));
  }
  return { tools, address: server.address };
}

/** Waits until `url` answers 200 (a server that has just been started), at most 30 s. */
async function answering(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await fetch(url).then((response) => response.ok, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer within 30 s`);
    await sleep(200);
  }
}

/** The CLI on the embedded default, with the dev server under its MERIDIAN_HOME already started. */
async function coldCli(work: string, cleanups: (() => Promise<void> | void)[], log: (m: string) => void): Promise<Tool> {
  const home = path.join(work, 'cli-home');
  const server = await startDevServer({ stateDir: home, ui: false });
  cleanups.push(() => server.stop());
  const tool = meridianCli(home);
  await warmUp(tool, path.join(work, 'warm'));
  log(`embedded dev server for the cold CLI at ${server.address}`);
  return tool;
}

/** One tiny backup in `warm` (removed after). */
async function warmUp(tool: Tool, warm: string): Promise<void> {
  fs.mkdirSync(path.join(warm, 'src'), { recursive: true });
  fs.writeFileSync(path.join(warm, 'src', 'f'), 'warm-up');
  measure(tool.init(path.join(warm, 'repo')));
  await tool.backup(path.join(warm, 'src'), path.join(warm, 'repo'), 'warm');
  fs.rmSync(warm, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(`[bench] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

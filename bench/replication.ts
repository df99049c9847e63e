// The replication scenario: a repository of the dataset copied from one SeaweedFS server to a
// second one (two server processes, started with the test setup's starter under one identity).
// Meridian's replication pass (the engine, core/replication.ts) against `rclone sync` of the same
// repository's files and against `restic copy` of the same snapshots (restic backs the dataset up
// into a repository of its own on server 1). Three steps, each tool in turn: the seed (empty → full),
// an incremental after a ~5% edit and a backup, and a no-op. Wall time, CPU time, peak memory and
// bytes moved; after each copy, 0 differences (Meridian's compareReplica, `rclone check`, restic's
// snapshot lists).

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startS3Server } from '../test/setup/servers/s3.js';
import type { StartedServer } from '../test/setup/servers/index.js';
import type { PassResult, ReplicaDiff } from '../core/replicationTypes.js';
import { editDataset } from './dataset.js';
import { CommandSpec, measure, Measurement } from './measure.js';
import { BENCH_PASSWORD, engineCommand, meridianEngine, resticCommand } from './tools.js';

export const REPLICATION_STEPS = ['seed', 'incremental', 'no-op'] as const;
type Step = (typeof REPLICATION_STEPS)[number];

/** One timed copy: what it cost, what it moved, and that the copy matched its source afterwards. */
export interface CopyFigures extends Measurement {
  /** Bytes sent to server 2 (Meridian: all it wrote to the replica, its lock and replica-state document too; rclone: its transfer stats; restic: not reported). */
  bytesMoved?: number;
  /** Repository files copied to server 2 (Meridian: the pass's count, locks/ not included; rclone: its transfers). */
  filesMoved?: number;
  /** Meridian: the pass itself, as it timed itself (the rest of the wall time is starting the process and opening both repositories). */
  passMs?: number;
  /** Differences found by the tool's own comparison after the copy (0 expected). */
  differences: number;
}

export interface ReplicationBenchResult {
  steps: { step: Step; meridian: CopyFigures; rclone?: CopyFigures; restic?: CopyFigures }[];
}

interface EngineOutput<T> {
  result: T;
  requestsTotal: number;
  bytes: { read: number; written: number };
}

const S3_BUCKETS = { meridian: 'meridian-repo', rclone: 'rclone-copy', restic: 'restic-repo' };

/**
 * Runs the three steps on a private copy of `data` under `work`. rclone and restic are left out
 * when not installed (`with*` false).
 */
export async function runReplicationBench(data: string, work: string, options: { withRestic: boolean; withRclone: boolean; log: (m: string) => void }): Promise<ReplicationBenchResult> {
  const secret = randomBytes(16).toString('hex');
  const servers: StartedServer[] = [];
  try {
    servers.push(await startS3Server({ secret }), await startS3Server({ secret }));
    const [one, two] = servers.map((s) => s.env.MERIDIAN_TEST_S3_ENDPOINT!) as [string, string];
    // One identity on both servers, in the environment every tool reads it from.
    const { MERIDIAN_TEST_S3_ENDPOINT: _endpoint, ...credentials } = servers[0]!.env;
    Object.assign(process.env, credentials);
    options.log(`replication: SeaweedFS server 1 at ${one}, server 2 at ${two}`);
    const meridianUrl = (endpoint: string) => `s3://${S3_BUCKETS.meridian}/repo?endpoint=${encodeURIComponent(endpoint)}&pathStyle=true&region=us-east-1`;
    const urls = { primary: meridianUrl(one), replica: meridianUrl(two), resticSource: `s3:${one}/${S3_BUCKETS.restic}`, resticCopy: `s3:${two}/${S3_BUCKETS.restic}` };
    const rclone = rcloneTool({ one, two }, path.join(work, 'rclone.log'));
    const engine = engineCommand;
    const restic = (args: string[]) => {
      const spec = resticCommand(args);
      return { ...spec, env: { ...spec.env, RESTIC_FROM_PASSWORD: BENCH_PASSWORD } };
    };

    const source = path.join(work, 'replication-src');
    fs.cpSync(data, source, { recursive: true });
    const backUpBoth = () => {
      measure(engine(['backup', source, urls.primary]));
      if (options.withRestic) measure(restic(['backup', '-q', '--repo', urls.resticSource, '--host', 'bench', '--compression', 'auto', source]));
    };
    options.log('replication: Meridian and restic back the dataset up into server 1');
    measure(meridianEngine().init(urls.primary));
    if (options.withRestic) measure(restic(['init', '-q', '--repo', urls.resticSource, '--repository-version', '2']));
    backUpBoth();
    measure(engine(['init-replica', urls.primary, urls.replica]));
    if (options.withRestic) measure(restic(['init', '-q', '--repo', urls.resticCopy, '--from-repo', urls.resticSource, '--copy-chunker-params', '--repository-version', '2']));

    const result: ReplicationBenchResult = { steps: [] };
    for (const step of REPLICATION_STEPS) {
      if (step === 'incremental') {
        const { changedBytes } = editDataset(source);
        options.log(`replication: ${(changedBytes / 1e6).toFixed(1)} MB edited, both tools back up again`);
        backUpBoth();
      }
      options.log(`replication ${step}: Meridian`);
      const meridian = meridianPass(engine, urls);
      options.log(`replication ${step}: ${(meridian.wallMs / 1000).toFixed(1)} s, ${mb(meridian.bytesMoved ?? 0)}`);
      const figures: ReplicationBenchResult['steps'][number] = { step, meridian };
      if (options.withRclone) {
        options.log(`replication ${step}: rclone sync`);
        figures.rclone = rclone.sync();
      }
      if (options.withRestic) {
        options.log(`replication ${step}: restic copy`);
        figures.restic = resticCopy(restic, urls);
      }
      result.steps.push(figures);
    }
    return result;
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** One pass (timed), then a full comparison of both sides (not timed). */
function meridianPass(engine: (args: string[]) => CommandSpec, urls: { primary: string; replica: string }): CopyFigures {
  const m = measure(engine(['replicate', urls.primary, urls.replica]));
  const pass = JSON.parse(m.stdout) as EngineOutput<PassResult>;
  const diff = (JSON.parse(measure(engine(['compare', urls.primary, urls.replica])).stdout) as EngineOutput<ReplicaDiff>).result;
  return {
    wallMs: m.wallMs,
    cpuMs: m.cpuMs,
    peakRssMiB: m.peakRssMiB,
    requests: pass.requestsTotal,
    bytesMoved: pass.bytes.written,
    filesMoved: pass.result.copied.files,
    passMs: pass.result.durationMs,
    differences: diff.differences + (diff.configMatches ? 0 : 1),
  };
}

/** `restic copy` (timed); then both repositories must list the same snapshots (by original id). */
function resticCopy(restic: (args: string[]) => CommandSpec, urls: { resticSource: string; resticCopy: string }): CopyFigures {
  const m = measure(restic(['copy', '-q', '--repo', urls.resticCopy, '--from-repo', urls.resticSource]));
  const snapshots = (repo: string) => JSON.parse(measure(restic(['snapshots', '--json', '--repo', repo])).stdout) as { id: string; original?: string }[];
  const sourceIds = new Set(snapshots(urls.resticSource).map((s) => s.id));
  const copiedIds = new Set(snapshots(urls.resticCopy).map((s) => s.original ?? s.id));
  const differences = [...sourceIds].filter((id) => !copiedIds.has(id)).length + [...copiedIds].filter((id) => !sourceIds.has(id)).length;
  return { wallMs: m.wallMs, cpuMs: m.cpuMs, peakRssMiB: m.peakRssMiB, differences };
}

interface RcloneStats {
  bytes: number;
  transfers: number;
  checks: number;
}

/**
 * rclone configured by environment variables only (remotes ONE and TWO), syncing Meridian's
 * repository files from server 1 to a bucket of their own on server 2 with its defaults
 * (4 transfers, 8 checkers, size and modtime compared); its final stats (JSON log) give the bytes
 * moved, and `rclone check` the differences.
 */
function rcloneTool(endpoints: { one: string; two: string }, logFile: string) {
  const env = process.env;
  const remote = (name: string, endpoint: string) => ({
    [`RCLONE_CONFIG_${name}_TYPE`]: 's3',
    [`RCLONE_CONFIG_${name}_PROVIDER`]: 'SeaweedFS',
    [`RCLONE_CONFIG_${name}_ENDPOINT`]: endpoint,
    [`RCLONE_CONFIG_${name}_ACCESS_KEY_ID`]: env.AWS_ACCESS_KEY_ID!,
    [`RCLONE_CONFIG_${name}_SECRET_ACCESS_KEY`]: env.AWS_SECRET_ACCESS_KEY!,
    [`RCLONE_CONFIG_${name}_REGION`]: 'us-east-1',
  });
  // rclone 1.60's S3 client fails on AWS_CA_BUNDLE ("unsupported transport"); both endpoints are plain http.
  const { AWS_CA_BUNDLE: _bundle, ...inherited } = env;
  const rcloneEnv = { ...inherited, RCLONE_CONFIG: '/dev/null', ...remote('ONE', endpoints.one), ...remote('TWO', endpoints.two) };
  const from = `ONE:${S3_BUCKETS.meridian}/repo`;
  const to = `TWO:${S3_BUCKETS.rclone}/repo`;
  const run = (args: string[]) => {
    fs.rmSync(logFile, { force: true });
    try {
      return measure({ argv: ['rclone', ...args, '--log-file', logFile, '--use-json-log', '-v', '--stats', '1h'], env: rcloneEnv });
    } catch (err) {
      const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | ') : '';
      throw new Error(`${err instanceof Error ? err.message : String(err)} ${log}`);
    }
  };
  const finalStats = (): RcloneStats => {
    const lines = fs.readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes('"stats"'));
    const last = lines.at(-1);
    if (!last) throw new Error('rclone logged no stats');
    return (JSON.parse(last) as { stats: RcloneStats }).stats;
  };
  return {
    sync(): CopyFigures {
      const m = run(['sync', from, to]);
      const stats = finalStats();
      let differences = 0;
      try {
        run(['check', from, to]);
      } catch {
        differences = Math.max(1, (fs.readFileSync(logFile, 'utf8').match(/"level":"error"/g) ?? []).length);
      }
      return { wallMs: m.wallMs, cpuMs: m.cpuMs, peakRssMiB: m.peakRssMiB, bytesMoved: stats.bytes, filesMoved: stats.transfers, requests: undefined, differences };
    },
  };
}

/** The Markdown table of this scenario. */
export function replicationMarkdown(result: ReplicationBenchResult): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const ratio = (a: number, b: number | undefined) => (b ? `${(a / b).toFixed(2)}×` : '—');
  const cell = (f: CopyFigures | undefined, what: (f: CopyFigures) => string) => (f ? what(f) : '—');
  const rows = result.steps.map(({ step, meridian, rclone, restic }) =>
    [
      step,
      `**${s(meridian.wallMs)}**`,
      cell(rclone, (f) => s(f.wallMs)),
      cell(restic, (f) => s(f.wallMs)),
      ratio(meridian.wallMs, rclone?.wallMs),
      ratio(meridian.wallMs, restic?.wallMs),
      `${s(meridian.cpuMs)} / ${cell(rclone, (f) => s(f.cpuMs))} / ${cell(restic, (f) => s(f.cpuMs))}`,
      `${meridian.peakRssMiB.toFixed(0)} / ${cell(rclone, (f) => f.peakRssMiB.toFixed(0))} / ${cell(restic, (f) => f.peakRssMiB.toFixed(0))} MiB`,
      `${mb(meridian.bytesMoved ?? 0)} (${meridian.filesMoved} files, ${meridian.requests} requests) / ${cell(rclone, (f) => `${mb(f.bytesMoved ?? 0)} (${f.filesMoved} files)`)}`,
      `${meridian.differences} / ${cell(rclone, (f) => String(f.differences))} / ${cell(restic, (f) => String(f.differences))}`,
    ].join(' | '),
  );
  return [
    `Replication between two SeaweedFS servers: Meridian's repository of the dataset (the seed moved ${mb(result.steps[0]?.meridian.bytesMoved ?? 0)}) copied by Meridian's replication pass ` +
      "(the engine) and by `rclone sync` (defaults: 4 transfers, 8 checkers, size and modtime), and restic's repository of the same dataset by `restic copy`.",
    '',
    '| step | Meridian wall | rclone wall | restic copy wall | ÷ rclone | ÷ restic | CPU Meridian / rclone / restic | peak memory Meridian / rclone / restic | moved Meridian / rclone | differences after (Meridian / rclone / restic) |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r} |`),
    '',
  ].join('\n');
}

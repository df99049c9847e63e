// The tools measured side by side, each able to init a repository, back up a directory and
// restore the latest snapshot, measured: restic, BorgBackup, and Meridian (a) the engine in one
// process, (b) through Temporal with a warm server, worker and client, (c) the CLI cold on the
// embedded default, (d) the CLI started for each step against the warm server and worker of (b).

import fs from 'node:fs';
import path from 'node:path';
import { CommandSpec, measure, Measurement } from './measure.js';
import { WarmClient } from './warmClient.js';
import { packageRoot } from '../worker/temporalBinary.js';

export const BENCH_PASSWORD = 'bench-password';

/** A measured step; Meridian's orchestrated paths also name the workflow that ran it. */
export type Measured = Measurement & { workflowId?: string };

export interface Tool {
  name: string;
  init(repo: string): CommandSpec;
  /** `label` names the snapshot where a tool needs names (borg archives). */
  backup(source: string, repo: string, label: string): Promise<Measured>;
  /** Restores the snapshot `label` (the latest one). */
  restore(repo: string, target: string, label: string): Promise<Measured>;
}

interface CommandTool {
  name: string;
  init(repo: string): CommandSpec;
  backup(source: string, repo: string, label: string): CommandSpec;
  restore(repo: string, target: string, label: string): CommandSpec;
}

/** A tool run as one command per step, measured under GNU time. */
function measuredCommands(tool: CommandTool): Tool {
  return {
    name: tool.name,
    init: tool.init,
    backup: async (source, repo, label) => measure(tool.backup(source, repo, label)),
    restore: async (repo, target, label) => measure(tool.restore(repo, target, label)),
  };
}

const root = packageRoot();

/** A restic command on the benchmark's password and cache (times read in UTC). */
export function resticCommand(args: string[]): CommandSpec {
  return { argv: ['restic', ...args], env: { ...process.env, RESTIC_PASSWORD: BENCH_PASSWORD, RESTIC_CACHE_DIR: '/tmp/meridian-bench-restic-cache', TZ: 'UTC' } };
}

/** bench/engineCommand.js with its arguments (its output is JSON), launched as the `meridian` executable launches itself. */
export function engineCommand(args: string[]): CommandSpec {
  const launch = executableLaunch();
  return { argv: [process.execPath, ...launch.nodeFlags, path.join(__dirname, 'engineCommand.js'), ...args], env: { ...process.env, ...launch.env, MERIDIAN_PASSWORD: BENCH_PASSWORD } };
}

/** The environment and node flags set by the `meridian` executable's first line (`#!/usr/bin/env -S NAME=value… node flags…`). */
export function executableLaunch(): { env: Record<string, string>; nodeFlags: string[] } {
  const words = fs.readFileSync(meridianCliPath, 'utf8').split('\n', 1)[0]!.replace(/^#!\S+ -S /, '').split(' ');
  const node = words.indexOf('node');
  if (node < 0) throw new Error(`${meridianCliPath}: its first line does not run node`);
  return { env: Object.fromEntries(words.slice(0, node).map((word) => word.split('=', 2) as [string, string])), nodeFlags: words.slice(node + 1) };
}

export function restic(): Tool {
  const env = resticCommand([]).env;
  return measuredCommands({
    name: 'restic',
    init: (repo) => ({ argv: ['restic', 'init', '-q', '--repo', repo, '--repository-version', '2'], env }),
    backup: (source, repo) => ({ argv: ['restic', 'backup', '-q', '--repo', repo, '--compression', 'auto', '--host', 'bench', source], env }),
    restore: (repo, target) => ({ argv: ['restic', 'restore', 'latest', '-q', '--repo', repo, '--target', target], env }),
  });
}

export function borg(): Tool {
  const env = { ...process.env, BORG_PASSPHRASE: BENCH_PASSWORD, BORG_BASE_DIR: '/tmp/meridian-bench-borg-base', BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes' };
  return measuredCommands({
    name: 'borg',
    init: (repo) => ({ argv: ['borg', 'init', '--encryption', 'repokey-blake2', repo], env }),
    backup: (source, repo, label) => ({ argv: ['borg', 'create', '--compression', 'zstd,3', `${repo}::${label}`, source], env, cwd: '/' }),
    restore: (repo, target, label) => ({ argv: ['borg', 'extract', `${repo}::${label}`], env, cwd: target }),
  });
}

/** Run as an executable, as operators run it: its shebang sets the V8 flags the command wants. */
const meridianCliPath = path.join(root, 'bin', 'meridian.js');

/** Meridian's engine called in one process, no Temporal: the ceiling for the orchestrated paths. */
export function meridianEngine(): Tool {
  const env = { ...process.env, MERIDIAN_PASSWORD: BENCH_PASSWORD };
  const withRequests = (m: Measurement & { stdout: string }): Measured => ({ wallMs: m.wallMs, cpuMs: m.cpuMs, peakRssMiB: m.peakRssMiB, requests: (JSON.parse(m.stdout) as { requestsTotal: number }).requestsTotal });
  return {
    name: 'meridian-engine',
    init: (repo) => ({ argv: [meridianCliPath, 'init', '--repo', repo], env }),
    backup: async (source, repo) => withRequests(measure(engineCommand(['backup', source, repo]))),
    restore: async (repo, target) => withRequests(measure(engineCommand(['restore', repo, target]))),
  };
}

/**
 * Through Temporal, everything warm: a dev server, a `meridian worker` and a connected client
 * (as the HTTP API server is). CPU time is the worker's and the client's; peak memory theirs.
 */
export function meridianTemporal(client: WarmClient, workerPid: number): Tool {
  const env = { ...process.env, MERIDIAN_PASSWORD: BENCH_PASSWORD };
  const helpers = [workerPid, client.pid];
  return {
    name: 'meridian-temporal',
    init: (repo) => ({ argv: [meridianCliPath, 'init', '--repo', repo], env }),
    backup: (source, repo) => client.measure('backup', { repo, path: source, type: 'incremental' }, helpers),
    restore: (repo, target) => client.measure('restore', { repo, snapshot: 'latest', target }, helpers),
  };
}

/** The `meridian` CLI started cold for each step on the embedded default (its dev server under `home` already running). */
export function meridianCli(home: string): Tool {
  return cliTool('meridian-cli', { ...process.env, MERIDIAN_PASSWORD: BENCH_PASSWORD, MERIDIAN_HOME: home, TEMPORAL_ADDRESS: '' });
}

/**
 * The `meridian` CLI started for each step as a client of the warm server and worker of
 * meridianTemporal (what an operator's shell does against a running cluster): CPU time is the
 * CLI's plus the worker's, peak memory the larger of the two.
 */
export function meridianCliWarmWorker(temporalAddress: string, taskQueue: string, home: string, workerPid: number): Tool {
  const env = { ...process.env, MERIDIAN_PASSWORD: BENCH_PASSWORD, MERIDIAN_HOME: home, TEMPORAL_ADDRESS: temporalAddress, MERIDIAN_TASK_QUEUE: taskQueue };
  return cliTool('meridian-cli-warm', env, workerPid);
}

/**
 * The `meridian` CLI started for each step as a client of the HTTP API of a warm `meridian server`
 * (MERIDIAN_API_URL), whose worker does the work: the CLI loads no Temporal SDK. CPU time is the
 * CLI's plus the server's, peak memory the larger of the two.
 */
export function meridianCliApi(apiUrl: string, token: string, home: string, serverPid: number): Tool {
  const env = { ...process.env, MERIDIAN_PASSWORD: BENCH_PASSWORD, MERIDIAN_HOME: home, MERIDIAN_API_URL: apiUrl, MERIDIAN_API_TOKEN: token, TEMPORAL_ADDRESS: '', MERIDIAN_TASK_QUEUE: '' };
  return cliTool('meridian-cli-api', env, serverPid);
}

/** `meridian backup|restore --json` run as commands; with `helperPid`, that helper's CPU time counts too. */
function cliTool(name: string, env: NodeJS.ProcessEnv, helperPid?: number): Tool {
  const workflowOf = (m: Measured & { stdout: string }): Measured => ({ wallMs: m.wallMs, cpuMs: m.cpuMs, peakRssMiB: m.peakRssMiB, workflowId: (JSON.parse(m.stdout) as { workflowId: string }).workflowId });
  return {
    name,
    init: (repo) => ({ argv: [meridianCliPath, 'init', '--repo', repo], env }),
    backup: async (source, repo) => workflowOf(measure({ argv: [meridianCliPath, 'backup', source, '--repo', repo, '--type', 'incremental', '--json'], env }, helperPid)),
    restore: async (repo, target) => workflowOf(measure({ argv: [meridianCliPath, 'restore', 'latest', '--repo', repo, '--target', target, '--json'], env }, helperPid)),
  };
}

/**
 * A `meridian worker` whose configuration is in `home` (repositories.json) and which may read and
 * write under `root`; with `api`, a `meridian server` (the same worker plus the HTTP API) on that port and token.
 */
export function meridianWorkerCommand(temporalAddress: string, taskQueue: string, home: string, root: string, api?: { port: number; token: string }): CommandSpec {
  return {
    argv: api ? [meridianCliPath, 'server', '--port', String(api.port)] : [meridianCliPath, 'worker'],
    env: {
      ...(api ? { MERIDIAN_API_TOKEN: api.token } : {}),
      ...process.env,
      MERIDIAN_PASSWORD: BENCH_PASSWORD,
      TEMPORAL_ADDRESS: temporalAddress,
      MERIDIAN_TASK_QUEUE: taskQueue,
      MERIDIAN_HOME: home,
      MERIDIAN_SOURCE_ROOTS: root,
      MERIDIAN_RESTORE_ROOTS: root,
    },
  };
}

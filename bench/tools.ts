// The tools measured side by side, each as the commands that init a repository, back up a
// directory and restore the latest snapshot: restic, BorgBackup, and Meridian (engine in
// process; CLI against a warm Temporal server and worker).

import path from 'node:path';
import { CommandSpec } from './measure.js';

export const BENCH_PASSWORD = 'bench-password';

export interface Tool {
  name: string;
  init(repo: string): CommandSpec;
  /** `label` names the snapshot where a tool needs names (borg archives). */
  backup(source: string, repo: string, label: string): CommandSpec;
  /** Restores the snapshot `label` (the latest one). */
  restore(repo: string, target: string, label: string): CommandSpec;
  /** A long-lived process doing the work (CPU and memory are read from it). */
  helperPid?: number;
}

const root = path.join(__dirname, '..', '..');

export function restic(): Tool {
  const env = { ...process.env, RESTIC_PASSWORD: BENCH_PASSWORD, RESTIC_CACHE_DIR: '/tmp/meridian-bench-restic-cache' };
  return {
    name: 'restic',
    init: (repo) => ({ argv: ['restic', 'init', '-q', '--repo', repo, '--repository-version', '2'], env }),
    backup: (source, repo) => ({ argv: ['restic', 'backup', '-q', '--repo', repo, '--compression', 'auto', '--host', 'bench', source], env }),
    restore: (repo, target) => ({ argv: ['restic', 'restore', 'latest', '-q', '--repo', repo, '--target', target], env }),
  };
}

export function borg(): Tool {
  const env = { ...process.env, BORG_PASSPHRASE: BENCH_PASSWORD, BORG_BASE_DIR: '/tmp/meridian-bench-borg-base', BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes' };
  return {
    name: 'borg',
    init: (repo) => ({ argv: ['borg', 'init', '--encryption', 'repokey-blake2', repo], env }),
    backup: (source, repo, label) => ({ argv: ['borg', 'create', '--compression', 'zstd,3', `${repo}::${label}`, source], env, cwd: '/' }),
    restore: (repo, target, label) => ({ argv: ['borg', 'extract', `${repo}::${label}`], env, cwd: target }),
  };
}

const meridianCli = path.join(root, 'bin', 'meridian.js');

/** Meridian's engine called in one process, no Temporal: the ceiling for the orchestrated paths. */
export function meridianEngine(): Tool {
  const env = { ...process.env, MERIDIAN_PASSWORD: BENCH_PASSWORD };
  const engine = path.join(__dirname, 'engineCommand.js');
  return {
    name: 'meridian-engine',
    init: (repo) => ({ argv: [process.execPath, meridianCli, 'init', '--repo', repo], env }),
    backup: (source, repo) => ({ argv: [process.execPath, engine, 'backup', source, repo], env }),
    restore: (repo, target) => ({ argv: [process.execPath, engine, 'restore', repo, target], env }),
  };
}

/** The `meridian` CLI as a Temporal client of a warm dev server and a warm `meridian worker`. */
export function meridianWarm(temporalAddress: string, taskQueue: string, workerPid: number): Tool {
  const env = { ...process.env, MERIDIAN_PASSWORD: BENCH_PASSWORD, TEMPORAL_ADDRESS: temporalAddress, MERIDIAN_TASK_QUEUE: taskQueue };
  return {
    name: 'meridian-temporal',
    helperPid: workerPid,
    init: (repo) => ({ argv: [process.execPath, meridianCli, 'init', '--repo', repo], env }),
    backup: (source, repo) => ({ argv: [process.execPath, meridianCli, 'backup', source, '--repo', repo, '--type', 'incremental', '--json'], env }),
    restore: (repo, target) => ({ argv: [process.execPath, meridianCli, 'restore', 'latest', '--repo', repo, '--target', target, '--json'], env }),
  };
}

export function meridianWorkerCommand(temporalAddress: string, taskQueue: string): CommandSpec {
  return {
    argv: [process.execPath, meridianCli, 'worker'],
    env: { ...process.env, MERIDIAN_PASSWORD: BENCH_PASSWORD, TEMPORAL_ADDRESS: temporalAddress, MERIDIAN_TASK_QUEUE: taskQueue },
  };
}

// Runs one command and measures it: wall time, CPU time and peak memory (GNU time for the
// command itself, /proc for a long-lived helper process such as a warm worker).

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';

export interface Measurement {
  /** Storage requests made, where the tool can tell (Meridian's engine). */
  requests?: number;
  wallMs: number;
  cpuMs: number;
  peakRssMiB: number;
}

export interface CommandSpec {
  argv: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** CPU time (ms) of a running process, from /proc/<pid>/stat; with its children that ended and were waited for (cutime, cstime) too. */
export function processCpuMs(pid: number | 'self', withChildren = false): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]) + (withChildren ? Number(fields[13]) + Number(fields[14]) : 0);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

function peakRssMiB(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : 0;
}

/** Resets a process's peak RSS so the next reading covers only what follows. */
function resetPeak(pid: number): void {
  fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** Wall time, and CPU time and peak memory of running helper processes, from now until read(). */
export function helperMeter(pids: number[]): { read(): Measurement } {
  for (const pid of pids) resetPeak(pid);
  const cpuBefore = pids.map((pid) => processCpuMs(pid));
  const started = process.hrtime.bigint();
  return {
    read: () => ({
      wallMs: Number(process.hrtime.bigint() - started) / 1e6,
      cpuMs: pids.reduce((sum, pid, i) => sum + processCpuMs(pid) - cpuBefore[i]!, 0),
      peakRssMiB: Math.max(0, ...pids.map(peakRssMiB)),
    }),
  };
}

/** Reads and removes what `/usr/bin/time -f '%U %S %M'` wrote: CPU seconds, and the peak in KiB. */
function takeTimeFile(timeFile: string): { user: number; sys: number; maxKiB: number } {
  const [user, sys, maxKiB] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  fs.rmSync(timeFile, { force: true });
  return { user: user!, sys: sys!, maxKiB: maxKiB! };
}

/**
 * Runs the command under GNU time. With `helperPid`, the helper's CPU time is added and its
 * peak memory reported instead (the work happens there, e.g. in a warm worker).
 */
export function measure(spec: CommandSpec, helperPid?: number): Measurement & { stdout: string } {
  const timeFile = `/tmp/meridian-bench-time-${process.pid}`;
  const helper = helperMeter(helperPid ? [helperPid] : []);
  const run = spawnSync('/usr/bin/time', ['-o', timeFile, '-f', '%U %S %M', ...spec.argv], {
    env: spec.env ?? process.env,
    cwd: spec.cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const helped = helper.read();
  if (run.status !== 0) {
    fs.rmSync(timeFile, { force: true });
    throw new Error(`${spec.argv.join(' ')} exited ${run.status}: ${(run.stderr || run.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  }
  const { user, sys, maxKiB } = takeTimeFile(timeFile);
  return {
    wallMs: helped.wallMs,
    cpuMs: (user + sys) * 1000 + helped.cpuMs,
    peakRssMiB: Math.max(maxKiB / 1024, helped.peakRssMiB),
    stdout: run.stdout,
  };
}

let concurrentRuns = 0;

/**
 * Like measure(), for commands that must run at the same time as others: does not block, and
 * resolves with the exit status (and stderr) instead of throwing on a failure.
 */
export function measureConcurrently(spec: CommandSpec): Promise<Measurement & { stdout: string; stderr: string; status: number }> {
  const timeFile = `/tmp/meridian-bench-time-${process.pid}-${++concurrentRuns}`;
  const started = process.hrtime.bigint();
  const child = spawn('/usr/bin/time', ['-o', timeFile, '-f', '%U %S %M', ...spec.argv], { env: spec.env ?? process.env, cwd: spec.cwd });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => {
      const { user, sys, maxKiB } = takeTimeFile(timeFile);
      resolve({ wallMs: Number(process.hrtime.bigint() - started) / 1e6, cpuMs: (user + sys) * 1000, peakRssMiB: maxKiB / 1024, stdout, stderr, status: status ?? -1 });
    });
  });
}

/** Bytes and files under a directory (a repository's size on disk). */
export function directoryUsage(dir: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    bytes += fs.statSync(`${entry.parentPath}/${entry.name}`).size;
    files += 1;
  }
  return { bytes, files };
}

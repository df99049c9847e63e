// Shared plumbing of the test servers: a free 127.0.0.1 port, the project root, and a server
// process in its own process group with a throwaway folder (data and log), polled until it
// answers; stop() kills the group (SIGKILL: the data is throwaway) and removes the folder, unless
// the caller gave a folder of its own to keep (a server stopped and started again on its data).
// Loaded by globalSetup through plain require: import TypeScript siblings without the `.js` suffix.

import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StartedServer } from './index';
import { freePorts } from '../../../worker/freePorts';

export const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 60_000;

export interface LocalServerSpec {
  /** Names the server in messages and in StartedServer. */
  name: string;
  /** The caller's folder, kept when the server stops (to start it again on the same data); default a throwaway one. */
  dir?: string;
  command: string;
  /** Fills the throwaway folder (configuration, data folders) before the server starts. */
  prepare?(dir: string): void;
  /** The arguments, given the server's throwaway folder. */
  args(dir: string): string[];
  /** Resolves once the server answers; rejects (and is polled again) until then. */
  ready(): Promise<void>;
  /** What tests read to reach the server. */
  env: Record<string, string>;
  /** The server process's own environment (default: this process's). */
  processEnv?: NodeJS.ProcessEnv;
  /** Removes what the server leaves outside its folder, once it is gone (and the folder too). */
  afterStop?(): void;
}

export async function startLocalServer(spec: LocalServerSpec): Promise<StartedServer> {
  const dir = spec.dir ?? mkdtempSync(path.join(os.tmpdir(), `meridian-${spec.name}-`));
  const removeDir = () => {
    if (spec.dir === undefined) rmSync(dir, { recursive: true, force: true });
  };
  try {
    spec.prepare?.(dir);
  } catch (err) {
    removeDir();
    throw err;
  }
  const logFile = path.join(dir, 'server.log');
  const logFd = openSync(logFile, 'a');
  const child = spawn(spec.command, spec.args(dir), { cwd: dir, env: spec.processEnv ?? process.env, detached: true, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  let exited: string | undefined;
  const gone = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `exited with ${signal ?? code}`;
      resolve();
    });
    child.once('error', (err) => {
      exited = `could not start: ${err.message}`;
      resolve();
    });
  });
  const stop = async () => {
    if (exited === undefined && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    await gone;
    removeDir();
    spec.afterStop?.();
  };

  try {
    await pollUntilReady(spec, () => exited);
  } catch (err) {
    const tail = readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
    await stop();
    throw new Error(`${spec.name} did not start: ${(err as Error).message}\n--- ${spec.name} log (tail) ---\n${tail}`);
  }
  return { name: spec.name, env: spec.env, stop };
}

async function pollUntilReady(spec: LocalServerSpec, exited: () => string | undefined): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let last: unknown;
  while (Date.now() < deadline) {
    const reason = exited();
    if (reason) throw new Error(reason);
    try {
      await spec.ready();
      return;
    } catch (err) {
      last = err;
    }
    await sleep(200);
  }
  throw new Error(`no answer within ${START_TIMEOUT_MS / 1000} s (last error: ${String(last)})`);
}

/** A port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1, HOST);
  return port!;
}

/** The folder with package.json above this file (the source tree under jest, or above dist/). */
export function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
  return dir;
}

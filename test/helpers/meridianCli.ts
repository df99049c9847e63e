// The `meridian` command as integration tests run it: bin/meridian.js in a child process (exit
// code and output returned, never thrown), its --json output parsed, the environment of a CLI
// that is a client of the test Temporal server, and a `meridian worker` child process.

import { ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { testAddress, uniqueTaskQueue } from './temporal';
import { assertBuildFresh } from '../setup/distFreshness';
import { TestWorkerConfig, withWorkerConfig } from './workerConfig';

export const projectRoot = path.resolve(__dirname, '..', '..');
const bin = path.join(projectRoot, 'bin', 'meridian.js');
const execFileAsync = promisify(execFile);

export interface MeridianRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Relative paths in args resolve here. */
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
}

/** Runs `meridian args`; a non-zero exit is returned, not thrown. */
export async function runMeridian(args: string[], { cwd, env, timeoutMs }: RunOptions): Promise<MeridianRun> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [bin, ...args], { cwd, env, timeout: timeoutMs });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code?: unknown; stdout: string; stderr: string };
    if (typeof failed.code !== 'number') throw err;
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** The modules of the Temporal SDK's client and of its gRPC stack, which the CLI's own calls (cli/wire/) replace. */
export const SDK_CLIENT_MODULES = /node_modules\/(@temporalio\/(client|proto|worker)|@grpc|protobufjs)\//;

/**
 * A preload that records the module files a `meridian` process loaded: run it with `env`
 * (NODE_OPTIONS), then `loaded()` lists them. Files named `name` in `work` hold the list.
 */
export function moduleRecorder(work: string, name: string): { env: NodeJS.ProcessEnv; loaded(): string[] } {
  const preload = path.join(work, `${name}-preload.js`);
  const list = path.join(work, `${name}-loaded.json`);
  writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, JSON.stringify(Object.keys(require.cache))));\n`);
  return { env: { NODE_OPTIONS: `--require ${preload}` }, loaded: () => JSON.parse(readFileSync(list, 'utf8')) as string[] };
}

/** Asserts the run succeeded silently on stderr, and returns its --json output. */
export function parseJson<T = Record<string, unknown>>(run: MeridianRun): T {
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  return JSON.parse(run.stdout) as T;
}

/**
 * The environment of a CLI (and its worker) on the test Temporal server: a unique task queue,
 * MERIDIAN_HOME in the work folder, the passphrase in MERIDIAN_PASSWORD and no other passphrase
 * source inherited from the caller; the worker serves `repositories` and paths under `work`.
 */
export function meridianEnv(work: string, queuePrefix: string, passphrase: string, repositories: TestWorkerConfig['repositories'] = []): NodeJS.ProcessEnv {
  const { MERIDIAN_PASSWORD_FILE: _file, MERIDIAN_NEW_PASSWORD: _new, MERIDIAN_ALLOW_ANY_PATH: _any, ...inherited } = process.env;
  const env = {
    ...inherited,
    TEMPORAL_ADDRESS: testAddress(),
    MERIDIAN_TASK_QUEUE: uniqueTaskQueue(queuePrefix),
    MERIDIAN_HOME: path.join(work, 'home'),
    MERIDIAN_PASSWORD: passphrase,
  };
  return withWorkerConfig(env, { repositories, roots: [work] });
}

export interface MeridianWorkerProcess {
  process: ChildProcessWithoutNullStreams;
  /** Everything the worker wrote to stderr so far. */
  log(): string;
  /** Sends `signal` unless the worker has exited already; resolves with its exit code once it has. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `meridian worker` (by default in the project folder, so that a relative path the CLI
 * failed to make absolute would point somewhere else) and resolves once it logs "worker ready".
 */
export function startMeridianWorker(env: NodeJS.ProcessEnv, cwd = projectRoot): Promise<MeridianWorkerProcess> {
  return startMeridianProcess(['worker'], 'worker ready', env, cwd);
}

/** Starts `meridian server` (a worker plus the HTTP API) on `port` and resolves once its worker runs. */
export function startMeridianServer(env: NodeJS.ProcessEnv, port: number): Promise<MeridianWorkerProcess> {
  return startMeridianProcess(['server', '--port', String(port)], 'worker on task queue', env, projectRoot);
}

async function startMeridianProcess(args: string[], readyText: string, env: NodeJS.ProcessEnv, cwd: string): Promise<MeridianWorkerProcess> {
  assertBuildFresh(projectRoot);
  const child = spawn(process.execPath, [bin, ...args], { cwd, env, stdio: 'pipe' });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let log = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (data: Buffer) => {
      log += data.toString();
      if (log.includes(readyText)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`meridian ${args[0]} exited with ${code}: ${log}`)));
  });
  return {
    process: child,
    log: () => log,
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

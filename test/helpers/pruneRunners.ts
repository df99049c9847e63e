// The two ways the safety trials run a prune in a process of their own, behind one interface that
// a trial can pause (SIGSTOP / SIGCONT) and kill (SIGKILL): a node process calling core prune
// (test/fixtures/pruneProcess.ts, its storage calls slowed so that points between its steps can
// be hit), or the prune workflow served by a real `meridian worker` process on the test Temporal
// server, which after a kill is either given up (terminated, so a fresh run can finish the job)
// or left to Temporal's own retry of the activity on a restarted worker.

import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { WorkflowHandle } from '@temporalio/client';
import { describeFailure, startOperation } from '../../api/operations';
import { PruneResult } from '../../core/prune';
import { assertBuildFresh } from '../setup/distFreshness';
import { meridianEnv, MeridianWorkerProcess, projectRoot, startMeridianWorker } from './meridianCli';
import { TestConnection } from './temporal';

export type PruneOutcome = { kind: 'done'; result: PruneResult } | { kind: 'failed'; message: string } | { kind: 'killed' };

export interface PruneRun {
  /** Settles when the prune finished, failed, or its process was killed. */
  readonly outcome: Promise<PruneOutcome>;
  pause(): void;
  resume(): void;
  /** SIGKILLs the process (paused or not) and waits for it to be gone. */
  kill(): Promise<void>;
}

export interface PruneRunner {
  readonly kind: 'process' | 'worker';
  /** Starts a prune of the runner's repository; `delayMs` slows a process prune's storage calls. */
  start(delayMs: number): Promise<PruneRun>;
  /** After a kill: a run that finishes the job (a fresh one; a worker's killed workflow is terminated). */
  rerun(): Promise<PruneRun>;
  /** After a kill (worker runner only): the killed run itself, its activity retried by Temporal on a restarted worker. */
  retryOnNewWorker?(): Promise<PruneRun>;
  close(): Promise<void>;
}

export interface PruneSettings {
  repo: string;
  passphrase: string;
  maxUnusedPercent: number;
  /** Lock timings and anything else the prune's process needs in its environment. */
  env: NodeJS.ProcessEnv;
}

/** Sends `signal` to a child that has not exited; false when it had. */
function signalChild(child: ChildProcess, signal: NodeJS.Signals): boolean {
  if (child.exitCode !== null || child.signalCode !== null) return false;
  return child.kill(signal);
}

function childExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export function processPruneRunner(settings: PruneSettings): PruneRunner {
  const script = path.join(projectRoot, 'dist', 'test', 'fixtures', 'pruneProcess.js');
  assertBuildFresh(projectRoot);
  let live: ChildProcess | undefined;
  const start = async (delayMs: number): Promise<PruneRun> => {
    const child = spawn(process.execPath, [script], {
      env: { ...settings.env, REPO_URL: settings.repo, PASSPHRASE: settings.passphrase, MAX_UNUSED: String(settings.maxUnusedPercent), DELAY_MS: String(delayMs) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live = child;
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const outcome = new Promise<PruneOutcome>((resolve) => {
      child.once('exit', (code, signal) => {
        if (signal === 'SIGKILL') resolve({ kind: 'killed' });
        else if (code === 0) resolve({ kind: 'done', result: JSON.parse(stdout) as PruneResult });
        else resolve({ kind: 'failed', message: stderr.trim() || `exit ${code ?? signal}` });
      });
    });
    return {
      outcome,
      pause: () => void signalChild(child, 'SIGSTOP'),
      resume: () => void signalChild(child, 'SIGCONT'),
      kill: async () => {
        signalChild(child, 'SIGKILL');
        await childExit(child);
      },
    };
  };
  return {
    kind: 'process',
    start,
    rerun: () => start(0),
    close: async () => {
      if (live) {
        signalChild(live, 'SIGKILL');
        await childExit(live);
      }
    },
  };
}

/**
 * Prune workflows served by a `meridian worker` process of their own (one task queue per runner),
 * started with the runner's environment.
 */
export function workerPruneRunner(t: TestConnection, work: string, settings: PruneSettings): PruneRunner {
  const env = { ...meridianEnv(work, 'prune-safety', settings.passphrase, [settings.repo]), ...settings.env };
  const taskQueue = env.MERIDIAN_TASK_QUEUE!;
  let worker: MeridianWorkerProcess | undefined;
  let handle: WorkflowHandle | undefined;

  const liveWorker = async (): Promise<MeridianWorkerProcess> => {
    if (!worker || worker.process.exitCode !== null || worker.process.signalCode !== null) worker = await startMeridianWorker(env);
    return worker;
  };

  const follow = (w: MeridianWorkerProcess, h: WorkflowHandle): PruneRun => {
    const exited = childExit(w.process).then((): PruneOutcome => ({ kind: 'killed' }));
    const finished = h.result().then(
      (result: PruneResult): PruneOutcome => ({ kind: 'done', result }),
      (err: unknown): PruneOutcome => ({ kind: 'failed', message: describeFailure(err).message }),
    );
    return {
      outcome: Promise.race([finished, exited]),
      pause: () => void signalChild(w.process, 'SIGSTOP'),
      resume: () => void signalChild(w.process, 'SIGCONT'),
      kill: async () => {
        signalChild(w.process, 'SIGKILL');
        await childExit(w.process);
      },
    };
  };

  const start = async (): Promise<PruneRun> => {
    const w = await liveWorker();
    handle = await startOperation(t.client, 'prune', { repo: settings.repo, maxUnusedPercent: settings.maxUnusedPercent }, taskQueue);
    return follow(w, handle);
  };

  return {
    kind: 'worker',
    start: () => start(),
    rerun: async () => {
      const described = handle && (await handle.describe());
      if (handle && described?.status.name === 'RUNNING') await handle.terminate('safety trial: the prune was killed; a fresh run finishes the job');
      return start();
    },
    retryOnNewWorker: async () => {
      if (!handle) throw new Error('retryOnNewWorker: no prune was started');
      return follow(await liveWorker(), handle);
    },
    close: async () => {
      if (handle && (await handle.describe()).status.name === 'RUNNING') await handle.terminate('safety trial over');
      await worker?.stop('SIGKILL');
    },
  };
}

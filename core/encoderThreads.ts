// Encoder threads outlive a backup: when one ends, its threads (each with its ring of shared
// memory) wait, unreferenced (they do not keep the process alive), for the next backup in the
// process. A worker that runs backup after backup so reuses the same threads and memory instead
// of growing with each one; a restore ends them first, so that its threads reuse that memory.

import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { EncoderThreadData, ThreadRequest } from './encoderProtocol.js';
import { threadScript } from './threadScript.js';

export interface EncoderThread {
  worker: Worker;
  ring: SharedArrayBuffer;
  /** Ring bytes the thread has written and the main thread not yet given back. */
  used: Int32Array;
}

const idle: EncoderThread[] = [];

/**
 * A thread's young generation, in MiB: what it allocates is small and short-lived (blob bytes
 * go to the ring), and V8's default lets each thread's grow to ~48 MiB. With the main thread's
 * 2 MiB semi-spaces (the `meridian` executable's --max-semi-space-size=2), a 1,000,000-tile
 * backup peaked at 293 MiB instead of 415 with two threads; no slower on 1 GB of large files.
 */
const YOUNG_GENERATION_MIB = 6;

/** An idle thread whose ring has this size, or a new one. */
export function borrowEncoderThread(ringBytes: number): EncoderThread {
  const at = idle.findIndex((t) => t.ring.byteLength === ringBytes);
  if (at >= 0) {
    const thread = idle.splice(at, 1)[0]!;
    thread.worker.ref();
    return thread;
  }
  const ring = new SharedArrayBuffer(ringBytes);
  const used = new SharedArrayBuffer(4);
  const data: EncoderThreadData = { ring, used };
  return { worker: new Worker(threadScript('encoderThread'), { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MIB } }), ring, used: new Int32Array(used) };
}

const end = (thread: EncoderThread) => thread.worker.terminate().then(() => undefined);

/** Ends the idle threads, freeing their memory for other work (a restore's decoder threads). */
export async function endIdleEncoderThreads(): Promise<void> {
  await Promise.all(idle.splice(0).map(end));
}

/**
 * Takes back a thread that finished its work cleanly, keeping at most one idle thread per core
 * (the longest idle ones end first); a thread in any other state is ended.
 */
export async function returnEncoderThread(thread: EncoderThread, clean: boolean): Promise<void> {
  thread.worker.removeAllListeners('message').removeAllListeners('error');
  if (!clean) return end(thread);
  const idleRequest: ThreadRequest = { kind: 'idle' };
  thread.worker.postMessage(idleRequest);
  Atomics.store(thread.used, 0, 0);
  thread.worker.unref();
  idle.push(thread);
  await Promise.all(idle.splice(0, Math.max(0, idle.length - os.availableParallelism())).map(end));
}

// The progress line of a running backup, restore or verify on a terminal: polls the operation's
// state (the workflow's progress query merged with the activity's latest heartbeat) about twice
// a second and redraws one line on stderr with a text bar; the line is cleared at the end.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { describeOperation } from '../api/operations.js';
import { formatBytes } from './output.js';

const POLL_MS = 500;
const BAR_WIDTH = 24;

export interface ProgressContext {
  label: string;
  taskQueue: string;
  elapsedMs: number;
}

/** One line for the given progress (undefined or empty: no worker has answered yet). */
export function renderProgress(progress: Record<string, unknown> | undefined, { label, taskQueue, elapsedMs }: ProgressContext): string {
  const p = progress ?? {};
  const n = (key: string) => (typeof p[key] === 'number' ? (p[key] as number) : undefined);
  // A retried activity (storage unreachable, a worker lost) says why, so a wait is never silent.
  const elapsed = `${Math.floor(elapsedMs / 1000)} s${typeof p.lastFailure === 'string' ? `, retrying after: ${p.lastFailure}` : ''}`;
  const bytesDone = n('bytesDone');
  if (bytesDone !== undefined) {
    const bytesTotal = n('bytesFound') ?? n('bytesTotal') ?? 0;
    const files = `${n('filesDone') ?? 0}/${n('filesFound') ?? n('filesTotal') ?? 0} files`;
    return `${label} ${bar(bytesDone, bytesTotal)} ${files}  ${formatBytes(bytesDone)}/${formatBytes(bytesTotal)}  ${elapsed}`;
  }
  const done = n('done');
  const total = n('total');
  if (done !== undefined && total !== undefined) return `${label} ${bar(done, total)} ${String(p.activityPhase ?? '')} ${done}/${total}  ${elapsed}`;
  if (p.operation === undefined) return `${label}: waiting for a worker on task queue "${taskQueue}"… ${elapsed}`;
  return `${label}: starting… ${elapsed}`;
}

function bar(done: number, total: number): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(fraction * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%`;
}

/** Starts redrawing the progress of `workflowId`; `stop()` ends polling and clears the line. */
export function showProgress(client: Client, workflowId: string, label: string, taskQueue: string): { stop(): Promise<void> } {
  const started = Date.now();
  const stopped = new AbortController();
  const draw = (line: string) => process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns || 80) - 1)}`);
  const loop = (async () => {
    while (!stopped.signal.aborted) {
      const view = await describeOperation(client, workflowId).catch(() => undefined);
      if (!stopped.signal.aborted && view?.status === 'running') {
        draw(renderProgress(view.progress as Record<string, unknown> | undefined, { label, taskQueue, elapsedMs: Date.now() - started }));
      }
      await sleep(POLL_MS, undefined, { signal: stopped.signal }).catch(() => undefined);
    }
  })();
  return {
    async stop() {
      stopped.abort();
      await loop;
      draw('');
    },
  };
}

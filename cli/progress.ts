// The progress line of a running backup, restore or verify on a terminal: polls the operation's
// state (the workflow's progress query merged with the activity's latest heartbeat) about twice
// a second and redraws one line on stderr with a text bar, the rate (bytes/s, or items/s of a
// verify phase) and, when the total is known, the time left; the line is cleared at the end.

import { setTimeout as sleep } from 'node:timers/promises';
import type { OperationView } from '../api/operations.js';
import { formatBytes, formatDuration } from './output.js';
import { RateMeter } from './rateMeter.js';

const POLL_MS = 500;
const BAR_WIDTH = 24;

export interface ProgressContext {
  label: string;
  /** Where the operation waits for a worker while none has picked it up: `task queue "meridian"`. */
  workers: string;
  elapsedMs: number;
  /** Units of `progressCount` per second, once measured. */
  rate?: number;
}

type Progress = Record<string, unknown>;

const number = (p: Progress, key: string) => (typeof p[key] === 'number' ? (p[key] as number) : undefined);

/**
 * What the progress counts, for its rate: bytes of a backup or restore, items of a verify phase.
 * `total` only when it is final: a backup finds files while it reads them (bytesFound grows),
 * a restore and a verify phase know theirs from the start.
 */
export function progressCount(progress: Progress | undefined): { kind: string; done: number; total?: number } | undefined {
  const p = progress ?? {};
  const bytesDone = number(p, 'bytesDone');
  if (bytesDone !== undefined) return { kind: 'bytes', done: bytesDone, total: number(p, 'bytesTotal') };
  const done = number(p, 'done');
  return done === undefined ? undefined : { kind: `phase ${String(p.activityPhase ?? '')}`, done, total: number(p, 'total') };
}

/** `12.3 MiB/s` for bytes, `4.5/s` for items. */
export function formatRate(perSecond: number, kind: string): string {
  return kind === 'bytes' ? `${formatBytes(Math.round(perSecond))}/s` : `${perSecond.toFixed(1)}/s`;
}

/** The rate and, with a total and a rate above 0, the time left: `  12.3 MiB/s, 1 min 5 s left`. */
function rateAndTimeLeft(progress: Progress, rate: number | undefined): string {
  const count = progressCount(progress);
  if (count === undefined || rate === undefined) return '';
  const left = count.total !== undefined && rate > 0 ? `, ${formatDuration((Math.max(0, count.total - count.done) / rate) * 1000)} left` : '';
  return `  ${formatRate(rate, count.kind)}${left}`;
}

/** One line for the given progress (undefined or empty: no worker has answered yet). */
export function renderProgress(progress: Progress | undefined, { label, workers, elapsedMs, rate }: ProgressContext): string {
  const p = progress ?? {};
  const n = (key: string) => number(p, key);
  // A retried activity (storage unreachable, a worker lost) says why, so a wait is never silent.
  const elapsed = `${Math.floor(elapsedMs / 1000)} s${typeof p.lastFailure === 'string' ? `, retrying after: ${p.lastFailure}` : ''}`;
  // A sync or quorum backup waiting for replicas before its commit says for whom and why.
  if (typeof p.waiting === 'string') return `${label}: ${p.waiting}  ${elapsed}`;
  const speed = rateAndTimeLeft(p, rate);
  const bytesDone = n('bytesDone');
  if (bytesDone !== undefined) {
    const bytesTotal = n('bytesFound') ?? n('bytesTotal') ?? 0;
    const files = `${n('filesDone') ?? 0}/${n('filesFound') ?? n('filesTotal') ?? 0} files`;
    return `${label} ${bar(bytesDone, bytesTotal)} ${files}  ${formatBytes(bytesDone)}/${formatBytes(bytesTotal)}${speed}  ${elapsed}`;
  }
  const done = n('done');
  const total = n('total');
  if (done !== undefined && total !== undefined) return `${label} ${bar(done, total)} ${String(p.activityPhase ?? '')} ${done}/${total}${speed}  ${elapsed}`;
  if (p.operation === undefined) return `${label}: waiting for a worker on ${workers}… ${elapsed}`;
  return `${label}: starting… ${elapsed}`;
}

function bar(done: number, total: number): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(fraction * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%`;
}

/**
 * Starts redrawing the progress of an operation, which `describe` reads (through Temporal or the
 * HTTP API); `stop()` ends polling and clears the line at once: it does not wait for a poll under
 * way, whose answer is dropped, so the result is printed as soon as the workflow has closed.
 */
export function showProgress(describe: () => Promise<OperationView>, label: string, workers: string): { stop(): void } {
  const started = Date.now();
  const meter = new RateMeter();
  const stopped = new AbortController();
  const draw = (line: string) => process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns || 80) - 1)}`);
  void (async () => {
    while (!stopped.signal.aborted) {
      const view = await describe().catch(() => undefined);
      if (!stopped.signal.aborted && view?.status === 'running') {
        const progress = view.progress as Progress | undefined;
        const count = progressCount(progress);
        const now = Date.now();
        const rate = count && meter.sample(count.kind, count.done, now);
        draw(renderProgress(progress, { label, workers, elapsedMs: now - started, rate }));
      }
      await sleep(POLL_MS, undefined, { signal: stopped.signal }).catch(() => undefined);
    }
  })();
  return {
    stop() {
      stopped.abort();
      draw('');
    },
  };
}

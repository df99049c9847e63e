// What the journal workflow (workflows/journal.ts) and its watcher activity
// (activities/journalWatcher.ts) exchange, its workflow id, and how long one watcher round lasts.
// Deterministic, no Node imports: the workflow bundle and the CLI share it.

/** The default interval between two journal segments. */
export const DEFAULT_JOURNAL_INTERVAL_SECONDS = 60;

/** A watcher activity returns after about this long, so the workflow's history shows progress and stays bounded. */
export const JOURNAL_ROUND_SECONDS = 600;

export interface JournalInput {
  /** A repository name of the worker's meridian.yaml, or a URL it knows. */
  repo: string;
  /** The watched directory, absolute, on the host whose worker serves dataTaskQueue. */
  source: string;
  /** The host recorded in segments; default: the watching worker's hostname. */
  host?: string;
  /** The source's exclude globs (its backups'): paths they leave out are not journaled. */
  excludes?: string[];
  intervalSeconds: number;
  dataTaskQueue?: string;
  /** What earlier runs of this journal did (continue-as-new). */
  carried?: JournalProgress;
}

export interface JournalProgress {
  segments: number;
  bytesAdded: number;
  lastUntil?: string;
  /** The latest rescan and why it happened. */
  lastRescan?: string;
  lastError?: string;
}

export interface WatchJournalInput {
  repo: string;
  source: string;
  host?: string;
  excludes?: string[];
  intervalSeconds: number;
  /** Intervals to watch before returning (the watcher is kept for the next round). */
  rounds: number;
}

export interface WatchJournalOutput {
  segments: number;
  bytesAdded: number;
  lastUntil?: string;
  /** The reasons of the rescans this round did. */
  rescans: string[];
}

/** The workflow id of the journal of `source` into the repository labelled `repoLabel`. */
export function journalWorkflowId(repoLabel: string, source: string): string {
  return `journal:${repoLabel}:${source}`;
}

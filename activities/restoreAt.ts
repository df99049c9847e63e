// The restore of a file set as it was at a moment: its newest snapshot at or before then plus the
// change journal's segments up to then, applied in order (core/journalRestore.ts).

import { restoreAt } from '../core/journalRestore.js';
import { operationPaths } from '../workflows/catalog.js';
import type { RestoreAtInput, RestoreAtOutput } from '../workflows/pointInTime.js';
import { runWithHeartbeats } from './heartbeats.js';
import { zonedTime } from './inputTime.js';
import { RepositoryDeps, withRepository } from './repositoryRun.js';

export function createRestoreAtActivities(deps: RepositoryDeps) {
  return {
    async restoreAtTime(input: RestoreAtInput): Promise<RestoreAtOutput> {
      return runWithHeartbeats(async (report, cancellation) => {
        const started = Date.now();
        const at = zonedTime('at', input.at);
        const result = await withRepository(deps, { repo: input.repo, ...operationPaths('restore-at', input), lock: { operation: 'restore-at' } }, cancellation, (repo, signal) =>
          restoreAt(repo, { source: input.source, host: input.host, at, target: input.target, signal, onProgress: report }),
        );
        return { ...result, durationMs: Date.now() - started };
      });
    },
  };
}

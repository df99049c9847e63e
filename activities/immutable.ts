// The maintenance activity of immutable repositories (core/immutability.ts): admitted like any
// operation that deletes (the maintenance role), then run on the bucket's object versions; it
// opens no repository and holds no lock: it changes only retentions and old versions, never a
// current file, so backups and prunes go on beside it.

import { maintainImmutable, requireImmutablePolicy } from '../core/immutability.js';
import type { ImmutableMaintenanceInput, ImmutableMaintenanceOutput } from '../workflows/shared.js';
import { runWithHeartbeats } from './heartbeats.js';
import type { RepositoryDeps } from './repositoryRun.js';

export function createImmutableActivities(deps: RepositoryDeps) {
  return {
    /** Extends the retention of current files, deletes the old versions whose retention ended; a retry starts over (each step is idempotent). */
    async maintainImmutableRepository(input: ImmutableMaintenanceInput): Promise<ImmutableMaintenanceOutput> {
      return runWithHeartbeats(async (report, cancellation) => {
        const started = Date.now();
        const admitted = await deps.authority.admit({ repo: input.repo, maintenance: 'immutable maintenance' });
        // Loaded on first use: a worker without immutable repositories does not hold the S3 SDK (~21 MiB alone).
        const { openS3Versions } = await import('../storage/s3Versions.js');
        const store = openS3Versions(admitted.url);
        try {
          const policy = await requireImmutablePolicy(store);
          const result = await maintainImmutable(store, policy, { now: new Date(), signal: cancellation, onProgress: (done) => report({ phase: 'versions', done }) });
          return { policy, ...result, durationMs: Date.now() - started };
        } finally {
          await store.close();
        }
      });
    },
  };
}

// The key-rotation activity: admitted like any operation that deletes (the maintenance role),
// under an exclusive lock it seals every file again under the new key (core/keyRotation.ts);
// then, the lock released, it opens the repository again and destroys the retired key
// (Repository.finishRotation) with the passphrase the worker holds for it. A retry carries on
// where the last attempt stopped; one after the key was destroyed only tidies the key files.

import { Context } from '@temporalio/activity';
import { nothingResealed, reencrypt } from '../core/keyRotation.js';
import { openRepository } from '../worker/repositories.js';
import type { KeyRotationInput, KeyRotationOutput } from '../workflows/shared.js';
import { runWithHeartbeats } from './heartbeats.js';
import { RepositoryDeps, withRepository } from './repositoryRun.js';
import { DEFAULT_LOCK_TIMINGS } from '../core/locks.js';

export function createKeyRotationActivities(deps: RepositoryDeps) {
  return {
    async reencryptRepository(input: KeyRotationInput): Promise<KeyRotationOutput> {
      return runWithHeartbeats(async (report, cancellation) => {
        const started = Date.now();
        const request = { repo: input.repo, maintenance: 'key rotation' };
        const sealed = await withRepository(deps, { ...request, lock: { operation: 'key-rotation', exclusive: true } }, cancellation, (repo, signal, heldLock) =>
          repo.rotating
            ? reencrypt(repo, {
                heldLock: heldLock!,
                lockTimings: deps.lockTimings ?? DEFAULT_LOCK_TIMINGS,
                bytesPerSecond: input.bytesPerSecond,
                signal,
                onProgress: (phase, done, total) => report({ phase, done, total }),
              })
            : Promise.resolve(nothingResealed()),
        );
        report({ phase: 'keys', done: 0 });
        const workflowId = Context.current().info.workflowExecution?.workflowId;
        const admitted = await deps.authority.admit({ ...request, repo: sealed.activeRepository ?? input.repo, workflowId });
        const repo = await (deps.openRepository ?? openRepository)(admitted);
        try {
          const keys = await repo.finishRotation(admitted.passphrase()!);
          return { ...sealed, keyFile: keys.keyId, removedKeyFiles: keys.removedKeys, durationMs: Date.now() - started };
        } finally {
          await repo.storage.close();
        }
      });
    },
  };
}

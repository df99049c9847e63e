// GET /v1/snapshots?repo=URL: the repository's snapshots, oldest first, in the shape of
// `meridian snapshots --json`. Only a repository the server is configured for (checked before any
// storage is opened), with the server's own passphrases.

import { Hono } from 'hono';
import type { ApiDeps } from '../app.js';
import { listSnapshots, snapshotSummary } from '../../core/snapshots.js';
import { openRepository } from '../../worker/repositories.js';
import { SnapshotsQuerySchema } from '../schemas.js';
import { validate } from '../validation.js';

export const snapshotRoutes = (deps: ApiDeps) =>
  new Hono().get('/', validate('query', SnapshotsQuerySchema), async (c) => {
    const repo = await openRepository(await deps.authority.admit({ repo: c.req.valid('query').repo }));
    try {
      return c.json({ snapshots: (await listSnapshots(repo)).map(snapshotSummary) });
    } finally {
      await repo.storage.close();
    }
  });

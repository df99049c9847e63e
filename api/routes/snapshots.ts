// GET /v1/snapshots?repo=URL: the repository's snapshots, oldest first, in the shape of
// `meridian snapshots --json`; with &at=TIME&source=DIR, which snapshot and journal segments a
// restore of that source as of that time uses (`meridian snapshots --at T --source S --json`). Only a repository the server is configured for (checked before any
// storage is opened), with the server's own passphrases. DELETE /v1/snapshots/:id?repo=URL
// forgets that one snapshot through the forget workflow (202 with its workflow id).

import { Hono } from 'hono';
import type { ApiDeps } from '../app.js';
import { restoreAtSummary } from '../../core/restoreAtSummary.js';
import { listSnapshots, snapshotSummary } from '../../core/snapshots.js';
import { openRepository } from '../../worker/repositories.js';
import { SnapshotListQuerySchema, SnapshotParamSchema, SnapshotsQuerySchema } from '../schemas.js';
import { validate } from '../validation.js';
import { acceptOperation } from './operationStarts.js';

export const snapshotRoutes = (deps: ApiDeps) =>
  new Hono()
    .get('/', validate('query', SnapshotListQuerySchema), async (c) => {
      const query = c.req.valid('query');
      const repo = await openRepository(await deps.authority.admit({ repo: query.repo }));
      try {
        if (query.at !== undefined && query.source !== undefined) return c.json(await restoreAtSummary(repo, { source: query.source, at: new Date(query.at) }));
        return c.json({ snapshots: (await listSnapshots(repo)).map(snapshotSummary) });
      } finally {
        await repo.storage.close();
      }
    })
    .delete('/:id', validate('param', SnapshotParamSchema), validate('query', SnapshotsQuerySchema), async (c) =>
      acceptOperation(c, deps, 'forget', { repo: c.req.valid('query').repo, snapshots: [c.req.valid('param').id] }),
    );

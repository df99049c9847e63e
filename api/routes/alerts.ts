// GET /v1/alerts?repo=NAME|URL: the repository's ransomware alerts (core/ransomwareAlerts.ts),
// oldest first, as `meridian alerts --json` lists them. POST /v1/alerts/:snapshot/ack?repo=…
// acknowledges one in the name of the request's token (its identity), which lifts the hold that
// keeps forget from removing the source's earlier snapshots: it needs the maintenance role (403
// refused where the server's role for the repository is append-only, before storage is opened).

import { Hono } from 'hono';
import type { ApiDeps } from '../app.js';
import { requestIdentity } from '../auth.js';
import { acknowledgeAlert, listAlerts } from '../../core/ransomwareAlerts.js';
import type { Repository } from '../../core/repository.js';
import { listSnapshots } from '../../core/snapshots.js';
import type { AdmissionRequest } from '../../worker/authority.js';
import { openRepository } from '../../worker/repositories.js';
import { AlertParamSchema, SnapshotsQuerySchema } from '../schemas.js';
import { validate } from '../validation.js';

export const alertRoutes = (deps: ApiDeps) => {
  const withRepository = async <T>(request: AdmissionRequest, use: (repo: Repository) => Promise<T>): Promise<T> => {
    const repo = await openRepository(await deps.authority.admit(request));
    try {
      return await use(repo);
    } finally {
      await repo.storage.close();
    }
  };
  return new Hono()
    .get('/', validate('query', SnapshotsQuerySchema), async (c) =>
      c.json({ alerts: await withRepository({ repo: c.req.valid('query').repo }, async (repo) => listAlerts(repo, await listSnapshots(repo))) }),
    )
    .post('/:snapshot/ack', validate('param', AlertParamSchema), validate('query', SnapshotsQuerySchema), async (c) => {
      const request = { repo: c.req.valid('query').repo, maintenance: 'acknowledging a ransomware alert' };
      const alert = await withRepository(request, async (repo) => acknowledgeAlert(repo, await listSnapshots(repo), c.req.valid('param').snapshot, requestIdentity(c)));
      return c.json(alert);
    });
};

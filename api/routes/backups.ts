// POST /v1/backups: starts a backup workflow of a directory into a repository.

import { Hono } from 'hono';
import type { ApiDeps } from '../app.js';
import { BackupRequestSchema } from '../schemas.js';
import { validate } from '../validation.js';
import { startAccepted } from './accepted.js';

export const backupRoutes = (deps: ApiDeps) =>
  new Hono().post('/', validate('json', BackupRequestSchema), (c) => startAccepted(c, deps, 'backup', c.req.valid('json')));

// POST /v1/restores: starts a restore workflow of a snapshot into a target directory.

import { Hono } from 'hono';
import type { ApiDeps } from '../app.js';
import { RestoreRequestSchema } from '../schemas.js';
import { validate } from '../validation.js';
import { startAccepted } from './accepted.js';

export const restoreRoutes = (deps: ApiDeps) =>
  new Hono().post('/', validate('json', RestoreRequestSchema), (c) => startAccepted(c, deps, 'restore', c.req.valid('json')));

// POST /v1/verifications: starts a verify workflow (quick, standard or deep) of a repository.

import { Hono } from 'hono';
import type { ApiDeps } from '../app.js';
import { VerificationRequestSchema } from '../schemas.js';
import { validate } from '../validation.js';
import { startAccepted } from './accepted.js';

export const verificationRoutes = (deps: ApiDeps) =>
  new Hono().post('/', validate('json', VerificationRequestSchema), (c) => startAccepted(c, deps, 'verify', c.req.valid('json')));

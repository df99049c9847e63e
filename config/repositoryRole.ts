// What a configuration's processes may do to a repository: `maintenance` (the default) anything;
// `append-only` add files but never delete or replace them (storage/appendOnly.ts), so forget,
// prune and repair are refused: the role of a backup host. Its own module so that reading
// repositories.json does not load the whole meridian.yaml schema.

import { z } from 'zod';

export const RepositoryRole = z.enum(['maintenance', 'append-only']);
export type RepositoryRole = z.infer<typeof RepositoryRole>;

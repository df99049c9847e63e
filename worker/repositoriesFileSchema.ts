// The zod schema of `$MERIDIAN_HOME/repositories.json`: keys are a repository URL
// (`{ "passwordFile"?, "role"? }`) or a NAME (`{ "url": …, "passwordFile"?, "role"? }`).
// worker/workerConfig.ts loads this module only when the file exists.

import { z } from 'zod';
import { RepositoryRole } from '../config/repositoryRole.js';

export const RepositoriesFileSchema = z.record(z.string(), z.strictObject({ url: z.string().optional(), passwordFile: z.string().optional(), role: RepositoryRole.optional() }));

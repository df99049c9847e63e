// A built-in runbook template as written (durations and onFailure as text): runbooks/catalog.ts
// parses each with RunbookSchema like any other runbook.

import type { z } from 'zod';
import type { RunbookSchema } from '../../config/runbookSchema.js';

export type RunbookTemplate = z.input<typeof RunbookSchema>;

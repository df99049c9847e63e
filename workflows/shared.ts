// Definitions shared by workflows, the worker, the API and the CLI: names of the task queue,
// search attributes, workflow types, queries, and the input/result shapes of each operation.
// Import this module (never workflow implementations) from api/ and cli/.

export const DEFAULT_TASK_QUEUE = 'meridian';

/** Custom search attributes, all Keyword, so Temporal UI can filter runs. */
export const SEARCH_ATTRIBUTES = {
  operation: 'MeridianOperation',
  repository: 'MeridianRepository',
  source: 'MeridianSource',
} as const;

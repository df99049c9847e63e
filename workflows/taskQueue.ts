// The task queue Meridian's workers poll unless configured otherwise, in a module of its own so
// that reading it (the CLI's help and settings) loads no Temporal SDK.

export const DEFAULT_TASK_QUEUE = 'meridian';

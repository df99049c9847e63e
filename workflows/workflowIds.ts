// The workflow ids of operations, readable in Temporal UI and in `temporal workflow list`: what
// ran, on which repository, about what, and when (or one id per repository for the operations
// that run one at a time there).

import type { Operation } from './catalog.js';

/** A readable workflow id, e.g. `backup:/srv/repo:/data/tiles:2026-11-27T04:46:02.123Z`. */
export function operationWorkflowId(operation: Operation, repo: string, subject: string, at: Date): string {
  return `${operation}:${repo}:${subject}:${at.toISOString()}`;
}

/** The one workflow id of an operation that runs one at a time per repository, e.g. `prune:/srv/repo`. */
export function repositoryWorkflowId(operation: Operation, repo: string): string {
  return `${operation}:${repo}`;
}

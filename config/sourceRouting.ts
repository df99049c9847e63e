// Which host a backup of a source of meridian.yaml runs on: a backup whose repository and path are
// those of a source gets the source's taskQueue (its data host's worker) and host, as the source's
// scheduled runs do, unless it names a data task queue of its own. The HTTP API routes ad-hoc
// backups with it, so a client need not know a fleet's queues.

import path from 'node:path';
import { RepositoryError } from '../core/errors.js';
import type { BackupInput } from '../workflows/shared.js';
import type { MeridianConfig } from './schema.js';

export type SourceEntries = Partial<Pick<MeridianConfig, 'sources'>>;

/** Where a source's runs go: the task queue of its host's worker, and the host its snapshots record. */
export function sourceRoute(source: { host?: string; taskQueue?: string }): Pick<BackupInput, 'host' | 'dataTaskQueue'> {
  return { ...(source.host !== undefined ? { host: source.host } : {}), ...(source.taskQueue !== undefined ? { dataTaskQueue: source.taskQueue } : {}) };
}

/** `input`, routed to the host of the source it backs up; unchanged when it names a data task queue or backs up no routed source. */
export function routedToSource(input: BackupInput, config: SourceEntries | undefined): BackupInput {
  if (input.dataTaskQueue !== undefined || !config) return input;
  const routes = new Map<string, { name: string; route: ReturnType<typeof sourceRoute> }>();
  for (const [name, source] of Object.entries(config.sources ?? {})) {
    if (source.repository !== input.repo || path.resolve(source.path) !== input.path) continue;
    if (source.taskQueue === undefined && source.host === undefined) continue;
    routes.set(`${source.taskQueue ?? ''}\0${source.host ?? ''}`, { name, route: sourceRoute(source) });
  }
  if (routes.size === 0) return input;
  if (routes.size > 1) {
    const names = [...routes.values()].map((r) => r.name).join(', ');
    throw new RepositoryError('invalid-argument', `${input.path} of ${input.repo} is a source of several hosts in meridian.yaml (${names}): give dataTaskQueue (and host)`);
  }
  const { route } = [...routes.values()][0]!;
  // A host the input names is kept.
  return { ...input, ...route, ...(input.host !== undefined ? { host: input.host } : {}) };
}

// The SLA monitor's one activity (workflows/sla.ts): observes every source and repository it is
// given, in the worker's own meridian.yaml — per repository its snapshots (count; a damaged snapshot
// file, or one the newest verify found damaged, is not good), the size of its packs and its open
// ransomware alerts; per source
// the newest good snapshot of its (host, path), the bytes it added and the latest measured recovery
// (a completed restore of one of its snapshots, or a succeeded execution of a runbook of one of its
// SLAs, from Temporal visibility). A repository that cannot be read is reported in
// failedRepositories and its sources left out (the monitor keeps their previous observation); the
// others are observed all the same. Read-only, no lock: a retry simply observes again. Snapshot
// files never change, so each observation reads only the ones the previous listing did not have.

import path from 'node:path';
import { Context } from '@temporalio/activity';
import { RepositoryError } from '../core/errors.js';
import { listAlerts } from '../core/ransomwareAlerts.js';
import { listSnapshots, type Snapshot } from '../core/snapshots.js';
import { parseSnapshotTime } from '../core/snapshotTime.js';
import type { SourceEntry } from '../config/schema.js';
import { openRepository } from '../worker/repositories.js';
import type { Recovery } from '../worker/fleetHistory.js';
import { repositoryLabel } from '../workflows/catalog.js';
import type { FleetObservation } from '../workflows/slaLogic.js';
import type { RepositoryObservation, SlaDefinition, SourceObservation } from '../workflows/slaDefs.js';
import { withFailureMapping } from './failures.js';
import { startHeartbeats } from './heartbeats.js';
import type { ActivityDeps } from './index.js';

export interface ObserveFleetInput {
  slas: SlaDefinition[];
  sources: string[];
  repositories: string[];
}

interface RepositoryFacts {
  observation: RepositoryObservation;
  /** Good snapshots, oldest first. */
  good: Snapshot[];
  /** Every snapshot readable (a restore's reference is resolved among them). */
  all: Snapshot[];
}

export function createSlaActivities(deps: ActivityDeps) {
  const sourceEntry = (name: string): SourceEntry => {
    const sources = deps.workerConfig?.sources ?? {};
    const entry = Object.hasOwn(sources, name) ? sources[name] : undefined;
    if (!entry) throw new RepositoryError('not-found', `no source named "${name}" in this worker's meridian.yaml`);
    return entry;
  };

  // The manifests of the last listing per repository: the next one reads only new snapshot files.
  const listed = new Map<string, Map<string, Snapshot>>();

  const observeRepository = async (name: string): Promise<RepositoryFacts> => {
    const workflowId = Context.current().info.workflowExecution?.workflowId;
    const repo = await (deps.openRepository ?? openRepository)(await deps.authority.admit({ repo: name, workflowId }));
    try {
      const damagedFiles = new Set<string>();
      const all = await listSnapshots(repo, { onDamaged: (id) => damagedFiles.add(id), known: listed.get(name) });
      listed.set(name, new Map(all.map((s) => [s.id, s])));
      const verifiedDamaged = new Set(await (deps.fleetHistory?.damagedSnapshots(labelsOf(deps, name)) ?? []));
      let sizeBytes = 0;
      for await (const entry of repo.storage.list('data')) sizeBytes += entry.size;
      const good = all.filter((s) => !verifiedDamaged.has(s.id));
      const openRansomwareAlerts = (await listAlerts(repo, all)).filter((alert) => alert.acknowledged === undefined).length;
      return { observation: { repository: name, snapshotCount: all.length + damagedFiles.size, sizeBytes, openRansomwareAlerts }, good, all };
    } finally {
      await repo.storage.close();
    }
  };

  return {
    /** One observation of the fleet (see the file comment); a source or repository this worker does not know fails it. */
    async observeFleet(input: ObserveFleetInput): Promise<FleetObservation> {
      const beats = startHeartbeats<object>({ phase: 'observing' });
      try {
        return await withFailureMapping(async () => {
          const entries = new Map(input.sources.map((name) => [name, sourceEntry(name)]));
          const repositoryNames = [...new Set([...input.repositories, ...[...entries.values()].map((e) => e.repository)])];
          const facts = new Map<string, RepositoryFacts>();
          const failedRepositories: Record<string, string> = {};
          for (const [i, name] of repositoryNames.entries()) {
            beats.update({ phase: 'repositories', done: i, total: repositoryNames.length });
            try {
              facts.set(name, await observeRepository(name));
            } catch (err) {
              failedRepositories[name] = oneLine(err);
            }
          }
          const runbooks = [...new Set(input.slas.flatMap((s) => s.runbooks ?? []))];
          const labels = repositoryNames.flatMap((name) => labelsOf(deps, name));
          const recoveries = deps.fleetHistory && (labels.length > 0 || runbooks.length > 0) ? await deps.fleetHistory.recoveries(labels, runbooks) : [];
          const sources = [...entries].flatMap(([name, entry]) => {
            const repository = facts.get(entry.repository);
            return repository ? [observeSource(name, entry, repository, recoveries, input.slas, deps)] : [];
          });
          const repositories = input.repositories.flatMap((name) => facts.get(name)?.observation ?? []);
          return { sources, repositories, ...(Object.keys(failedRepositories).length > 0 ? { failedRepositories } : {}) };
        });
      } finally {
        beats.stop();
      }
    },
  };
}

/** Why a repository could not be read, on one line. */
function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ');
}

/** How visibility may name a repository: its name and the label of its URL. */
function labelsOf(deps: ActivityDeps, name: string): string[] {
  const configured = deps.workerConfig?.repositories.find((r) => r.name === name);
  return [...new Set([name, ...(configured ? [repositoryLabel(configured.url)] : [])])];
}

function ofSource(entry: SourceEntry): (s: Snapshot) => boolean {
  const wanted = path.resolve(entry.path);
  return (s) => s.source === wanted && (entry.host === undefined || s.host === entry.host);
}

function observeSource(name: string, entry: SourceEntry, facts: RepositoryFacts, recoveries: readonly Recovery[], slas: readonly SlaDefinition[], deps: ActivityDeps): SourceObservation {
  const mine = ofSource(entry);
  const good = facts.good.filter(mine);
  const newest = good[good.length - 1];
  const runbooks = new Set(slas.filter((s) => s.sources.includes(name)).flatMap((s) => s.runbooks ?? []));
  const labels = new Set(labelsOf(deps, entry.repository));
  const restoredMine = (r: Recovery) => {
    const snapshot = labels.has(r.repository ?? '') ? restoredSnapshot(r, facts.all) : undefined;
    return snapshot !== undefined && mine(snapshot);
  };
  const recovery = recoveries.find((r) => (r.kind === 'runbook' ? runbooks.has(r.ref) : restoredMine(r)));
  return {
    source: name,
    repository: entry.repository,
    snapshotCount: facts.all.filter(mine).length,
    ...(newest ? { lastGoodSnapshotAt: (parseSnapshotTime(newest.time) ?? new Date(newest.time)).toISOString(), lastBytesAdded: newest.stats.bytesAdded } : {}),
    ...(recovery ? { lastRecovery: { kind: recovery.kind, at: recovery.at, seconds: recovery.seconds, workflowId: recovery.workflowId } } : {}),
  };
}

/** The snapshot a restore read: its id (or prefix), or for `latest` the newest snapshot when it started. */
function restoredSnapshot(recovery: Recovery, snapshots: readonly Snapshot[]): Snapshot | undefined {
  if (recovery.ref === 'latest') return snapshots.filter((s) => (parseSnapshotTime(s.time)?.getTime() ?? 0) <= Date.parse(recovery.startedAt)).at(-1);
  return snapshots.find((s) => s.id.startsWith(recovery.ref));
}

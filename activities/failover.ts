// The failover monitor's activities (workflows/failover.ts): its entry resolved in the worker's
// meridian.yaml, the health checks of regions (storage probes of the set's member there and the
// entry's HTTP checks: unhealthy is data, never a throw), the replication lag of each region, and
// the moves of the active member (core/failover.ts). Regions come from the monitor, never from a
// query back to it; which members are writable (for a monitor started fresh). All retry-safe; an
// exclusive lock held elsewhere ('locked') is retryable here.

import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { RepositoryError } from '../core/errors.js';
import { mergeInto, promote, resync, switchOver } from '../core/failover.js';
import { probeHttp, probeStorage, safeUrl } from '../core/healthProbe.js';
import { readReplicaState } from '../core/replicaState.js';
import { replicatePass } from '../core/replication.js';
import { Repository } from '../core/repository.js';
import type { FailoverEntry } from '../config/schema.js';
import { lagSeconds } from '../replication/status.js';
import { openStorage } from '../storage/open.js';
import { memberInRegion, membersOf } from '../worker/activeRegion.js';
import { openRepository } from '../worker/repositories.js';
import { resolveReplicaSet, ResolvedReplicaSet } from '../worker/replicationSets.js';
import type {
  CatchUpResult,
  CheckRegionsInput,
  DiscoveredRegions,
  FailoverDescription,
  ProbeResult,
  PromoteResult,
  RegionHealth,
  RegionInput,
  RegionLag,
  SwitchInput,
} from '../workflows/failoverDefs.js';
import { withFailureMapping } from './failures.js';
import { runWithHeartbeats } from './heartbeats.js';
import type { ActivityDeps } from './index.js';

/** probeTimeout's default. */
export const DEFAULT_PROBE_TIMEOUT_MS = 10_000;
/** An HTTP check's default timeout. */
const DEFAULT_HTTP_TIMEOUT_MS = 5_000;

interface ResolvedFailover {
  name: string;
  entry: FailoverEntry;
  set: ResolvedReplicaSet;
}

/** An exclusive lock held elsewhere (a pass, a prune, a backup's end): retried by the switch options. */
async function lockedIsRetryable<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof RepositoryError && err.code === 'locked') throw ApplicationFailure.create({ type: 'locked', message: err.message.slice(0, 500), nonRetryable: false });
    throw err;
  }
}

export function createFailoverActivities(deps: ActivityDeps) {
  const failover = (name: string): ResolvedFailover => {
    const entries = deps.workerConfig?.replication?.failover ?? {};
    const entry = Object.hasOwn(entries, name) ? entries[name] : undefined;
    if (!entry || !deps.workerConfig) {
      const known = Object.keys(entries);
      throw new RepositoryError('not-found', `no failover entry named "${name}" in this worker's meridian.yaml (${known.length === 0 ? 'it defines none' : `known: ${known.join(', ')}`})`);
    }
    return { name, entry, set: resolveReplicaSet(deps.workerConfig, entry.replication) };
  };
  const workflowId = () => Context.current().info.workflowExecution?.workflowId;
  const open = async (member: string): Promise<Repository> => (deps.openRepository ?? openRepository)(await deps.authority.admit({ repo: member, workflowId: workflowId() }));
  const withMembers = async <T>(names: string[], use: (repos: Repository[]) => Promise<T>): Promise<T> => {
    const repos: Repository[] = [];
    try {
      for (const name of names) repos.push(await open(name));
      return await use(repos);
    } finally {
      await Promise.all(repos.map((r) => r.storage.close()));
    }
  };
  const switchOptions = (f: ResolvedFailover, signal: AbortSignal, report: (p: object) => void) => ({
    graceHours: f.set.entry.deleteGraceHours,
    ...(f.set.entry.concurrency !== undefined ? { concurrency: f.set.entry.concurrency } : {}),
    ...(workflowId() !== undefined ? { workflowId: workflowId() } : {}),
    ...(deps.lockTimings ? { lockTimings: deps.lockTimings } : {}),
    signal,
    onProgress: report,
  });

  /** One region's probes: the set's member there (storage) and the entry's HTTP checks of that region. */
  const checkRegion = async (f: ResolvedFailover, region: string, readOnly: boolean): Promise<RegionHealth> => {
    const timeoutMs = f.entry.probeTimeout ?? DEFAULT_PROBE_TIMEOUT_MS;
    const storageProbe = async (): Promise<ProbeResult> => {
      const member = memberInRegion(f.set, region).name;
      try {
        const storage = await openStorage((await deps.authority.admit({ repo: member, workflowId: workflowId() })).url, { retry: false });
        try {
          return { kind: 'storage', target: member, ...(await probeStorage(storage, { timeoutMs, readOnly })) };
        } finally {
          await storage.close().catch(() => undefined);
        }
      } catch (err) {
        return { kind: 'storage', target: member, healthy: false, latencyMs: 0, reason: err instanceof Error ? err.message : String(err) };
      }
    };
    const httpProbes = (f.entry.checks ?? [])
      .filter((check) => check.region === region)
      .map(async (check): Promise<ProbeResult> => ({ kind: 'http', target: safeUrl(check.url), ...(await probeHttp(check.url, { expectStatus: check.expectStatus, timeoutMs: check.timeout ?? DEFAULT_HTTP_TIMEOUT_MS })) }));
    const probes = await Promise.all([storageProbe(), ...httpProbes]);
    const failed = probes.find((p) => !p.healthy);
    return { region, healthy: !failed, ...(failed ? { reason: `${failed.kind} ${failed.target}: ${failed.reason ?? 'unhealthy'}` } : {}), probes, at: new Date().toISOString() };
  };

  /** Whether `region`'s member is a replica (has its replica-state doc); undefined when it could not be read within the probe timeout. */
  const isReplica = async (f: ResolvedFailover, region: string): Promise<boolean | undefined> => {
    const timeoutMs = f.entry.probeTimeout ?? DEFAULT_PROBE_TIMEOUT_MS;
    const read = async (): Promise<boolean> => {
      const admitted = await deps.authority.admit({ repo: memberInRegion(f.set, region).name, workflowId: workflowId() });
      const storage = await openStorage(admitted.url, { retry: false });
      try {
        return (await readReplicaState(await Repository.open(storage, admitted.passphrase()))) !== undefined;
      } finally {
        await storage.close().catch(() => undefined);
      }
    };
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    try {
      return await Promise.race([read().catch(() => undefined), expired]);
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    /** The entry as this worker's meridian.yaml defines it now (a local activity: no storage). */
    async describeFailover(input: { name: string }): Promise<FailoverDescription> {
      return withFailureMapping(async () => {
        const { name, entry, set } = failover(input.name);
        const regions = [entry.primaryRegion, ...entry.secondaryRegions];
        return {
          name,
          replication: entry.replication,
          primaryRegion: entry.primaryRegion,
          secondaryRegions: entry.secondaryRegions,
          autoFailover: entry.autoFailover,
          autoFailback: entry.autoFailback,
          intervalMs: Math.round(entry.healthCheckIntervalSecs * 1000),
          failoverThreshold: entry.failoverThreshold,
          failbackThreshold: entry.failbackThreshold,
          ...(entry.maxLagOnFailoverSeconds !== undefined ? { maxLagOnFailoverSeconds: entry.maxLagOnFailoverSeconds } : {}),
          probeTimeoutMs: entry.probeTimeout ?? DEFAULT_PROBE_TIMEOUT_MS,
          members: Object.fromEntries(regions.map((region) => [region, memberInRegion(set, region).name])),
        };
      });
    },

    /** Every region of the input checked in parallel; an unhealthy region is a result, not an error. */
    async checkRegions(input: CheckRegionsInput): Promise<RegionHealth[]> {
      return withFailureMapping(async () => {
        const f = failover(input.name);
        return Promise.all(input.regions.map((region) => checkRegion(f, region, input.readOnly === true)));
      });
    },

    /** Which regions' members are writable (no replica-state doc), replicas, or unreachable: what a monitor started fresh learns the active region from. */
    async discoverRegions(input: { name: string }): Promise<DiscoveredRegions> {
      return withFailureMapping(async () => {
        const f = failover(input.name);
        const regions = [f.entry.primaryRegion, ...f.entry.secondaryRegions];
        const found = await Promise.all(regions.map((region) => isReplica(f, region)));
        const where = (value: boolean | undefined) => regions.filter((_, i) => found[i] === value);
        return { writable: where(false), replicas: where(true), unreachable: where(undefined) };
      });
    },

    /** Each region's replication lag as the set's workflow knows it (null: unknown, or the region is not a replica there). */
    async regionLags(input: { name: string }): Promise<RegionLag[]> {
      return withFailureMapping(async () => {
        const f = failover(input.name);
        const state = deps.cluster ? await deps.cluster.replicationState(f.set.name) : undefined;
        const now = new Date();
        return [f.entry.primaryRegion, ...f.entry.secondaryRegions].map((region) => {
          const member = membersOf(f.set).find((m) => m.region === region);
          const replica = member ? state?.replicas.find((r) => r.name === member.name) : undefined;
          return { region, lagSeconds: replica ? lagSeconds(replica, now) : null };
        });
      });
    },

    /**
     * A forced failover: `to`'s member made writable, then what every other member but `from`
     * (failed, not touched) holds and `to` lacks merged into it; `unmerged`: the regions it could
     * not merge from (the monitor re-syncs them before they are replicas again).
     */
    async promoteRegion(input: SwitchInput): Promise<PromoteResult> {
      return runWithHeartbeats(async (report, cancellation) => {
        const f = failover(input.name);
        const options = switchOptions(f, cancellation, report);
        const promoted = await lockedIsRetryable(() => withMembers([memberInRegion(f.set, input.to).name], async ([to]) => promote(to!, options)));
        const others = [f.entry.primaryRegion, ...f.entry.secondaryRegions].filter((region) => region !== input.to && region !== input.from);
        const unmerged: string[] = [];
        await withMembers([memberInRegion(f.set, input.to).name], async ([to]) => {
          for (const region of others) {
            try {
              await withMembers([memberInRegion(f.set, region).name], ([other]) => mergeInto(other!, to!, options));
            } catch (err) {
              if (cancellation.aborted) throw err;
              unmerged.push(region);
            }
          }
        });
        return { promoted, unmerged };
      });
    },

    /** `region` (an ex-active member that returned) made a replica of the active one, after what only it holds is merged there. */
    async resyncRegion(input: RegionInput): Promise<{ copied: number }> {
      return runWithHeartbeats(async (report, cancellation) => {
        const f = failover(input.name);
        return lockedIsRetryable(() =>
          withMembers([memberInRegion(f.set, input.region).name, memberInRegion(f.set, input.active).name], async ([old, active]) => {
            const { pass } = await resync(old!, active!, switchOptions(f, cancellation, report));
            return { copied: pass.copied.files };
          }),
        );
      });
    },

    /** One pass from the active member to `region`'s; caught up when nothing is behind after it. */
    async catchUpRegion(input: RegionInput): Promise<CatchUpResult> {
      return runWithHeartbeats(async (report, cancellation) => {
        const f = failover(input.name);
        const replicaName = memberInRegion(f.set, input.region).name;
        return withMembers([memberInRegion(f.set, input.active).name, replicaName], async ([active, replica]) => {
          const pass = await replicatePass(active!, replica!, { replicaName, ...switchOptions(f, cancellation, report), lock: 'take' });
          const caughtUp = pass.deferred === undefined && !pass.partial && pass.behind.files === 0;
          return { region: input.region, caughtUp, behindSnapshots: pass.behind.snapshots, ...(pass.deferred !== undefined ? { deferred: pass.deferred } : {}) };
        });
      });
    },

    /** The graceful switch: `from` made a replica, a last pass from→to, `to` promoted (done already: a no-op). */
    async switchRegion(input: SwitchInput): Promise<{ switched: boolean }> {
      return runWithHeartbeats(async (report, cancellation) => {
        const f = failover(input.name);
        return lockedIsRetryable(() =>
          withMembers([memberInRegion(f.set, input.from).name, memberInRegion(f.set, input.to).name], async ([from, to]) => ({
            switched: (await switchOver(from!, to!, switchOptions(f, cancellation, report))).switched,
          })),
        );
      });
    },
  };
}

// A fleet's worth of cluster state for /metrics (metrics/clusterState.ts), as `meridian server`
// holds it after reading Temporal: the sources (as the sla-monitor observed them), SLAs over them
// in groups, failover monitors, replica sets and Schedules. Shared by the metrics unit test and
// the scrape benchmark (bench/metricsScrape.ts), so both scrape the same shape of state.

import { emptyClusterState, type ClusterState } from '../../metrics/clusterState';
import type { RepositoryObservation, SlaStatus, SourceObservation } from '../../workflows/slaDefs';

export interface FleetShape {
  now: number;
  sources: SourceObservation[];
  repositories: RepositoryObservation[];
  /** SLAs, each over `sourcesPerSla` consecutive sources (wrapping round). */
  slas: number;
  sourcesPerSla: number;
  failovers: number;
  schedules: number;
}

export function fleetClusterState(shape: FleetShape): ClusterState {
  const { now, sources } = shape;
  const iso = (secondsAgo: number) => new Date(now - secondsAgo * 1000).toISOString();
  const state = emptyClusterState();
  const slas = Array.from({ length: shape.slas }, (_, i): SlaStatus => {
    const mine = Array.from({ length: shape.sourcesPerSla }, (_, k) => sources[(i * shape.sourcesPerSla + k) % sources.length]!);
    const name = `sla-${i}`;
    return {
      name,
      enabled: true,
      compliant: i % 5 !== 0,
      rpoTargetSeconds: 3600,
      rtoTargetSeconds: 7200,
      rtoSeconds: 900,
      rtoMeasuredAt: iso(3600),
      sources: mine.map(({ source, lastGoodSnapshotAt }) => ({ source, ...(lastGoodSnapshotAt ? { lastGoodSnapshotAt } : {}) })),
      compliance: { '24h': 0.5, '7d': 0.9, '30d': null },
      openViolations: i % 5 === 0 ? [{ id: `${name}-1`, sla: name, kind: 'rpo', subject: mine[0]!.source, start: iso(600), observedSeconds: 6000, targetSeconds: 3600 }] : [],
    };
  });
  state.sla = { evaluatedAt: iso(5), evaluations: 42, intervalSeconds: 60, slas, sources, repositories: shape.repositories };
  for (let i = 0; i < shape.failovers; i++) {
    const name = `site-${i}`;
    state.failovers[name] = {
      name, replication: name, primaryRegion: 'eu', secondaryRegions: ['us'], activeRegion: i === 0 ? 'us' : 'eu', consecutiveFailures: 0, primaryHealthyStreak: 2,
      needsResync: [], failbackPossible: false, regions: {}, checks: 10, eventCount: 2,
      events: [
        { id: `${name}-1`, kind: 'failover', at: iso(900), from: 'eu', to: 'us', reason: 'checks failed', trigger: 'automatic' },
        { id: `${name}-2`, kind: 'failover-blocked', at: iso(300), from: 'us', to: 'eu', reason: 'lag', trigger: 'automatic' },
      ],
    };
    state.replication.push({
      name, mode: 'async', workflowId: `replication:${name}`, running: true, primary: { name: `${name}-eu`, location: 'memory' },
      replicas: [{ name: `${name}-us`, location: 'memory', state: 'idle', reachable: true, behind: { snapshots: 3, files: 9, bytes: 4096 }, lagSeconds: 120 }],
    });
  }
  for (let i = 0; i < shape.schedules; i++) state.schedules[`nightly-${i}`] = { paused: false, missed: 1, skipped: 2, nextRunAt: now + 3600_000 };
  state.refreshedAt = { sla: now, failover: now, replication: now, schedules: now };
  state.failures.replication = 1;
  return state;
}

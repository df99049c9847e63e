// The cluster gauges (and the counters Temporal keeps for Schedules) of /metrics, computed at
// scrape time from the in-memory cluster state (metrics/clusterState.ts) and the clock: no
// Temporal call, no storage call. A series exists only while its entry is known (a source the
// sla-monitor observed, a failover monitor that answered, a Schedule that is applied).

import { Counter, Gauge, type Registry } from 'prom-client';
import { COMPLIANCE_WINDOWS, type ComplianceWindow, VIOLATION_KINDS } from '../workflows/slaDefs.js';
import { type ClusterState, STATE_PARTS } from './clusterState.js';

type Labels = Record<string, string>;
type Sample = [Labels, number];

interface Family {
  name: string;
  help: string;
  labelNames: string[];
  type: 'gauge' | 'counter';
  samples(state: ClusterState, nowMs: number): Sample[];
}

const seconds = (iso: string) => Date.parse(iso) / 1000;

/** Seconds from a good snapshot's time to now: the recovery point's age, computed at scrape time. */
const rpoAt = (lastGood: string, nowMs: number) => Math.max(0, nowMs / 1000 - seconds(lastGood));

/** Worst RPO over the SLA's sources now; undefined when it has none or one has no good snapshot. */
function slaRpo(sources: ReadonlyArray<{ lastGoodSnapshotAt?: string }>, nowMs: number): number | undefined {
  if (sources.length === 0 || sources.some((s) => s.lastGoodSnapshotAt === undefined)) return undefined;
  return Math.max(...sources.map((s) => rpoAt(s.lastGoodSnapshotAt!, nowMs)));
}

/** The replica sets whose workflow answered (the replicas' states were read, not defaulted). */
const readSets = (s: ClusterState) => s.replication.filter((set) => set.running && set.unanswered === undefined);

const FAMILIES: Family[] = [
  {
    name: 'meridian_source_last_success_timestamp_seconds',
    help: 'Time of the newest snapshot of the source that completed and was not found damaged (sla-monitor observation).',
    labelNames: ['source'],
    type: 'gauge',
    samples: (s) => (s.sla?.sources ?? []).flatMap((o) => (o.lastGoodSnapshotAt ? [[{ source: o.source }, seconds(o.lastGoodSnapshotAt)] as Sample] : [])),
  },
  {
    name: 'meridian_source_rpo_seconds',
    help: 'Seconds since the newest good snapshot of the source (its recovery point age); absent while it has none.',
    labelNames: ['source'],
    type: 'gauge',
    samples: (s, now) => (s.sla?.sources ?? []).flatMap((o) => (o.lastGoodSnapshotAt ? [[{ source: o.source }, rpoAt(o.lastGoodSnapshotAt, now)] as Sample] : [])),
  },
  {
    name: 'meridian_source_snapshots',
    help: 'Snapshots of the source in its repository (sla-monitor observation).',
    labelNames: ['source'],
    type: 'gauge',
    samples: (s) => (s.sla?.sources ?? []).map((o) => [{ source: o.source }, o.snapshotCount]),
  },
  {
    name: 'meridian_repository_snapshots',
    help: 'Snapshots in the repository (sla-monitor observation).',
    labelNames: ['repository'],
    type: 'gauge',
    samples: (s) => (s.sla?.repositories ?? []).map((r) => [{ repository: r.repository }, r.snapshotCount]),
  },
  {
    name: 'meridian_repository_size_bytes',
    help: 'Stored size of the repository: the sum of its pack files (sla-monitor observation).',
    labelNames: ['repository'],
    type: 'gauge',
    samples: (s) => (s.sla?.repositories ?? []).map((r) => [{ repository: r.repository }, r.sizeBytes]),
  },
  {
    name: 'meridian_repository_ransomware_alerts_open',
    help: 'Ransomware alerts of the repository not acknowledged: while one is open, forget holds its source\'s older snapshots (sla-monitor observation).',
    labelNames: ['repository'],
    type: 'gauge',
    samples: (s) => (s.sla?.repositories ?? []).flatMap((r) => (r.openRansomwareAlerts === undefined ? [] : [[{ repository: r.repository }, r.openRansomwareAlerts] as Sample])),
  },
  {
    name: 'meridian_sla_compliant',
    help: '1 when the SLA has no open violation at the last evaluation, else 0.',
    labelNames: ['sla'],
    type: 'gauge',
    samples: (s) => (s.sla?.slas ?? []).map((sla) => [{ sla: sla.name }, sla.compliant ? 1 : 0]),
  },
  {
    name: 'meridian_sla_compliance_ratio',
    help: 'Share of the SLA evaluations in compliance over the window (24h, 7d, 30d); absent without samples.',
    labelNames: ['sla', 'window'],
    type: 'gauge',
    samples: (s) =>
      (s.sla?.slas ?? []).flatMap((sla) =>
        (Object.keys(COMPLIANCE_WINDOWS) as ComplianceWindow[]).flatMap((window) => {
          const ratio = sla.compliance[window];
          return ratio === null || ratio === undefined ? [] : [[{ sla: sla.name, window }, ratio] as Sample];
        }),
      ),
  },
  {
    name: 'meridian_sla_rpo_seconds',
    help: 'Worst RPO over the sources of the SLA, now (as meridian_source_rpo_seconds); absent when a source has no good snapshot.',
    labelNames: ['sla'],
    type: 'gauge',
    samples: (s, now) =>
      (s.sla?.slas ?? []).flatMap((sla) => {
        const rpo = slaRpo(sla.sources, now);
        return rpo === undefined ? [] : [[{ sla: sla.name }, rpo] as Sample];
      }),
  },
  {
    name: 'meridian_sla_rpo_target_seconds',
    help: 'The RPO objective of the SLA.',
    labelNames: ['sla'],
    type: 'gauge',
    samples: (s) => (s.sla?.slas ?? []).map((sla) => [{ sla: sla.name }, sla.rpoTargetSeconds]),
  },
  {
    name: 'meridian_sla_rto_seconds',
    help: 'Duration of the latest measured recovery (restore or recovery runbook) of the SLA; absent while untested.',
    labelNames: ['sla'],
    type: 'gauge',
    samples: (s) => (s.sla?.slas ?? []).flatMap((sla) => (sla.rtoSeconds === undefined ? [] : [[{ sla: sla.name }, sla.rtoSeconds] as Sample])),
  },
  {
    name: 'meridian_sla_rto_target_seconds',
    help: 'The RTO objective of the SLA.',
    labelNames: ['sla'],
    type: 'gauge',
    samples: (s) => (s.sla?.slas ?? []).map((sla) => [{ sla: sla.name }, sla.rtoTargetSeconds]),
  },
  {
    name: 'meridian_sla_open_violations',
    help: 'Open violations of the SLA, by kind (rpo, rto, rto-untested, unobserved).',
    labelNames: ['sla', 'kind'],
    type: 'gauge',
    samples: (s) =>
      (s.sla?.slas ?? []).flatMap((sla) =>
        VIOLATION_KINDS.map((kind) => [{ sla: sla.name, kind }, sla.openViolations.filter((v) => v.kind === kind).length] as Sample),
      ),
  },
  {
    name: 'meridian_sla_last_evaluation_timestamp_seconds',
    help: 'Time of the sla-monitor\'s last evaluation.',
    labelNames: [],
    type: 'gauge',
    samples: (s) => (s.sla?.evaluatedAt ? [[{}, seconds(s.sla.evaluatedAt)]] : []),
  },
  {
    name: 'meridian_replication_lag_seconds',
    help: 'Age of the oldest snapshot the replica lacks (0 when it lacks none); absent before its first pass.',
    labelNames: ['replication', 'replica'],
    type: 'gauge',
    samples: (s) => readSets(s).flatMap((set) => set.replicas.flatMap((r) => (r.lagSeconds === null ? [] : [[{ replication: set.name, replica: r.name }, r.lagSeconds] as Sample]))),
  },
  {
    name: 'meridian_replication_behind_bytes',
    help: 'Bytes of the primary the replica lacks, as its set\'s workflow last measured or was told; absent while that workflow does not run or answer.',
    labelNames: ['replication', 'replica'],
    type: 'gauge',
    samples: (s) => readSets(s).flatMap((set) => set.replicas.map((r) => [{ replication: set.name, replica: r.name }, r.behind.bytes] as Sample)),
  },
  {
    name: 'meridian_replication_behind_snapshots',
    help: 'Snapshots of the primary the replica lacks.',
    labelNames: ['replication', 'replica'],
    type: 'gauge',
    samples: (s) => readSets(s).flatMap((set) => set.replicas.map((r) => [{ replication: set.name, replica: r.name }, r.behind.snapshots] as Sample)),
  },
  {
    name: 'meridian_failover_active_region',
    help: '1 for the active region of the failover entry, 0 for its other regions.',
    labelNames: ['failover', 'region'],
    type: 'gauge',
    samples: (s) =>
      Object.entries(s.failovers).flatMap(([name, f]) => [f.primaryRegion, ...f.secondaryRegions].map((region) => [{ failover: name, region }, region === f.activeRegion ? 1 : 0] as Sample)),
  },
  {
    name: 'meridian_failover_last_event_timestamp_seconds',
    help: 'Time of the newest event of each kind the failover monitor keeps (failover, failback, failover-blocked, …).',
    labelNames: ['failover', 'kind'],
    type: 'gauge',
    samples: (s) =>
      Object.entries(s.failovers).flatMap(([name, f]) => {
        const newest = new Map<string, number>();
        for (const event of f.events) newest.set(event.kind, Math.max(newest.get(event.kind) ?? 0, seconds(event.at)));
        return [...newest].map(([kind, at]) => [{ failover: name, kind }, at] as Sample);
      }),
  },
  {
    name: 'meridian_failover_events_total',
    help: 'Events the failover monitor has recorded since it first started.',
    labelNames: ['failover'],
    type: 'counter',
    samples: (s) => Object.entries(s.failovers).map(([name, f]) => [{ failover: name }, f.eventCount]),
  },
  {
    name: 'meridian_schedule_missed_runs_total',
    help: 'Runs of the Schedule that Temporal missed (outside its catchup window).',
    labelNames: ['schedule'],
    type: 'counter',
    samples: (s) => Object.entries(s.schedules).map(([name, c]) => [{ schedule: name }, c.missed]),
  },
  {
    name: 'meridian_schedule_skipped_runs_total',
    help: 'Runs of the Schedule skipped because the previous one was still running (overlap policy).',
    labelNames: ['schedule'],
    type: 'counter',
    samples: (s) => Object.entries(s.schedules).map(([name, c]) => [{ schedule: name }, c.skipped]),
  },
  {
    name: 'meridian_schedule_paused',
    help: '1 while the Schedule is paused, else 0.',
    labelNames: ['schedule'],
    type: 'gauge',
    samples: (s) => Object.entries(s.schedules).map(([name, c]) => [{ schedule: name }, c.paused ? 1 : 0]),
  },
  {
    name: 'meridian_schedule_next_run_timestamp_seconds',
    help: 'Time of the Schedule\'s next run; absent when none is coming.',
    labelNames: ['schedule'],
    type: 'gauge',
    samples: (s) => Object.entries(s.schedules).flatMap(([name, c]) => (c.nextRunAt === undefined ? [] : [[{ schedule: name }, c.nextRunAt / 1000] as Sample])),
  },
  {
    name: 'meridian_state_refresh_timestamp_seconds',
    help: 'Time this server last read each part of the cluster state (sla, failover, replication, schedules) from Temporal.',
    labelNames: ['part'],
    type: 'gauge',
    samples: (s) => STATE_PARTS.flatMap((part) => (s.refreshedAt[part] === undefined ? [] : [[{ part }, s.refreshedAt[part] / 1000] as Sample])),
  },
  {
    name: 'meridian_state_refresh_failures_total',
    help: 'Failed reads of each part of the cluster state from Temporal (the previous copy is kept).',
    labelNames: ['part'],
    type: 'counter',
    samples: (s) => STATE_PARTS.map((part) => [{ part }, s.failures[part]]),
  },
];

/** Registers the cluster families on `registry`, each filled from `state` when scraped (replacing earlier ones). */
export function registerClusterMetrics(registry: Registry, state: () => ClusterState, now: () => number = Date.now): void {
  for (const family of FAMILIES) {
    registry.removeSingleMetric(family.name);
    const config = { name: family.name, help: family.help, labelNames: family.labelNames, registers: [registry] };
    if (family.type === 'gauge') {
      new Gauge({
        ...config,
        collect() {
          this.reset();
          for (const [labels, value] of family.samples(state(), now())) this.set(labels, value);
        },
      });
    } else {
      new Counter({
        ...config,
        collect() {
          this.reset();
          for (const [labels, value] of family.samples(state(), now())) this.inc(labels, value);
        },
      });
    }
  }
}

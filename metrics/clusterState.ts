// The cluster state /metrics reports, kept in memory by `meridian server`: a background loop reads
// it from Temporal every 10 s (the sla-monitor's status query, each failover:<name> monitor's
// status query, each replica set's workflow, the Schedules of meridian.yaml) and a scrape only
// reads the last copy, so it never waits on Temporal or storage. Each part is refreshed on its
// own: an entry that is gone (its workflow does not run) is dropped; one that could not be read
// (Temporal unreachable, no worker answering) keeps its previous copy and counts a failure.

import { type Client, ScheduleNotFoundError } from '@temporalio/client';
import type { MeridianConfig } from '../config/schema.js';
import { ControlError } from '../control/errors.js';
import { failoverStatus } from '../control/failover.js';
import { sdkWorkflowCalls } from '../control/sdkWorkflowCalls.js';
import { slaView } from '../control/slas.js';
import { getReplicationStatus, type ReplicationStatus } from '../replication/status.js';
import { scheduleId } from '../schedules/names.js';
import type { FailoverState } from '../workflows/failoverDefs.js';
import type { SlaMonitorView } from '../workflows/slaDefs.js';

/** The parts refreshed on their own (a label of the refresh metrics). */
export const STATE_PARTS = ['sla', 'failover', 'replication', 'schedules'] as const;
export type StatePart = (typeof STATE_PARTS)[number];

export interface ScheduleCounters {
  paused: boolean;
  missed: number;
  skipped: number;
  /** Epoch ms of the next run, when one is coming. */
  nextRunAt?: number;
}

export interface ClusterState {
  /** The sla-monitor's view; undefined while it does not run. */
  sla?: SlaMonitorView;
  failovers: Record<string, FailoverState>;
  replication: ReplicationStatus[];
  schedules: Record<string, ScheduleCounters>;
  /** Epoch ms of each part's last successful refresh, and the failures counted so far. */
  refreshedAt: Partial<Record<StatePart, number>>;
  failures: Record<StatePart, number>;
}

/** How to read each part; the server reads Temporal, tests may pass stand-ins. */
export type StateReaders = Record<StatePart, (state: ClusterState) => Promise<void>>;

export const DEFAULT_REFRESH_MS = 10_000;

export function emptyClusterState(): ClusterState {
  return { failovers: {}, replication: [], schedules: {}, refreshedAt: {}, failures: { sla: 0, failover: 0, replication: 0, schedules: 0 } };
}

/** Readers of the parts from Temporal, for the entries of `config`. */
export function temporalReaders(client: Client, config: Pick<MeridianConfig, 'failover' | 'replication' | 'repositories' | 'schedules'>): StateReaders {
  const calls = sdkWorkflowCalls(client);
  return {
    async sla(state) {
      try {
        state.sla = await slaView(calls);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        delete state.sla; // the monitor does not run: its last state is no longer the truth
      }
    },
    async failover(state) {
      const names = Object.keys(config.failover);
      const read = await Promise.allSettled(names.map((name) => failoverStatus(calls, config, name)));
      const failed = read.flatMap((r) => (r.status === 'rejected' && !isNotFound(r.reason) ? [r.reason as unknown] : []));
      state.failovers = Object.fromEntries(
        names.flatMap((name, i) => {
          const r = read[i]!;
          const kept = r.status === 'fulfilled' ? r.value : isNotFound(r.reason) ? undefined : state.failovers[name];
          return kept ? [[name, kept]] : [];
        }),
      );
      if (failed.length > 0) throw failed[0];
    },
    async replication(state) {
      const read = await getReplicationStatus(calls, config);
      state.replication = read.map((set) => (set.unanswered === undefined ? set : (state.replication.find((previous) => previous.name === set.name) ?? set)));
      const unanswered = read.find((set) => set.unanswered !== undefined);
      if (unanswered) throw new Error(unanswered.unanswered);
    },
    async schedules(state) {
      const names = Object.keys(config.schedules);
      const described = await Promise.all(names.map((name) => describeCounters(client, name)));
      state.schedules = Object.fromEntries(names.flatMap((name, i) => (described[i] ? [[name, described[i]]] : [])));
    },
  };
}

const isNotFound = (err: unknown) => err instanceof ControlError && err.code === 'not-found';

async function describeCounters(client: Client, name: string): Promise<ScheduleCounters | undefined> {
  try {
    const { state, info } = await client.schedule.getHandle(scheduleId(name)).describe();
    const next = info.nextActionTimes[0];
    return { paused: state.paused, missed: info.numActionsMissedCatchupWindow, skipped: info.numActionsSkippedOverlap, ...(next ? { nextRunAt: next.getTime() } : {}) };
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined; // not applied yet
    throw err;
  }
}

/** The in-memory copy and the loop that refreshes it. */
export class ClusterStateCache {
  readonly state = emptyClusterState();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly readers: StateReaders,
    private readonly intervalMs = DEFAULT_REFRESH_MS,
  ) {}

  /** One refresh of every part (they run side by side; one failing leaves the others). */
  async refresh(): Promise<void> {
    await Promise.all(
      STATE_PARTS.map(async (part) => {
        try {
          await this.readers[part](this.state);
          this.state.refreshedAt[part] = Date.now();
        } catch {
          this.state.failures[part]++;
        }
      }),
    );
  }

  /** Refreshes now, then every interval (a refresh never overlaps the previous one). */
  start(): void {
    const tick = () => {
      this.running = this.refresh().finally(() => {
        if (this.running !== undefined) this.timer = setTimeout(tick, this.intervalMs).unref();
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    clearTimeout(this.timer);
    await running;
    clearTimeout(this.timer);
  }
}

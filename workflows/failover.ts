// The failover monitor of one `failover:` entry (`failover:<name>`): the only keeper of the set's
// active region. Every interval it checks all regions with one activity and acts on what
// workflows/failoverLogic.ts decides: fail over after failoverThreshold failed checks of the active
// region (or withhold it and wait for a person), re-sync a failed ex-active region that returns,
// catch up and fail back to the original primary (or report that it could). The failover and
// failback Updates move the active region by hand; one switch at a time. Failovers, failbacks and
// withheld failovers are raised as events to every channel that wants them. Continues as new with
// its state every INTERVALS_PER_RUN intervals, so its history stays bounded forever.

import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  makeContinueAsNewFunc,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { discoverRegionsOptions, failoverCheckOptions, FAILOVER_LOOKUP_OPTIONS, FAILOVER_START_LOOKUP_OPTIONS, FAILOVER_SWITCH_OPTIONS, GRACEFUL_SWITCH_OPTIONS, REGION_LAG_OPTIONS } from './activityOptions.js';
import { SEARCH_ATTRIBUTE_KEYS } from './catalog.js';
import {
  FAILOVER_DIGEST_MEMO,
  FailoverDescription,
  FailoverEvent,
  FailoverState,
  failoverStatusQuery,
  FailoverSwitch,
  failbackUpdate,
  failoverUpdate,
  FailoverWorkflowInput,
  PromoteResult,
  RegionHealth,
  RegionLag,
  reloadFailoverSignal,
  SwitchAccepted,
  SwitchInput,
} from './failoverDefs.js';
import {
  adoptDescription,
  adoptDiscovered,
  allRegions,
  checkManualFailback,
  chooseFailover,
  failbackDue,
  failoverDue,
  initialState,
  manualFailoverTarget,
  nextEventId,
  recordCheck,
  recordEvent,
  recordSwitch,
  resyncDue,
  summary,
} from './failoverLogic.js';
import type { EventKind } from './eventDefs.js';
import { BackgroundEvents, raisesEvents } from './notifications.js';
import { innermostMessage } from './operations.js';
import { replicateSignal, replicationWorkflowId } from './replicationDefs.js';

const { describeFailover } = proxyLocalActivities<Activities>(FAILOVER_LOOKUP_OPTIONS);
const firstDescribe = proxyLocalActivities<Activities>(FAILOVER_START_LOOKUP_OPTIONS).describeFailover;
const { regionLags } = proxyActivities<Activities>(REGION_LAG_OPTIONS);
const { promoteRegion, resyncRegion, catchUpRegion } = proxyActivities<Activities>(FAILOVER_SWITCH_OPTIONS);
const { switchRegion } = proxyActivities<Activities>(GRACEFUL_SWITCH_OPTIONS);

/** Monitors started before a fresh one discovered its active region assumed the primary. */
const DISCOVER_REGIONS_PATCH = 'failover-discover-regions';
/**
 * The same change, asked before the first lookup. Asked after it (DISCOVER_REGIONS_PATCH), the
 * marker can land in the workflow task after the lookup's, and a replay, which resolves the lookup
 * in the first task, then asks before the marker is known and fails as nondeterministic (seen when a
 * query split the first task). Histories recorded with that marker keep replaying through it.
 */
const DISCOVER_REGIONS_AT_START_PATCH = 'failover-discover-regions-at-start';
/** Patch id of raising the failover-blocked that discovery records (several writable regions). */
const DISCOVERED_BLOCK_EVENT_PATCH = 'failover-discovered-block-event';

/** Check intervals per run before continuing as new (with the state), unless Temporal suggests it sooner. */
export const INTERVALS_PER_RUN = 200;

export async function failoverMonitorWorkflow(input: FailoverWorkflowInput): Promise<void> {
  // Answers at once (the worker's active-region lookup retries on this) until the state exists.
  setHandler(failoverStatusQuery, () => {
    throw new Error(`failover monitor ${input.name} is starting: its entry is not read yet`);
  });
  // Started fresh (not continued as new): the active region is whichever member is writable.
  const discoverAtStart = input.carried === undefined && patched(DISCOVER_REGIONS_AT_START_PATCH);
  const monitor = new Monitor(input.name, await firstDescribe({ name: input.name }), input.carried);
  if (discoverAtStart || (input.carried === undefined && patched(DISCOVER_REGIONS_PATCH))) await monitor.discover();
  await monitor.run();
}

class Monitor {
  private readonly state: FailoverState;
  private checkRegions: Activities['checkRegions'];
  private reload = false;
  /** A re-sync or catch-up of the loop is running: a manual switch waits for it. */
  private busy = false;
  /** Notifications of failover, failback and failover-blocked, delivered while the loop goes on. */
  private readonly raised = new BackgroundEvents();

  constructor(
    private readonly name: string,
    private described: FailoverDescription,
    carried: FailoverState | undefined,
  ) {
    this.state = carried ?? initialState(described);
    this.state.token ??= workflowInfo().firstExecutionRunId;
    this.checkRegions = this.adopt(described);
    setHandler(failoverStatusQuery, () => this.state);
    setHandler(reloadFailoverSignal, (request) => {
      this.reload = true;
      if (request?.digest !== undefined) upsertMemo({ [FAILOVER_DIGEST_MEMO]: request.digest });
    });
    setHandler(failoverUpdate, (request) => this.manualFailover(manualFailoverTarget(this.state, request), request.reason, request.by), {
      validator: (request) => {
        manualFailoverTarget(this.state, request);
      },
    });
    setHandler(failbackUpdate, (request) => this.manualFailback(request.reason, request.by), {
      validator: (_request) => checkManualFailback(this.state),
    });
  }

  async run(): Promise<void> {
    for (let intervals = 0; ; intervals += 1) {
      if (intervals >= INTERVALS_PER_RUN || workflowInfo().continueAsNewSuggested) {
        await condition(allHandlersFinished);
        await this.raised.settled();
        // The memo (apply's marks and digest) goes with the state.
        await makeContinueAsNewFunc<typeof failoverMonitorWorkflow>({ memo: workflowInfo().memo ?? {} })({ name: this.name, carried: this.state });
      }
      const started = Date.now();
      if (this.reload) {
        this.reload = false;
        await this.rereadEntry();
      }
      await this.interval();
      setCurrentDetails(summary(this.state));
      // A check slower than the interval is followed by the next at once.
      const wait = started + this.described.intervalMs - Date.now();
      if (wait > 0) await condition(() => this.reload, wait);
    }
  }

  /** Which members are writable now; unknown (the activity failed): the configured primary, as before. */
  async discover(): Promise<void> {
    try {
      const found = await proxyActivities<Activities>(discoverRegionsOptions(this.described.probeTimeoutMs)).discoverRegions({ name: this.name });
      const blocked = adoptDiscovered(this.state, found, new Date().toISOString());
      if (blocked !== undefined && patched(DISCOVERED_BLOCK_EVENT_PATCH)) this.raise(blocked);
    } catch (err) {
      if (isCancellation(err)) throw err;
      setCurrentDetails(`${summary(this.state)}; which regions are writable is unknown (${innermostMessage(err)}): ${this.state.activeRegion} assumed active`);
    }
  }

  /** A reload: the entry read again; one that cannot be read leaves the last one in force. */
  private async rereadEntry(): Promise<void> {
    let described: FailoverDescription;
    try {
      described = await describeFailover({ name: this.name });
    } catch (err) {
      if (isCancellation(err)) throw err;
      setCurrentDetails(`${summary(this.state)}; reload failed, the entry as read before stays: ${innermostMessage(err)}`);
      return;
    }
    this.checkRegions = this.adopt(described);
  }

  /** Takes the entry as described now; returns the check activity with its probe timeout. */
  private adopt(described: FailoverDescription): Activities['checkRegions'] {
    this.described = described;
    adoptDescription(this.state, described);
    upsertSearchAttributes([
      { key: SEARCH_ATTRIBUTE_KEYS.operation, value: 'failover' },
      { key: SEARCH_ATTRIBUTE_KEYS.repository, value: described.replication },
    ]);
    upsertMemo({ operation: 'failover', repository: described.replication, subject: this.name, summary: `failover monitor ${this.name} of set ${described.replication}` });
    setCurrentDetails(summary(this.state));
    return proxyActivities<Activities>(failoverCheckOptions(described.probeTimeoutMs)).checkRegions;
  }

  /** One check of every region, then what it calls for. */
  private async interval(): Promise<void> {
    const { state, described } = this;
    let health: RegionHealth[];
    try {
      health = await this.checkRegions({ name: this.name, regions: allRegions(described) });
    } catch (err) {
      if (isCancellation(err)) throw err;
      // Not a verdict on any region: this interval counts neither way.
      setCurrentDetails(`${summary(state)}; check failed: ${innermostMessage(err)}`);
      return;
    }
    recordCheck(state, health);

    if (failoverDue(state, described)) await this.automaticFailover();
    for (const region of resyncDue(state)) {
      if (state.switching !== undefined || !state.needsResync.includes(region)) break;
      await this.whileBusy(() => this.resync(region));
    }
    const failback = failbackDue(state, described);
    if (failback === 'report') {
      state.failbackPossible = true;
      this.event({ kind: 'failback-possible', from: state.activeRegion, to: state.primaryRegion, trigger: 'automatic', reason: `${state.primaryRegion} healthy ${state.primaryHealthyStreak} checks in a row and re-synced; autoFailback is off` });
    } else if (failback === 'catch-up') {
      await this.automaticFailback();
    }
  }

  private async automaticFailover(): Promise<void> {
    const { state, described } = this;
    let lags: RegionLag[] | undefined;
    try {
      lags = await regionLags({ name: this.name });
    } catch (err) {
      if (isCancellation(err)) throw err;
    }
    if (state.switching !== undefined) return;
    const choice = chooseFailover(state, described, lags);
    if (choice.kind === 'blocked') {
      const event = this.event({ kind: 'failover-blocked', from: state.activeRegion, to: choice.to, trigger: 'automatic', reason: choice.reason, ...(choice.lagSeconds !== undefined ? { lagSeconds: choice.lagSeconds } : {}) });
      state.awaitingDecision = { reason: choice.reason, since: event.at, eventId: event.id };
      return;
    }
    const reason = `${state.activeRegion} failed ${state.consecutiveFailures} checks in a row: ${state.regions[state.activeRegion]?.reason ?? 'unhealthy'}`;
    await this.switch('failover', choice.to, true, { trigger: 'automatic', reason, failedChecks: choice.failedChecks, ...(choice.lagSeconds !== undefined ? { lagSeconds: choice.lagSeconds } : {}) }).catch(ignoreSwitchFailure);
  }

  /** One catch-up pass of the original primary; when nothing is behind, the graceful switch back. */
  private async automaticFailback(): Promise<void> {
    const { state } = this;
    const active = state.activeRegion;
    const result = await this.whileBusy(() => catchUpRegion({ name: this.name, region: state.primaryRegion, active })).catch((err: unknown) => {
      if (isCancellation(err)) throw err;
      return undefined;
    });
    if (!result?.caughtUp || state.switching !== undefined || state.activeRegion !== active) return;
    const reason = `${state.primaryRegion} healthy ${state.primaryHealthyStreak} checks in a row and caught up with ${active}`;
    await this.switch('failback', state.primaryRegion, false, { trigger: 'automatic', reason }).catch(ignoreSwitchFailure);
  }

  private async resync(region: string): Promise<void> {
    const { state } = this;
    const active = state.activeRegion;
    try {
      await resyncRegion({ name: this.name, region, active });
    } catch (err) {
      if (isCancellation(err)) throw err;
      setCurrentDetails(`${summary(state)}; re-sync of ${region} failed: ${innermostMessage(err)}`);
      return;
    }
    state.needsResync = state.needsResync.filter((name) => name !== region);
    this.event({ kind: 'resynced', from: region, to: active, trigger: 'automatic', reason: `${region} is back: its newer snapshots were copied to ${active} and it is now a replica of it` });
  }

  private async manualFailover(to: string, reason: string | undefined, by: string | undefined): Promise<SwitchAccepted> {
    const forced = this.state.regions[this.state.activeRegion]?.healthy !== true;
    return this.switch('failover', to, forced, { trigger: 'manual', reason: reason ?? `manual failover to ${to}`, ...(by !== undefined ? { by } : {}) });
  }

  private async manualFailback(reason: string | undefined, by: string | undefined): Promise<SwitchAccepted> {
    const forced = this.state.regions[this.state.activeRegion]?.healthy !== true;
    return this.switch('failback', this.state.primaryRegion, forced, { trigger: 'manual', reason: reason ?? `manual failback to ${this.state.primaryRegion}`, ...(by !== undefined ? { by } : {}) });
  }

  /**
   * Moves the active region to `to`: forced (promote `to` only; the old one is re-synced when it
   * returns) or graceful (the old one made a replica after a final pass). A target still to be
   * re-synced is re-synced first. Records the event and asks the set's replication for a pass; a
   * failure records 'switch-failed' and throws.
   */
  private async switch(kind: FailoverSwitch['kind'], to: string, forced: boolean, requested: Pick<FailoverEvent, 'trigger' | 'reason' | 'by' | 'failedChecks' | 'lagSeconds'>): Promise<SwitchAccepted> {
    const { state } = this;
    const from = state.activeRegion;
    const eventId = nextEventId(state);
    let details = requested;
    /** Members a forced promotion could not merge from: they are re-synced before they are replicas again. */
    let unmerged: string[] = [];
    state.switching = { kind, from, to, since: new Date().toISOString(), eventId, trigger: details.trigger };
    try {
      await condition(() => !this.busy);
      if (state.needsResync.includes(to)) await this.resync(to);
      if (state.needsResync.includes(to)) throw new Error(`${to} could not be re-synced first`);
      const input: SwitchInput = { name: this.name, from, to, eventId };
      if (forced) {
        ({ unmerged } = await promoteRegion(input));
      } else {
        const fellBack = await this.gracefulSwitch(input);
        if (fellBack !== undefined) {
          forced = true;
          unmerged = fellBack.promoted.unmerged;
          details = { ...details, reason: `${details.reason}; ${fellBack.why}` };
        }
      }
    } catch (err) {
      if (isCancellation(err)) throw err;
      const message = `${kind} from ${from} to ${to} failed: ${innermostMessage(err)}`;
      this.event({ id: eventId, kind: 'switch-failed', from, to, trigger: details.trigger, reason: message, ...(details.by !== undefined ? { by: details.by } : {}) });
      throw ApplicationFailure.create({ type: 'switch-failed', nonRetryable: true, message });
    } finally {
      delete state.switching;
    }
    recordSwitch(state, { kind, from, to, forced, trigger: details.trigger, unmerged });
    this.event({ id: eventId, kind, from, to, ...details });
    setCurrentDetails(summary(state));
    await getExternalWorkflowHandle(replicationWorkflowId(state.replication))
      .signal(replicateSignal, { reason: 'manual' })
      .catch(() => undefined);
    return { eventId, from, to };
  }

  /**
   * switchRegion, and when it fails: a forced promotion of `to` if `from` is unhealthy now (returns
   * it and why), else `from` made writable again (core undoes its demotion too; this covers a worker
   * lost in between: never no writable member) and the failure thrown.
   */
  private async gracefulSwitch(input: SwitchInput): Promise<{ promoted: PromoteResult; why: string } | undefined> {
    try {
      await switchRegion(input);
      return undefined;
    } catch (err) {
      if (isCancellation(err)) throw err;
      const why = innermostMessage(err);
      if (await this.unhealthyNow(input.from)) {
        const promoted = await promoteRegion(input).catch((forcedErr: unknown) => {
          if (isCancellation(forcedErr)) throw forcedErr;
          return undefined;
        });
        if (promoted !== undefined) return { promoted, why: `the graceful switch failed (${why}) and ${input.from} is unhealthy now: ${input.to} promoted without it` };
      }
      try {
        await promoteRegion({ ...input, from: input.to, to: input.from });
      } catch (restoreErr) {
        if (isCancellation(restoreErr)) throw restoreErr;
        throw new Error(`${why}; ${input.from} could not be made writable again: ${innermostMessage(restoreErr)}`);
      }
      throw err;
    }
  }

  /** One check of `region` now: true only when it answers unhealthy (a check that fails is no verdict). */
  private async unhealthyNow(region: string): Promise<boolean> {
    try {
      const [health] = await this.checkRegions({ name: this.name, regions: [region] });
      if (health !== undefined) this.state.regions[region] = health;
      return health?.healthy === false;
    } catch (err) {
      if (isCancellation(err)) throw err;
      return false;
    }
  }

  private event(event: Omit<FailoverEvent, 'id' | 'at'> & { id?: string }): FailoverEvent {
    const recorded = recordEvent(this.state, { ...event, id: event.id ?? nextEventId(this.state), at: new Date().toISOString() });
    this.raise(recorded);
    return recorded;
  }

  /** Tells operators of a recorded event of a kind they are told of. */
  private raise(recorded: FailoverEvent): void {
    const kind = NOTIFIED_KINDS[recorded.kind];
    if (kind && raisesEvents()) {
      const { from, to, trigger, by, lagSeconds, reason } = recorded;
      this.raised.raise({
        id: `failover:${this.name}:${recorded.id}`,
        kind,
        time: recorded.at,
        subject: this.name,
        summary: `failover ${this.name}: ${kind} from ${from} to ${to} (${trigger}${by !== undefined ? ` by ${by}` : ''}): ${reason}`,
        details: { from, to, trigger, ...(by !== undefined ? { by } : {}), ...(lagSeconds !== undefined ? { lagSeconds } : {}) },
      });
    }
  }

  private async whileBusy<T>(body: () => Promise<T>): Promise<T> {
    this.busy = true;
    try {
      return await body();
    } finally {
      this.busy = false;
    }
  }
}

/** The monitor's events that operators are told of, as event kinds (re-syncs and failed switches show in its status only). */
const NOTIFIED_KINDS: Partial<Record<FailoverEvent['kind'], EventKind>> = { failover: 'failover', failback: 'failback', 'failover-blocked': 'failover-blocked' };

/** An automatic switch that failed is recorded as 'switch-failed'; the next interval decides again. */
function ignoreSwitchFailure(err: unknown): undefined {
  if (isCancellation(err)) throw err;
  return undefined;
}

// The failover monitor's decisions, as pure functions of its state, its configuration and the
// latest check: the streaks a check moves, which region an automatic failover picks (or why it is
// withheld), what else this interval does (re-sync a returned region, catch up and fail back, or
// report that failback is possible), the manual Updates' validation, and the event log. No
// Temporal calls: workflows/failover.ts runs the activities these name; unit tests prove the rules.

import { DiscoveredRegions, FAILOVER_EVENTS_KEPT, FailoverDescription, FailoverEvent, FailoverState, ManualFailoverRequest, ProbeResult, RegionHealth, RegionLag } from './failoverDefs.js';

/** A fresh monitor: the configured primary is active, nothing checked yet. */
export function initialState(d: FailoverDescription): FailoverState {
  return {
    name: d.name,
    replication: d.replication,
    primaryRegion: d.primaryRegion,
    secondaryRegions: d.secondaryRegions,
    activeRegion: d.primaryRegion,
    consecutiveFailures: 0,
    primaryHealthyStreak: 0,
    needsResync: [],
    failbackPossible: false,
    regions: {},
    checks: 0,
    events: [],
    eventCount: 0,
  };
}

/**
 * A fresh monitor's active region from which members are writable (no replica-state doc): the only
 * writable one; with several, the primary when it is among them (else the first in order) and a
 * person must decide, recorded as a 'failover-blocked' event (returned); none (replicas or unreachable): the
 * primary. Replicas never re-synced are left alone (no region is marked to re-sync).
 */
export function adoptDiscovered(state: FailoverState, found: DiscoveredRegions, at: string): FailoverEvent | undefined {
  const writable = allRegions(state).filter((region) => found.writable.includes(region));
  if (writable.length === 0) return undefined;
  state.activeRegion = writable.includes(state.primaryRegion) ? state.primaryRegion : writable[0]!;
  if (writable.length === 1) return undefined;
  const reason = `several regions are writable: ${writable.join(', ')}; ${state.activeRegion} stays active until a person fails over (the others may hold snapshots it lacks)`;
  const event = recordEvent(state, { id: nextEventId(state), kind: 'failover-blocked', at, from: state.activeRegion, to: writable.find((region) => region !== state.activeRegion)!, trigger: 'automatic', reason });
  state.awaitingDecision = { reason, since: at, eventId: event.id, writable };
  return event;
}

/** The entry as configured now (a reload): the active region and the streaks stay. */
export function adoptDescription(state: FailoverState, d: FailoverDescription): void {
  state.replication = d.replication;
  state.primaryRegion = d.primaryRegion;
  state.secondaryRegions = d.secondaryRegions;
  const known = new Set(allRegions(d));
  state.needsResync = state.needsResync.filter((region) => known.has(region));
  for (const region of Object.keys(state.regions)) if (!known.has(region)) delete state.regions[region];
}

/** Every region of the entry: the primary, then the secondaries in order. */
export function allRegions(d: Pick<FailoverDescription, 'primaryRegion' | 'secondaryRegions'>): string[] {
  return [d.primaryRegion, ...d.secondaryRegions.filter((region) => region !== d.primaryRegion)];
}

/** One check of every region: the latest results kept, the active region's failure streak and the primary's healthy streak moved. */
export function recordCheck(state: FailoverState, health: RegionHealth[]): void {
  state.checks += 1;
  for (const result of health) state.regions[result.region] = result;
  const active = state.regions[state.activeRegion];
  if (active?.healthy) {
    state.consecutiveFailures = 0;
    // The incident is over: a later one may be withheld (and reported) again.
    if (state.awaitingDecision?.writable === undefined) delete state.awaitingDecision;
  } else {
    state.consecutiveFailures += 1;
  }
  const primary = state.regions[state.primaryRegion];
  if (state.activeRegion !== state.primaryRegion && primary?.healthy) {
    state.primaryHealthyStreak += 1;
  } else {
    state.primaryHealthyStreak = 0;
    state.failbackPossible = false;
  }
}

/**
 * Whether this interval should consider an automatic failover (and so read the secondaries' lag).
 * With autoFailover off too: chooseFailover then withholds it, so a person learns of it once.
 */
export function failoverDue(state: FailoverState, d: FailoverDescription): boolean {
  const withheld = state.awaitingDecision !== undefined && state.awaitingDecision.writable === undefined;
  return state.switching === undefined && !withheld && state.consecutiveFailures >= d.failoverThreshold;
}

export type FailoverChoice =
  | { kind: 'failover'; to: string; lagSeconds?: number; failedChecks: ProbeResult[] }
  /** `to`: the region it would have chosen (the first healthy one refused for its lag, else the first in order). */
  | { kind: 'blocked'; to: string; reason: string; lagSeconds?: number };

/**
 * Where an automatic failover goes: the first region in order (the primary, then the secondaries;
 * never the active one or one still to re-sync) that is healthy at this check and, when
 * maxLagOnFailoverSeconds is set, known to lag at most that much (unknown lag counts as too much).
 * With autoFailover off it is withheld, naming the region it would have chosen.
 */
export function chooseFailover(state: FailoverState, d: FailoverDescription, lags: RegionLag[] | undefined): FailoverChoice {
  const choice = chooseRegion(state, d, lags);
  if (d.autoFailover || choice.kind === 'blocked') return choice;
  const reason = `${state.activeRegion} failed ${state.consecutiveFailures} checks in a row; autoFailover is off: fail over by hand (${choice.to} is ready)`;
  return { kind: 'blocked', to: choice.to, reason, ...(choice.lagSeconds !== undefined ? { lagSeconds: choice.lagSeconds } : {}) };
}

function chooseRegion(state: FailoverState, d: FailoverDescription, lags: RegionLag[] | undefined): FailoverChoice {
  const failedChecks = (state.regions[state.activeRegion]?.probes ?? []).filter((probe) => !probe.healthy);
  const candidates = failoverCandidates(state, d);
  const refusals: string[] = [];
  let lagging: { region: string; lag: number | null } | undefined;
  for (const region of candidates) {
    const health = state.regions[region];
    if (!health?.healthy) {
      refusals.push(`${region} unhealthy${health?.reason ? ` (${health.reason})` : ''}`);
      continue;
    }
    const lag = lags?.find((entry) => entry.region === region)?.lagSeconds ?? null;
    if (d.maxLagOnFailoverSeconds !== undefined && (lag === null || lag > d.maxLagOnFailoverSeconds)) {
      refusals.push(lag === null ? `${region} lag unknown` : `${region} lags ${lag}s > ${d.maxLagOnFailoverSeconds}s`);
      lagging ??= { region, lag };
      continue;
    }
    return { kind: 'failover', to: region, ...(lag !== null ? { lagSeconds: lag } : {}), failedChecks };
  }
  const reason = `${state.activeRegion} failed ${state.consecutiveFailures} checks in a row; no region to fail over to: ${refusals.join(', ') || 'none configured'}`;
  const to = lagging?.region ?? candidates[0] ?? state.activeRegion;
  return { kind: 'blocked', to, reason, ...(lagging?.lag != null ? { lagSeconds: lagging.lag } : {}) };
}

function failoverCandidates(state: FailoverState, d: FailoverDescription): string[] {
  return allRegions(d).filter((region) => region !== state.activeRegion && !state.needsResync.includes(region));
}

/** Regions waiting to be re-synced that are healthy at this check. */
export function resyncDue(state: FailoverState): string[] {
  return state.switching === undefined ? state.needsResync.filter((region) => state.regions[region]?.healthy === true) : [];
}

/**
 * What the original primary's return calls for this interval: nothing; a catch-up pass toward a
 * failback (autoFailback); or a one-time 'failback-possible' report.
 */
export function failbackDue(state: FailoverState, d: FailoverDescription): 'catch-up' | 'report' | undefined {
  if (state.switching !== undefined || state.activeRegion === state.primaryRegion) return undefined;
  if (state.needsResync.includes(state.primaryRegion) || state.primaryHealthyStreak < d.failbackThreshold) return undefined;
  // A graceful switch locks the active region: it must answer.
  if (!state.regions[state.activeRegion]?.healthy) return undefined;
  if (d.autoFailback && state.failbackByHand !== true) return 'catch-up';
  return state.failbackPossible ? undefined : 'report';
}

/**
 * The state after a switch to `to` succeeded: forced leaves `from`, and the members the promotion
 * could not merge from (`unmerged`), to re-sync when they return; a manual graceful failover (an
 * evacuation of a healthy region) is failed back by hand only.
 */
export function recordSwitch(state: FailoverState, done: { kind: 'failover' | 'failback'; from: string; to: string; forced: boolean; trigger: 'automatic' | 'manual'; unmerged?: string[] }): void {
  state.activeRegion = done.to;
  const stale = done.forced ? [done.from, ...(done.unmerged ?? [])] : [];
  for (const region of stale) if (region !== done.to && !state.needsResync.includes(region)) state.needsResync.push(region);
  state.consecutiveFailures = 0;
  state.primaryHealthyStreak = 0;
  state.failbackPossible = false;
  state.failbackByHand = done.kind === 'failover' && done.trigger === 'manual' && !done.forced;
  delete state.awaitingDecision;
}

/** The next event id (`<name>-<monitor token>-<seq>`), counted for good: unique across monitors of the same name. */
export function nextEventId(state: FailoverState): string {
  state.eventCount += 1;
  return `${state.name}-${state.token !== undefined ? `${state.token}-` : ''}${state.eventCount}`;
}

/** Appends an event, keeping the most recent FAILOVER_EVENTS_KEPT. */
export function recordEvent(state: FailoverState, event: FailoverEvent): FailoverEvent {
  state.events.push(event);
  if (state.events.length > FAILOVER_EVENTS_KEPT) state.events.splice(0, state.events.length - FAILOVER_EVENTS_KEPT);
  return event;
}

/** A manual failover's target, or the one-line reason it is refused (the Update's validator). */
export function manualFailoverTarget(state: FailoverState, request: ManualFailoverRequest): string {
  if (state.switching !== undefined) throw new Error(`a ${state.switching.kind} from ${state.switching.from} to ${state.switching.to} is in progress`);
  const regions = allRegions(state);
  if (request.to === undefined) {
    const to = regions.find((region) => region !== state.activeRegion && state.regions[region]?.healthy === true);
    if (to === undefined) throw new Error(`no healthy region to fail over to from ${state.activeRegion}`);
    return to;
  }
  const to = request.to;
  if (!regions.includes(to)) throw new Error(`"${to}" is not a region of failover ${state.name} (its regions: ${regions.join(', ')})`);
  if (to === state.activeRegion) throw new Error(`${to} is already the active region of failover ${state.name}`);
  checkedHealthy(state, to);
  return to;
}

/** Refuses a manual failback (the Update's validator) with a one-line reason. */
export function checkManualFailback(state: FailoverState): void {
  if (state.switching !== undefined) throw new Error(`a ${state.switching.kind} from ${state.switching.from} to ${state.switching.to} is in progress`);
  if (state.activeRegion === state.primaryRegion) throw new Error(`${state.primaryRegion} is already the active region of failover ${state.name}`);
  checkedHealthy(state, state.primaryRegion);
}

function checkedHealthy(state: FailoverState, region: string): void {
  const health = state.regions[region];
  if (health === undefined) throw new Error(`${region} has not been checked yet`);
  if (!health.healthy) throw new Error(`${region} is unhealthy at its last check: ${health.reason ?? 'unknown reason'}`);
}

/** The monitor's one-line summary (Temporal UI's current details). */
export function summary(state: FailoverState): string {
  const regions = allRegions(state)
    .map((region) => {
      const health = state.regions[region];
      return `${region} ${health === undefined ? 'unchecked' : health.healthy ? 'healthy' : 'unhealthy'}`;
    })
    .join(', ');
  const notes = [
    state.switching ? `${state.switching.kind} to ${state.switching.to} in progress` : undefined,
    state.awaitingDecision ? 'automatic failover withheld: awaiting a decision' : undefined,
    state.needsResync.length > 0 ? `to re-sync: ${state.needsResync.join(', ')}` : undefined,
    state.failbackPossible ? `failback to ${state.primaryRegion} possible` : undefined,
  ].filter((note) => note !== undefined);
  return `failover ${state.name} (set ${state.replication}): active ${state.activeRegion}; ${regions}; check ${state.checks}${notes.length > 0 ? `; ${notes.join('; ')}` : ''}`;
}

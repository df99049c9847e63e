// The failover monitor's rules without Temporal (workflows/failoverLogic.ts): streaks and the
// failover threshold, a flapping primary that never moves anything, the choice of a secondary in
// order with the lag limit (unknown lag counts as too much), re-sync and failback decisions, the
// manual Updates' validation, and the bounded event log.

import { FAILOVER_EVENTS_KEPT, FailoverDescription, FailoverState, RegionHealth } from '../../workflows/failoverDefs';
import {
  adoptDescription,
  adoptDiscovered,
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
} from '../../workflows/failoverLogic';

const description = (overrides: Partial<FailoverDescription> = {}): FailoverDescription => ({
  name: 'gis',
  replication: 'gis-set',
  primaryRegion: 'eu',
  secondaryRegions: ['us', 'ap'],
  autoFailover: true,
  autoFailback: false,
  intervalMs: 1000,
  failoverThreshold: 3,
  failbackThreshold: 5,
  probeTimeoutMs: 10_000,
  members: { eu: 'gis-eu', us: 'gis-us', ap: 'gis-ap' },
  ...overrides,
});

/** One check's results: every region healthy except those named down. */
function check(down: string[] = []): RegionHealth[] {
  return ['eu', 'us', 'ap'].map((region) => {
    const healthy = !down.includes(region);
    const reason = healthy ? undefined : `storage gis-${region}: connection refused`;
    return {
      region,
      healthy,
      ...(reason ? { reason } : {}),
      probes: [{ kind: 'storage' as const, target: `gis-${region}`, healthy, latencyMs: 5, ...(reason ? { reason } : {}) }],
      at: '2026-11-30T12:00:00Z',
    };
  });
}

function checked(d: FailoverDescription, ...rounds: string[][]): FailoverState {
  const state = initialState(d);
  for (const down of rounds) recordCheck(state, check(down));
  return state;
}

describe('a monitor started fresh', () => {
  const started = (writable: string[], unreachable: string[] = []) => {
    const state = initialState(description());
    adoptDiscovered(state, { writable, replicas: ['eu', 'us', 'ap'].filter((r) => !writable.includes(r) && !unreachable.includes(r)), unreachable }, 'now');
    return state;
  };

  it('takes the only writable region as active, the primary unreachable or not, and marks nothing to re-sync', () => {
    expect(started(['us'], ['eu'])).toMatchObject({ activeRegion: 'us', needsResync: [], events: [] });
    expect(started(['ap'])).toMatchObject({ activeRegion: 'ap', needsResync: [], events: [] });
    expect(started(['eu'])).toMatchObject({ activeRegion: 'eu', events: [] });
    expect(started([], ['eu'])).toMatchObject({ activeRegion: 'eu', events: [] });
  });

  it('with several writable keeps the primary only if it is one of them, and waits for a person until a switch', () => {
    const both = started(['us', 'eu']);
    const reason = 'several regions are writable: eu, us; eu stays active until a person fails over (the others may hold snapshots it lacks)';
    expect(both).toMatchObject({ activeRegion: 'eu', awaitingDecision: { reason, writable: ['eu', 'us'], eventId: 'gis-1' } });
    expect(both.events).toEqual([expect.objectContaining({ kind: 'failover-blocked', from: 'eu', to: 'us', reason })]);
    // Healthy checks do not end it; automatic failover still protects the active region.
    recordCheck(both, check([]));
    expect(both.awaitingDecision?.reason).toBe(reason);
    recordCheck(both, check(['eu']));
    recordCheck(both, check(['eu']));
    recordCheck(both, check(['eu']));
    expect(failoverDue(both, description())).toBe(true);
    recordSwitch(both, { kind: 'failover', from: 'eu', to: 'us', forced: false, trigger: 'manual' });
    expect(both.awaitingDecision).toBeUndefined();
    expect(started(['us', 'ap'])).toMatchObject({ activeRegion: 'us', awaitingDecision: { writable: ['us', 'ap'] } });
  });
});

describe('streaks and the failover threshold', () => {
  it('fails over after failoverThreshold failed checks in a row, not before', () => {
    const d = description();
    const state = checked(d, ['eu'], ['eu']);
    expect(state.consecutiveFailures).toBe(2);
    expect(failoverDue(state, d)).toBe(false);
    recordCheck(state, check(['eu']));
    expect(failoverDue(state, d)).toBe(true);
    expect(chooseFailover(state, d, undefined)).toMatchObject({ kind: 'failover', to: 'us', failedChecks: [{ target: 'gis-eu', healthy: false }] });
  });

  it('never fails over a primary that alternates between down and up for 20 intervals', () => {
    const d = description({ failoverThreshold: 2 });
    const state = initialState(d);
    for (let i = 0; i < 20; i++) {
      recordCheck(state, check(i % 2 === 0 ? ['eu'] : []));
      expect(failoverDue(state, d)).toBe(false);
    }
    expect(state.checks).toBe(20);
  });

  it('withholds the failover when autoFailover is off: once per incident, naming the region it would choose', () => {
    const off = description({ autoFailover: false });
    const state = checked(off, ['eu'], ['eu'], ['eu']);
    expect(failoverDue(state, off)).toBe(true);
    expect(chooseFailover(state, off, undefined)).toEqual({ kind: 'blocked', to: 'us', reason: 'eu failed 3 checks in a row; autoFailover is off: fail over by hand (us is ready)' });
    // Nothing healthy to go to: the usual reason.
    expect(chooseFailover(checked(off, ['eu', 'us', 'ap']), off, undefined)).toMatchObject({ kind: 'blocked', reason: expect.stringContaining('no region to fail over to') });
  });

  it('does nothing on its own while a switch runs, or once withheld', () => {
    const d = description();
    const switching = checked(d, ['eu'], ['eu'], ['eu']);
    switching.switching = { kind: 'failover', from: 'eu', to: 'us', since: 'now', eventId: 'gis-1', trigger: 'manual' };
    expect(failoverDue(switching, d)).toBe(false);
    const withheld = checked(d, ['eu'], ['eu'], ['eu']);
    withheld.awaitingDecision = { reason: 'lag', since: 'now', eventId: 'gis-1' };
    recordCheck(withheld, check(['eu']));
    expect(failoverDue(withheld, d)).toBe(false);
    // The active region answering again ends the incident.
    recordCheck(withheld, check([]));
    expect(withheld.awaitingDecision).toBeUndefined();
  });
});

describe('choosing where to fail over', () => {
  it('takes the first healthy region in order, skipping an unhealthy one and one still to re-sync', () => {
    const d = description();
    expect(chooseFailover(checked(d, ['eu', 'us']), d, undefined)).toMatchObject({ kind: 'failover', to: 'ap' });
    const state = checked(d, ['eu']);
    state.needsResync = ['us'];
    expect(chooseFailover(state, d, undefined)).toMatchObject({ kind: 'failover', to: 'ap' });
  });

  it('withholds the failover when every candidate lags more than maxLagOnFailoverSeconds or its lag is unknown', () => {
    const d = description({ maxLagOnFailoverSeconds: 60 });
    const state = checked(d, ['eu'], ['eu'], ['eu']);
    const blocked = chooseFailover(state, d, [
      { region: 'us', lagSeconds: 600 },
      { region: 'ap', lagSeconds: null },
    ]);
    expect(blocked).toEqual({ kind: 'blocked', to: 'us', lagSeconds: 600, reason: 'eu failed 3 checks in a row; no region to fail over to: us lags 600s > 60s, ap lag unknown' });
    expect(chooseFailover(state, d, [{ region: 'us', lagSeconds: 600 }, { region: 'ap', lagSeconds: 30 }])).toMatchObject({ kind: 'failover', to: 'ap', lagSeconds: 30 });
    expect(chooseFailover(state, d, undefined)).toMatchObject({ kind: 'blocked', to: 'us' });
  });

  it('ignores the lag without a limit, and is blocked when nothing is healthy', () => {
    const d = description();
    expect(chooseFailover(checked(d, ['eu']), d, [{ region: 'us', lagSeconds: 99_999 }])).toMatchObject({ kind: 'failover', to: 'us', lagSeconds: 99_999 });
    expect(chooseFailover(checked(d, ['eu', 'us', 'ap']), d, undefined)).toMatchObject({ kind: 'blocked', to: 'us', reason: expect.stringContaining('us unhealthy (storage gis-us: connection refused), ap unhealthy') });
  });

  it('considers the re-synced original primary first once another region is active', () => {
    const d = description();
    const state = checked(d, ['us']);
    state.activeRegion = 'us';
    expect(chooseFailover(state, d, undefined)).toMatchObject({ kind: 'failover', to: 'eu' });
  });
});

describe('after a failover', () => {
  const failedOver = (d: FailoverDescription) => {
    const state = initialState(d);
    state.activeRegion = 'us';
    state.needsResync = ['eu'];
    return state;
  };

  it('re-syncs the failed region once it checks healthy', () => {
    const d = description();
    const state = failedOver(d);
    recordCheck(state, check(['eu']));
    expect(resyncDue(state)).toEqual([]);
    recordCheck(state, check([]));
    expect(resyncDue(state)).toEqual(['eu']);
  });

  it('counts the primary healthy only once re-synced toward failback, reports it once without autoFailback, catches up with it', () => {
    const d = description({ failbackThreshold: 2 });
    const state = failedOver(d);
    recordCheck(state, check([]));
    recordCheck(state, check([]));
    expect(failbackDue(state, d)).toBeUndefined(); // still to re-sync
    state.needsResync = [];
    expect(failbackDue(state, d)).toBe('report');
    state.failbackPossible = true;
    recordCheck(state, check([]));
    expect(failbackDue(state, d)).toBeUndefined();
    expect(failbackDue(state, { ...d, autoFailback: true })).toBe('catch-up');
    // The primary failing again resets the streak and the report.
    recordCheck(state, check(['eu']));
    expect(state.primaryHealthyStreak).toBe(0);
    expect(state.failbackPossible).toBe(false);
  });

  it('fails back on its own only after an automatic or forced failover, never after a manual evacuation of a healthy primary', () => {
    const d = description({ failbackThreshold: 1, autoFailback: true });
    const healthyAgain = (state: FailoverState) => {
      recordCheck(state, check([]));
      return failbackDue(state, d);
    };
    const automatic = initialState(d);
    recordSwitch(automatic, { kind: 'failover', from: 'eu', to: 'us', forced: true, trigger: 'automatic' });
    expect(automatic.needsResync).toEqual(['eu']);
    automatic.needsResync = [];
    expect(healthyAgain(automatic)).toBe('catch-up');
    const forcedByHand = initialState(d);
    recordSwitch(forcedByHand, { kind: 'failover', from: 'eu', to: 'us', forced: true, trigger: 'manual' });
    forcedByHand.needsResync = [];
    expect(healthyAgain(forcedByHand)).toBe('catch-up');
    const evacuated = initialState(d);
    recordSwitch(evacuated, { kind: 'failover', from: 'eu', to: 'us', forced: false, trigger: 'manual' });
    expect(evacuated).toMatchObject({ activeRegion: 'us', needsResync: [], failbackByHand: true });
    expect(healthyAgain(evacuated)).toBe('report');
    // A state carried from an older run has no flag: autoFailback as before.
    const carried = initialState(d);
    carried.activeRegion = 'us';
    expect(healthyAgain(carried)).toBe('catch-up');
  });

  it('after a forced promotion, re-syncs the members it could not merge from as well as the old active one', () => {
    const state = initialState(description());
    recordSwitch(state, { kind: 'failover', from: 'eu', to: 'us', forced: true, trigger: 'automatic', unmerged: ['ap', 'eu'] });
    expect(state.needsResync).toEqual(['eu', 'ap']);
    // Never a candidate for the next automatic failover until re-synced.
    recordCheck(state, check(['us']));
    expect(chooseFailover(state, description(), undefined)).toMatchObject({ kind: 'blocked' });
  });

  it('does not fail back while the active region is unhealthy (a graceful switch must lock it)', () => {
    const d = description({ failbackThreshold: 1, autoFailback: true });
    const state = failedOver(d);
    state.needsResync = [];
    recordCheck(state, check(['us']));
    expect(failbackDue(state, d)).toBeUndefined();
  });
});

describe('the manual Updates', () => {
  const d = description();

  it('fails over to the named region, or the first healthy one', () => {
    const state = checked(d, ['us']);
    expect(manualFailoverTarget(state, {})).toBe('ap');
    expect(manualFailoverTarget(state, { to: 'ap' })).toBe('ap');
  });

  it('rejects an unknown, active, unhealthy or unchecked target, and any request while a switch runs', () => {
    const state = checked(d, ['us']);
    expect(() => manualFailoverTarget(state, { to: 'mars' })).toThrow('"mars" is not a region of failover gis (its regions: eu, us, ap)');
    expect(() => manualFailoverTarget(state, { to: 'eu' })).toThrow('eu is already the active region of failover gis');
    expect(() => manualFailoverTarget(state, { to: 'us' })).toThrow('us is unhealthy at its last check: storage gis-us: connection refused');
    expect(() => manualFailoverTarget(initialState(d), { to: 'us' })).toThrow('us has not been checked yet');
    state.switching = { kind: 'failover', from: 'eu', to: 'ap', since: 'now', eventId: 'gis-1', trigger: 'automatic' };
    expect(() => manualFailoverTarget(state, { to: 'ap' })).toThrow('a failover from eu to ap is in progress');
  });

  it('rejects a failback to the active primary, or to an unhealthy one', () => {
    const state = checked(d, ['eu']);
    expect(() => checkManualFailback(state)).toThrow('eu is already the active region of failover gis');
    state.activeRegion = 'us';
    expect(() => checkManualFailback(state)).toThrow('eu is unhealthy at its last check');
    recordCheck(state, check([]));
    expect(() => checkManualFailback(state)).not.toThrow();
  });
});

describe('state and events', () => {
  it('keeps the most recent events while ids keep counting', () => {
    const state = initialState(description());
    for (let i = 0; i < FAILOVER_EVENTS_KEPT + 5; i++) {
      recordEvent(state, { id: nextEventId(state), kind: 'failover-blocked', at: 'now', from: 'eu', to: 'us', reason: 'r', trigger: 'automatic' });
    }
    expect(state.events).toHaveLength(FAILOVER_EVENTS_KEPT);
    expect(state.events[0]!.id).toBe('gis-6');
    expect(state.events.at(-1)!.id).toBe(`gis-${FAILOVER_EVENTS_KEPT + 5}`);
  });

  it('carries the monitor token in event ids, so a recreated monitor does not repeat them', () => {
    const first = initialState(description());
    first.token = 'run-a';
    const second = initialState(description());
    second.token = 'run-b';
    expect([nextEventId(first), nextEventId(second)]).toEqual(['gis-run-a-1', 'gis-run-b-1']);
  });

  it('adopts a reloaded entry without losing the active region, and drops removed regions', () => {
    const d = description();
    const state = checked(d, ['ap']);
    state.activeRegion = 'us';
    state.needsResync = ['ap'];
    adoptDescription(state, description({ secondaryRegions: ['us'] }));
    expect(state).toMatchObject({ activeRegion: 'us', secondaryRegions: ['us'], needsResync: [] });
    expect(Object.keys(state.regions).sort()).toEqual(['eu', 'us']);
    expect(summary(state)).toBe('failover gis (set gis-set): active us; eu healthy, us healthy; check 1');
  });
});

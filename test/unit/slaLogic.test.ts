// The SLA monitor's rules without Temporal (workflows/slaLogic.ts): RPO and RTO checks, one
// violation per incident (one start, one end, never one per evaluation), the compliance rate of a
// recorded sequence against a hand computation, windows, bounded buckets and violations, violations
// closed when no longer checked, unobserved sources, undelivered events raised again, and the
// status and report views.

import { SlaDefinition, SourceObservation } from '../../workflows/slaDefs';
import { CLOSED_VIOLATIONS_KEPT, complianceRatio, evaluateSlas, FleetObservation, initialSlaState, markNotified, recordObservation, secondsText, slaReport, slaStatus, slaView, undeliveredChanges, violationEvent, ViolationChange } from '../../workflows/slaLogic';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);
const iso = (minutes: number) => at(minutes).toISOString();

const sla = (overrides: Partial<SlaDefinition> = {}): SlaDefinition => ({
  name: 'gold',
  enabled: true,
  sources: ['tiles'],
  rpoSeconds: 600,
  rtoSeconds: 3600,
  rtoTestedWithinSeconds: 30 * 86_400,
  ...overrides,
});

/** A fresh restore drill of 60 s (so the RTO passes), unless `recovery` says otherwise. */
const tiles = (lastGood: number | undefined, recovery: SourceObservation['lastRecovery'] | null = { kind: 'restore', at: iso(-60), seconds: 60, workflowId: 'restore-1' }): FleetObservation => ({
  sources: [{ source: 'tiles', repository: 'main', snapshotCount: lastGood === undefined ? 0 : 1, ...(lastGood !== undefined ? { lastGoodSnapshotAt: iso(lastGood) } : {}), ...(recovery ? { lastRecovery: recovery } : {}) }],
  repositories: [{ repository: 'main', snapshotCount: 1, sizeBytes: 100 }],
});

test('a recorded sequence: one violation started and resolved, and the compliance rate matches the hand computation', () => {
  const state = initialSlaState();
  const slas = [sla()];
  const changes: ViolationChange[] = [];
  // [minute of the evaluation, minute of the newest good snapshot]; target 10 min.
  const sequence: Array<[number, number]> = [
    [5, 0], // 5 min: compliant
    [15, 0], // 15 min: violation opens
    [25, 0], // 25 min: still open (no second event)
    [35, 30], // a backup at 30: resolved, compliant
    [60, 30], // hour 1: 30 min: a second violation opens
    [70, 30], // still open
  ];
  for (const [minute, lastGood] of sequence) {
    recordObservation(state, tiles(lastGood));
    changes.push(...evaluateSlas(state, slas, at(minute)));
  }
  expect(changes.map((c) => `${c.phase} ${c.violation.id} ${c.violation.kind}`)).toEqual(['started gold-1 rpo', 'resolved gold-1 rpo', 'started gold-2 rpo']);
  const first = changes[1]!.violation;
  expect(first).toMatchObject({ subject: 'tiles', start: iso(15), end: iso(35), observedSeconds: 25 * 60, targetSeconds: 600 });

  // By hand: hour 0 had 4 samples, 2 compliant (5, 35); hour 1 had 2, none compliant. 2 of 6.
  expect(state.slas.gold!.buckets).toEqual([
    { hour: T0 / 3_600_000, samples: 4, compliant: 2 },
    { hour: T0 / 3_600_000 + 1, samples: 2, compliant: 0 },
  ]);
  const status = slaStatus(state, slas[0]!, at(70));
  expect(status.compliance).toEqual({ '24h': 2 / 6, '7d': 2 / 6, '30d': 2 / 6 });
  expect(status).toMatchObject({ compliant: false, rpoSeconds: 40 * 60, rtoSeconds: 60 });
  expect(status.openViolations.map((v) => v.id)).toEqual(['gold-2']);
  // A day later hour 0 has left the 24 h window, not the 7 d one.
  expect(complianceRatio(state.slas.gold!.buckets, '24h', at(24 * 60 + 10))).toBe(0);
  expect(complianceRatio(state.slas.gold!.buckets, '7d', at(24 * 60 + 10))).toBe(2 / 6);
  expect(complianceRatio([], '30d', at(0))).toBeNull();
});

test('events: ids derive from the violation, so a start and its end are each sent once', () => {
  const state = initialSlaState();
  recordObservation(state, tiles(0));
  const [started] = evaluateSlas(state, [sla({ notify: ['ops'] })], at(20));
  const event = violationEvent(started!);
  expect(event).toMatchObject({ id: 'sla:gold-1:started', kind: 'sla-violation-started', severity: 'critical', subject: 'gold', time: iso(20) });
  expect(event.summary).toBe('SLA gold violated: RPO of source tiles is 20m, over the 10m target');
  recordObservation(state, tiles(25));
  const [resolved] = evaluateSlas(state, [sla()], at(30));
  expect(violationEvent(resolved!)).toMatchObject({ id: 'sla:gold-1:resolved', kind: 'sla-violation-resolved', time: iso(30) });
});

test('a source with no good snapshot at all is a violation (observed -1); one never observed is an unobserved violation, not compliance', () => {
  const state = initialSlaState();
  expect(evaluateSlas(state, [sla()], at(0)).map((c) => `${c.phase} ${c.violation.kind} ${c.violation.subject}`)).toEqual(['started unobserved tiles']);
  expect(state.slas.gold!.buckets[0]).toMatchObject({ samples: 1, compliant: 0 });
  expect(evaluateSlas(state, [sla()], at(0.5))).toEqual([]); // opened once, not per evaluation
  recordObservation(state, tiles(undefined), at(1));
  const changes = evaluateSlas(state, [sla()], at(1));
  expect(changes.map((c) => `${c.phase} ${c.violation.kind}`)).toEqual(['resolved unobserved', 'started rpo']);
  const change = changes[1];
  expect(change!.violation).toMatchObject({ kind: 'rpo', observedSeconds: -1 });
  expect(violationEvent(change!).summary).toBe('SLA gold violated: source tiles has no good snapshot');
  expect(slaStatus(state, sla(), at(1)).rpoSeconds).toBeUndefined();
});

test('RTO: untested when no recovery is known or it is older than rtoTestedWithin; too slow when over the target', () => {
  const state = initialSlaState();
  recordObservation(state, tiles(0, null));
  expect(evaluateSlas(state, [sla()], at(1)).map((c) => `${c.phase} ${c.violation.kind} ${c.violation.observedSeconds}`)).toEqual(['started rto-untested -1']);
  // A drill of 2 h: tested, but over the 1 h target.
  recordObservation(state, tiles(0, { kind: 'runbook', at: iso(2), seconds: 7200, workflowId: 'runbook-1' }));
  expect(evaluateSlas(state, [sla()], at(3)).map((c) => `${c.phase} ${c.violation.kind}`)).toEqual(['resolved rto-untested', 'started rto']);
  // Still the same drill 31 days later: untested again, and still too slow (aging out does not make it fast).
  expect(evaluateSlas(state, [sla({ rpoSeconds: 100 * 86_400 })], at(31 * 24 * 60)).map((c) => `${c.phase} ${c.violation.kind}`)).toEqual(['started rto-untested']);
  expect(slaStatus(state, sla(), at(31 * 24 * 60)).openViolations.map((v) => v.kind)).toEqual(['rto', 'rto-untested']);
});

test('a disabled SLA takes no samples and opens nothing; an SLA removed from the settings loses its record', () => {
  const state = initialSlaState();
  recordObservation(state, tiles(undefined));
  expect(evaluateSlas(state, [sla({ enabled: false })], at(0))).toEqual([]);
  expect(state.slas.gold!.buckets).toEqual([]);
  evaluateSlas(state, [], at(1));
  expect(state.slas).toEqual({});
});

test('bounded: buckets older than 30 days and all but the newest closed violations are dropped', () => {
  const state = initialSlaState();
  for (let i = 0; i < CLOSED_VIOLATIONS_KEPT + 10; i++) {
    recordObservation(state, tiles(i * 60 - 30));
    evaluateSlas(state, [sla()], at(i * 60)); // 30 min old: opens
    recordObservation(state, tiles(i * 60));
    evaluateSlas(state, [sla()], at(i * 60 + 1)); // fresh: closes
    for (const change of undeliveredChanges(state)) markNotified(state, change);
  }
  expect(state.slas.gold!.violations).toHaveLength(CLOSED_VIOLATIONS_KEPT);
  expect(state.slas.gold!.violations[0]!.id).toBe('gold-11');
  evaluateSlas(state, [sla()], at(40 * 24 * 60));
  const hours = state.slas.gold!.buckets.map((b) => b.hour);
  expect(Math.min(...hours)).toBeGreaterThan(T0 / 3_600_000 + 40 * 24 - 30 * 24);
});

test('the report lists the violations open at or after since; the view answers every SLA', () => {
  const state = initialSlaState();
  recordObservation(state, tiles(0));
  evaluateSlas(state, [sla()], at(20));
  recordObservation(state, tiles(30));
  evaluateSlas(state, [sla()], at(31));
  expect(slaReport(state, [sla()], 'gold', iso(30), at(40))!.violations.map((v) => v.id)).toEqual(['gold-1']);
  expect(slaReport(state, [sla()], 'gold', iso(32), at(40))!.violations).toEqual([]);
  expect(slaReport(state, [sla()], 'silver', undefined, at(40))).toBeUndefined();
  const view = slaView(state, { slas: [sla()], sources: ['tiles'], repositories: ['main'], intervalSeconds: 60 }, at(40));
  expect(view).toMatchObject({ evaluations: 2, evaluatedAt: iso(31), intervalSeconds: 60, repositories: [{ repository: 'main', sizeBytes: 100 }] });
  expect(view.slas[0]).toMatchObject({ name: 'gold', compliant: true, rpoSeconds: 600, sources: [{ source: 'tiles', rpoSeconds: 600, lastGoodSnapshotAt: iso(30) }] });
});

test('secondsText', () => {
  expect([secondsText(-1), secondsText(0), secondsText(59), secondsText(600), secondsText(7260), secondsText(90_061)]).toEqual(['never', '0s', '59s', '10m', '2h1m', '1d1h']);
});

/** The open violations of `name` as `kind subject`. */
const open = (state: ReturnType<typeof initialSlaState>, name = 'gold') => state.slas[name]!.violations.filter((v) => v.end === undefined).map((v) => `${v.kind} ${v.subject}`);
const phases = (changes: ViolationChange[]) => changes.map((c) => `${c.phase} ${c.violation.kind} ${c.violation.subject}`);

describe('a violation no longer checked closes (one resolved each)', () => {
  const failing = () => {
    const state = initialSlaState();
    recordObservation(state, tiles(0, null), at(20));
    expect(phases(evaluateSlas(state, [sla()], at(20)))).toEqual(['started rpo tiles', 'started rto-untested tiles']);
    return state;
  };

  test('the SLA is disabled', () => {
    const state = failing();
    expect(phases(evaluateSlas(state, [sla({ enabled: false })], at(21)))).toEqual(['resolved rpo tiles', 'resolved rto-untested tiles']);
    expect(open(state)).toEqual([]);
  });

  test('the source is removed from the SLA, and with no sources left nothing (not even RTO) stays open', () => {
    const state = failing();
    expect(phases(evaluateSlas(state, [sla({ sources: [] })], at(21)))).toEqual(['resolved rpo tiles', 'resolved rto-untested tiles']);
    expect(open(state)).toEqual([]);
  });

  test('the SLA is deleted: resolved raised, the record kept until delivered, then dropped', () => {
    const state = failing();
    expect(phases(evaluateSlas(state, [], at(21)))).toEqual(['resolved rpo tiles', 'resolved rto-untested tiles']);
    expect(state.slas.gold).toBeDefined();
    for (let due = undeliveredChanges(state); due.length > 0; due = undeliveredChanges(state)) for (const change of due) markNotified(state, change);
    evaluateSlas(state, [], at(22));
    expect(state.slas).toEqual({});
  });

  test('a source no longer observed: rpo held (neither resolved nor re-opened), unobserved opened', () => {
    const state = failing();
    recordObservation(state, { sources: [], repositories: [] }, at(21));
    expect(phases(evaluateSlas(state, [sla()], at(21)))).toEqual(['started unobserved tiles']);
    expect(open(state)).toEqual(['rpo tiles', 'rto-untested tiles', 'unobserved tiles']);
    recordObservation(state, tiles(21), at(22));
    expect(phases(evaluateSlas(state, [sla()], at(22)))).toEqual(['resolved unobserved tiles', 'resolved rpo tiles', 'resolved rto-untested tiles']);
  });
});

test('unobserved: an observation older than the stale limit is a non-compliant sample and one violation', () => {
  const state = initialSlaState();
  recordObservation(state, tiles(0), at(0));
  expect(evaluateSlas(state, [sla()], at(2), 180)).toEqual([]);
  // The observations since failed (kept the old one): 4 minutes later it is stale.
  expect(phases(evaluateSlas(state, [sla()], at(4), 180))).toEqual(['started unobserved tiles']);
  expect(evaluateSlas(state, [sla()], at(5), 180)).toEqual([]); // still open: its worst is now 5 min
  expect(state.slas.gold!.buckets[0]).toMatchObject({ samples: 3, compliant: 1 });
  expect(violationEvent({ phase: 'started', violation: state.slas.gold!.violations[0]! }).summary).toBe('SLA gold violated: source tiles last observed 5m ago');
});

test('an unreadable repository keeps only its own sources previous observation, and lastError names it', () => {
  const state = initialSlaState();
  const both: FleetObservation = {
    sources: [...tiles(0).sources, { source: 'docs', repository: 'far', snapshotCount: 1, lastGoodSnapshotAt: iso(0) }],
    repositories: [{ repository: 'main', snapshotCount: 1, sizeBytes: 1 }, { repository: 'far', snapshotCount: 1, sizeBytes: 2 }],
  };
  recordObservation(state, both, at(0));
  recordObservation(state, { sources: tiles(9).sources, repositories: [both.repositories[0]!], failedRepositories: { far: 'connection refused' } }, at(10));
  expect(state.sources.tiles).toMatchObject({ lastGoodSnapshotAt: iso(9), observedAt: iso(10) });
  expect(state.sources.docs).toMatchObject({ lastGoodSnapshotAt: iso(0), observedAt: iso(0) });
  expect(state.repositories.far).toMatchObject({ sizeBytes: 2 });
  expect(state.lastError).toBe('repository far: connection refused');
  recordObservation(state, tiles(10), at(11));
  expect(state.lastError).toBeUndefined();
  expect(Object.keys(state.sources)).toEqual(['tiles']);
});

test('an undelivered event is raised again with the same id until delivered; the end only after the start', () => {
  const state = initialSlaState();
  state.token = 'run1';
  recordObservation(state, tiles(0), at(20));
  evaluateSlas(state, [sla()], at(20));
  const ids = () => undeliveredChanges(state).map((c) => violationEvent(c).id);
  expect(ids()).toEqual(['sla:gold-run1-1:started']);
  evaluateSlas(state, [sla()], at(21));
  expect(ids()).toEqual(['sla:gold-run1-1:started']); // not delivered: still due, same id
  recordObservation(state, tiles(21), at(22));
  evaluateSlas(state, [sla()], at(22));
  expect(ids()).toEqual(['sla:gold-run1-1:started']);
  markNotified(state, undeliveredChanges(state)[0]!);
  expect(ids()).toEqual(['sla:gold-run1-1:resolved']);
  markNotified(state, undeliveredChanges(state)[0]!);
  expect(ids()).toEqual([]);
});

test('closed violations whose events are undelivered are kept, up to twice the usual bound', () => {
  const state = initialSlaState();
  for (let i = 0; i < 3 * CLOSED_VIOLATIONS_KEPT; i++) {
    recordObservation(state, tiles(i * 60 - 30));
    evaluateSlas(state, [sla()], at(i * 60));
    recordObservation(state, tiles(i * 60));
    evaluateSlas(state, [sla()], at(i * 60 + 1));
  }
  expect(state.slas.gold!.violations).toHaveLength(2 * CLOSED_VIOLATIONS_KEPT);
  expect(state.slas.gold!.violations.every((v) => v.notified === undefined)).toBe(true);
});

test('violation ids carry the monitor token, so a recreated monitor does not repeat event ids', () => {
  const ids = (token: string) => {
    const state = initialSlaState();
    state.token = token;
    recordObservation(state, tiles(0));
    return evaluateSlas(state, [sla()], at(20)).map((c) => violationEvent(c).id);
  };
  expect(ids('first')).toEqual(['sla:gold-first-1:started']);
  expect(ids('second')).toEqual(['sla:gold-second-1:started']);
});

test('RTO per source: the slowest source is the SLA RTO and an untested source is its own violation', () => {
  const state = initialSlaState();
  const gold = sla({ sources: ['tiles', 'docs'] });
  recordObservation(state, {
    sources: [
      { source: 'tiles', repository: 'main', snapshotCount: 1, lastGoodSnapshotAt: iso(0), lastRecovery: { kind: 'restore', at: iso(-60), seconds: 60, workflowId: 'r1' } },
      { source: 'docs', repository: 'main', snapshotCount: 1, lastGoodSnapshotAt: iso(0) },
    ],
    repositories: [],
  });
  expect(phases(evaluateSlas(state, [gold], at(1)))).toEqual(['started rto-untested docs']);
  recordObservation(state, {
    sources: [
      { source: 'tiles', repository: 'main', snapshotCount: 1, lastGoodSnapshotAt: iso(0), lastRecovery: { kind: 'restore', at: iso(-60), seconds: 60, workflowId: 'r1' } },
      { source: 'docs', repository: 'main', snapshotCount: 1, lastGoodSnapshotAt: iso(0), lastRecovery: { kind: 'restore', at: iso(1), seconds: 5000, workflowId: 'r2' } },
    ],
    repositories: [],
  });
  expect(phases(evaluateSlas(state, [gold], at(2)))).toEqual(['resolved rto-untested docs', 'started rto docs']);
  expect(slaStatus(state, gold, at(2))).toMatchObject({ rtoSeconds: 5000, rtoMeasuredAt: iso(1) });
});

test('a recovery once attributed stays the source latest after its snapshot is forgotten (until a newer one)', () => {
  const state = initialSlaState();
  const drill = { kind: 'restore' as const, at: iso(5), seconds: 60, workflowId: 'drill' };
  recordObservation(state, tiles(0, drill), at(6));
  recordObservation(state, tiles(10, null), at(20)); // retention forgot the restored snapshot: no longer attributed
  expect(state.sources.tiles!.lastRecovery).toEqual(drill);
  expect(evaluateSlas(state, [sla()], at(20))).toEqual([]);
  const newer = { kind: 'runbook' as const, at: iso(30), seconds: 90, workflowId: 'runbook-2' };
  recordObservation(state, tiles(30, newer), at(31));
  expect(state.sources.tiles!.lastRecovery).toEqual(newer);
});

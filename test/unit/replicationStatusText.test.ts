// `meridian replication` output and the lag it reports: lag is the age of the oldest snapshot a
// replica lacks (0 when none, null before its first pass), status prints one row per replica
// (reachable, behind, lag, last copy, state and error), a pass prints one line per replica, and
// verify lists each difference and the total. Plus the replica set's Schedule that apply derives
// from meridian.yaml (every 1h unless the set says when; a disabled set is paused).

import { lagText, passLine, statusLines, verifyLines } from '../../cli/commands/replication';
import { parseConfig } from '../../config/load';
import { NOTHING_BEHIND, type PassResult } from '../../core/replicationTypes';
import { lagSeconds, type ReplicationStatus } from '../../replication/status';
import { desiredSchedules } from '../../schedules/desired';
import type { ReplicaState } from '../../workflows/replicationDefs';

const NOW = new Date('2026-11-30T12:10:00Z');

const replica = (state: Partial<ReplicaState>): ReplicaState => ({ name: 'gis-us', state: 'idle', reachable: true, behind: NOTHING_BEHIND, ...state });

describe('lagSeconds', () => {
  it('is the age of the oldest snapshot the replica lacks, not the newest', () => {
    const behind = { snapshots: 2, files: 9, bytes: 43_200_000, oldestMissingAt: '2026-11-30T12:02:48Z', newestMissingAt: '2026-11-30T12:09:00Z' };
    expect(lagSeconds(replica({ behind }), NOW)).toBe(432);
  });

  it('is 0 when nothing is missing, null before the first pass, never negative for a clock ahead', () => {
    expect(lagSeconds(replica({}), NOW)).toBe(0);
    expect(lagSeconds(replica({ state: 'never-run', reachable: null }), NOW)).toBeNull();
    expect(lagSeconds(replica({ behind: { ...NOTHING_BEHIND, snapshots: 1, oldestMissingAt: '2026-11-30T12:10:05Z' } }), NOW)).toBe(0);
  });
});

describe('lagText', () => {
  it.each([
    [0, '0s'],
    [59, '59s'],
    [432, '7m12s'],
    [3600, '1h00m'],
    [11_100, '3h05m'],
    [187_200, '2d4h'],
  ])('%d s reads %s', (seconds, text) => expect(lagText(seconds)).toBe(text));
});

describe('replication status lines', () => {
  const status: ReplicationStatus = {
    name: 'gis',
    mode: 'quorum',
    quorum: 2,
    workflowId: 'replication:gis',
    running: true,
    primary: { name: 'gis-eu', region: 'eu-west-1', location: 's3://gis-eu/meridian' },
    passes: 14,
    lastPassAt: '2026-11-30T12:03:55Z',
    replicas: [
      {
        ...replica({
          behind: { snapshots: 2, files: 9, bytes: 43_200_000, oldestMissingAt: '2026-11-30T12:02:48Z' },
          lastSuccessAt: '2026-11-30T12:03:55Z',
        }),
        region: 'us-east1',
        location: 'gs://gis-us/meridian',
        lagSeconds: 432,
      },
      {
        ...replica({
          name: 'gis-ap',
          state: 'failing',
          reachable: false,
          behind: { snapshots: 1, files: 3, bytes: 2048, oldestMissingAt: '2026-11-30T12:09:00Z' },
          lastError: { message: 'storage unreachable: connect ECONNREFUSED', at: '2026-11-30T12:09:30Z' },
        }),
        location: 'azure://gisap/backups/meridian',
        lagSeconds: 60,
      },
      { name: 'gis-sa', state: 'never-run', reachable: null, behind: NOTHING_BEHIND, location: '/srv/gis-sa', lagSeconds: null },
    ],
  };

  it('heads each set with its mode, primary and workflow, then one row per replica', () => {
    const lines = statusLines([status], NOW);
    expect(lines[0]).toMatch(/^gis \(quorum 2 of 4\): primary gis-eu \(eu-west-1\) s3:\/\/gis-eu\/meridian; replication:gis running, 14 passes, last \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(lines[1]).toMatch(/^ {2}REPLICA +REGION +REACHABLE +BEHIND +LAG +LAST COPY +STATE$/);
    expect(lines[2]).toMatch(/^ {2}gis-us +us-east1 +reachable +2 snapshots \/ 41\.2 MiB behind +7m12s +(\d\d:\d\d:\d\d|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) +idle$/);
    expect(lines[3]).toMatch(/^ {2}gis-ap +- +unreachable +1 snapshot \/ 2\.00 KiB behind +1m00s +never +failing; error: storage unreachable: connect ECONNREFUSED$/);
    expect(lines[4]).toMatch(/^ {2}gis-sa +- +not yet +not copied yet +- +never +never-run$/);
    expect(lines).toHaveLength(5);
  });

  it('says when the workflow does not run or no worker answers, and when there are no sets', () => {
    expect(statusLines([{ ...status, running: false }], NOW)[0]).toContain('replication:gis not running (meridian apply or the next backup starts it)');
    expect(statusLines([{ ...status, unanswered: 'no worker answered' }], NOW)[0]).toContain('replication:gis running; no worker answered (replica states unknown)');
    expect(statusLines([], NOW)).toEqual(['no replica sets (meridian.yaml has no replication: section)']);
  });
});

describe('replication run and verify lines', () => {
  const pass: PassResult = {
    replica: 'gis-us',
    kind: 'incremental',
    copied: { files: 12, bytes: 43_200_000, byType: { keys: 0, data: 9, index: 2, snapshots: 1, journal: 0, wal: 0 } },
    skippedPresent: 3,
    deleted: { files: 0, bytes: 0 },
    pending: { files: 2, bytes: 4096 },
    behind: NOTHING_BEHIND,
    durationMs: 2300,
  };

  it('prints what a pass copied, skipped, deleted and keeps, or why it was deferred', () => {
    expect(passLine(pass)).toBe('gis-us: incremental pass copied 12 files (41.2 MiB), 3 already there, deleted 0 files, 2 pending deletion; 0 snapshots behind; in 2.3 s');
    expect(passLine({ ...pass, deferred: 'prune 3f2a in progress on the primary' })).toBe('gis-us: deferred: prune 3f2a in progress on the primary');
    expect(passLine({ ...pass, failed: 'storage unreachable: connect ECONNREFUSED' })).toBe('gis-us: failed: storage unreachable: connect ECONNREFUSED');
  });

  it('lists every difference of each replica and the total', () => {
    const lines = verifyLines({
      workflowId: 'replication-verify:gis:2026-11-30T12:00:00.000Z',
      set: 'gis',
      ok: false,
      differences: 3,
      durationMs: 1500,
      replicas: [
        { replica: 'gis-us', configMatches: true, differences: 0, missing: [], extra: [], sizeMismatch: [], pendingDeletion: 4 },
        {
          replica: 'gis-ap',
          configMatches: true,
          differences: 3,
          missing: [{ type: 'data', name: 'ab12', size: 2048 }],
          extra: [{ type: 'snapshots', name: 'cd34', size: 300 }],
          sizeMismatch: [{ type: 'index', name: 'ef56', primary: 900, replica: 450 }],
          pendingDeletion: 0,
        },
      ],
    });
    expect(lines).toEqual([
      'gis-us: 0 differences; 4 pending deletion (not differences)',
      'gis-ap: 3 differences; 0 pending deletion (not differences)',
      '  missing data/ab12 (2.00 KiB)',
      '  extra   snapshots/cd34 (300 B)',
      '  size    index/ef56: 900 B on the primary, 450 B here',
      'replica set gis: 3 differences in 1.5 s',
    ]);
  });
});

describe("a replica set's Schedule", () => {
  const config = parseConfig(
    [
      'repositories:',
      '  a: { url: /srv/a }',
      '  b: { url: /srv/b }',
      '  c: { url: /srv/c }',
      '  d: { url: /srv/d }',
      'replication:',
      '  gis: { primary: a, replicas: [b] }',
      '  dem: { primary: c, replicas: [d], mode: sync, template: daily, timezone: Europe/Berlin, enabled: false }',
    ].join('\n'),
    'meridian.yaml',
  );
  const byName = Object.fromEntries(desiredSchedules(config, 'meridian').map((s) => [s.name, s]));

  it('runs replicationTickWorkflow every hour by default, skipping while a run is open', () => {
    const gis = byName['replication-gis']!;
    expect(gis).toMatchObject({ id: 'meridian:replication-gis', kind: 'replication', summary: 'every 3600s → replicate a to b (async)' });
    expect(gis.options.spec).toEqual({ intervals: [{ every: 3_600_000 }] });
    expect(gis.options.policies.overlap).toBe('SKIP');
    expect(gis.options.action).toMatchObject({ workflowType: 'replicationTickWorkflow', workflowId: 'scheduled-replication:gis', args: [{ set: 'gis' }], taskQueue: 'meridian' });
  });

  it("takes the set's own timing, and a disabled set is paused", () => {
    const dem = byName['replication-dem']!;
    expect(dem.options.spec).toEqual({ cronExpressions: ['0 2 * * *'], timezone: 'Europe/Berlin' });
    expect(dem.options.state).toEqual({ paused: true, note: 'disabled in meridian.yaml' });
    expect(dem.digest).not.toBe(byName['replication-gis']!.digest);
  });
});

// schedules/plan.ts: create what is new, update what changed (by digest), delete the owned
// Schedules the file no longer has, leave equal ones alone (paused or not), never list a Schedule
// without the `meridian:` prefix.

import { parseConfig } from '../../config/load';
import { desiredSchedules } from '../../schedules/desired';
import { planCounts, planSchedules, type ExistingSchedule } from '../../schedules/plan';

const config = (schedules: string) =>
  desiredSchedules(
    parseConfig(
      `
repositories: { gis: { url: /srv/gis } }
sources: { tiles: { path: /data/tiles, repository: gis } }
schedules:
${schedules}`,
      'meridian.yaml',
    ),
    'meridian',
  );

const desired = config(`
  a-hourly: { source: tiles, template: hourly }
  b-daily: { source: tiles, template: daily }
  c-off: { source: tiles, template: weekly, enabled: false }
`);
const digestOf = (name: string) => desired.find((d) => d.name === name)!.digest;
const existing = (id: string, digest: string | undefined, paused = false, note?: string): ExistingSchedule => ({ id, digest, paused, note });

describe('planSchedules', () => {
  it('creates every schedule when none exists', () => {
    const plan = planSchedules(desired, []);
    expect(plan.map((e) => [e.name, e.action])).toEqual([
      ['a-hourly', 'create'],
      ['b-daily', 'create'],
      ['c-off', 'create'],
    ]);
    expect(plan[0]).toMatchObject({ id: 'meridian:a-hourly', why: 'new in meridian.yaml', schedule: 'hourly (0 * * * *) UTC → backup tiles' });
  });

  it('equal digests are unchanged, whatever the pause state; a different or missing digest is an update', () => {
    const plan = planSchedules(desired, [
      existing('meridian:a-hourly', digestOf('a-hourly'), true, 'maintenance'),
      existing('meridian:b-daily', 'old'),
      existing('meridian:c-off', undefined, true),
    ]);
    expect(plan.map((e) => [e.name, e.action, e.why])).toEqual([
      ['a-hourly', 'unchanged', 'matches meridian.yaml; stays paused: maintenance'],
      ['b-daily', 'update', 'meridian.yaml changed it'],
      ['c-off', 'update', 'has no digest of meridian apply'],
    ]);
  });

  it('a disabled schedule that an operator resumed stays running while the file is unchanged', () => {
    const [entry] = planSchedules(desired, [existing('meridian:c-off', digestOf('c-off'), false)]).filter((e) => e.name === 'c-off');
    expect(entry).toMatchObject({ action: 'unchanged', why: 'matches meridian.yaml; disabled there but resumed by an operator, stays running' });
  });

  it('deletes owned schedules the file no longer has and never plans for a Schedule without the prefix', () => {
    const plan = planSchedules(desired, [
      existing('meridian:a-hourly', digestOf('a-hourly')),
      existing('meridian:gone', 'x'),
      existing('nightly-report', undefined),
      existing('gone', 'x'),
    ]);
    expect(plan.map((e) => [e.name, e.action])).toEqual([
      ['a-hourly', 'unchanged'],
      ['b-daily', 'create'],
      ['c-off', 'create'],
      ['gone', 'delete'],
    ]);
    expect(plan.find((e) => e.action === 'delete')).toEqual({ name: 'gone', id: 'meridian:gone', action: 'delete', why: 'no longer in meridian.yaml' });
    expect(planCounts(plan)).toEqual({ create: 2, update: 0, delete: 1, unchanged: 1 });
  });

  it('an applied file plans nothing but unchanged', () => {
    const applied = desired.map((d) => existing(d.id, d.digest, d.options.state.paused));
    expect(planCounts(planSchedules(desired, applied))).toEqual({ create: 0, update: 0, delete: 0, unchanged: 3 });
  });
});

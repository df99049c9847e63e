// The README's example meridian.yaml (the block after `<!-- readme-example: meridian.yaml -->`)
// is a file a newcomer can copy: it loads, its secrets check passes once they exist, and `meridian
// apply` would make the four Schedules the README describes from it. Its three-region replica set
// (`<!-- readme-example: replication -->`) loads too and makes the set's hourly Schedule; its
// example runbook (`<!-- readme-example: runbooks -->`) would start (every step has its params);
// its SLA (`<!-- readme-example: slas -->`) has the schema's shape and the defaults the text gives;
// its fleet (`<!-- readme-example: fleet -->`) routes each source's runs to its host's task queue.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { checkSecrets, loadConfig, parseConfig } from '../../config/load';
import { MonitoringSettingsSchema, SlaEntrySchema } from '../../config/schema';
import { prepareRunbook } from '../../runbooks/parameters';
import { desiredSchedules } from '../../schedules/desired';

function readmeExample(name = 'meridian.yaml'): string {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const match = new RegExp(`<!-- readme-example: ${name.replace('.', '\\.')} -->\n\`\`\`yaml\n([\\s\\S]*?)\n\`\`\``).exec(readme);
  if (!match) throw new Error(`README.md has no example ${name} block`);
  return match[1]!;
}

describe("the README's example meridian.yaml", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-readme-example-'));
  const file = path.join(dir, 'meridian.yaml');
  const env = { MERIDIAN_TILES_PASSPHRASE: 'tiles passphrase' };
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  beforeAll(() => {
    fs.writeFileSync(file, readmeExample());
    fs.mkdirSync(path.join(dir, 'secrets'));
    fs.writeFileSync(path.join(dir, 'secrets', 'gis-main.pass'), 'raster passphrase\n');
    fs.writeFileSync(path.join(dir, 'secrets', 'gis-chat.secret'), 'chat signing secret\n');
  });

  it('loads, and its secrets check passes with the password file beside it and the variable set', () => {
    const loaded = loadConfig(file, env)!;
    expect(() => checkSecrets(loaded, env)).not.toThrow();
    expect(loaded.config.repositories['gis-main']!.passwordFile).toBe(path.join(dir, 'secrets', 'gis-main.pass'));
  });

  it('names its secret by a variable that, unset, stops the check with the line of the key', () => {
    const loaded = loadConfig(file, env)!;
    expect(() => checkSecrets(loaded, {})).toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+: repositories\\.tiles-local\\.passwordEnv: `));
  });

  it('becomes four Schedules: hourly tiles, nightly rasters with GFS 7/4/12/5, a weekly full backup and a weekly scrub of a quarter of the packs', () => {
    const schedules = Object.fromEntries(desiredSchedules(loadConfig(file, env)!.config, 'meridian').map((s) => [s.name, s]));
    expect(Object.keys(schedules).sort()).toEqual(['gis-main-scrub', 'rasters-nightly', 'rasters-weekly-full', 'tiles-hourly']);
    expect(schedules['tiles-hourly']!.options.spec).toEqual({ cronExpressions: ['0 * * * *'], timezone: 'Europe/Berlin' });
    expect(schedules['tiles-hourly']!.options.action.args).toMatchObject([{ backup: { repo: 'tiles-local', path: '/data/tiles' }, prune: { every: 24 } }]);
    expect(schedules['rasters-nightly']!.options.action.args).toMatchObject([
      {
        backup: { repo: 'gis-main', path: '/data/rasters', host: 'raster-01', dataTaskQueue: 'meridian-raster-01' },
        retention: { policy: { gfs: { daily: 7, weekly: 4, monthly: 12, yearly: 5 } }, timezone: 'Europe/Berlin' },
      },
    ]);
    expect(schedules['rasters-weekly-full']!.options.spec).toEqual({ cronExpressions: ['0 3 * * 0'], timezone: 'Europe/Berlin' });
    expect(schedules['rasters-weekly-full']!.options.action.args).toMatchObject([{ backup: { type: 'full' } }]);
    expect(schedules['gis-main-scrub']!.kind).toBe('scrub');
    expect(schedules['gis-main-scrub']!.options.action.args).toMatchObject([{ repo: 'gis-main', cycle: 4, budgetBytes: 200 * 2 ** 30 }]);
    for (const s of Object.values(schedules)) expect(JSON.stringify(s.options.action.args)).not.toMatch(/passphrase/);
  });
});

describe("the README's fleet example", () => {
  it("routes each source's scheduled backups to its host's task queue, recording its host", () => {
    const config = parseConfig(readmeExample('fleet'), '/etc/meridian/meridian.yaml');
    const schedules = Object.fromEntries(desiredSchedules(config, 'meridian').map((s) => [s.name, s]));
    expect(Object.keys(schedules).sort()).toEqual(['rasters-nightly', 'tiles-nightly']);
    expect(schedules['tiles-nightly']!.options.action).toMatchObject({ taskQueue: 'meridian', args: [{ backup: { repo: 'gis', path: '/data/gis/tiles', host: 'gis-a', dataTaskQueue: 'host-a' } }] });
    expect(schedules['rasters-nightly']!.options.action).toMatchObject({ taskQueue: 'meridian', args: [{ backup: { repo: 'gis', path: '/srv/rasters', host: 'gis-b', dataTaskQueue: 'host-b' } }] });
    expect(config.sources.tiles!.journal).toEqual({ interval: 60_000 });
  });
});

describe("the README's replication example", () => {
  it('loads: a quorum set of three regions whose Schedule asks for a pass every hour', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-readme-replication-'));
    try {
      const file = path.join(dir, 'meridian.yaml');
      fs.writeFileSync(file, readmeExample('replication'));
      const { config } = loadConfig(file, {})!;
      expect(config.replication.gis).toMatchObject({ primary: 'gis-eu', replicas: ['gis-us', 'gis-ap'], mode: 'quorum', quorum: 2, deleteGraceHours: 24, syncTimeout: 600_000 });
      expect(Object.values(config.repositories).map((r) => r.region)).toEqual(['eu-west-1', 'us-east1', 'ap-southeast']);
      const [schedule] = desiredSchedules(config, 'meridian');
      expect(schedule).toMatchObject({ id: 'meridian:replication-gis', summary: 'every 3600s → replicate gis-eu to gis-us, gis-ap (quorum)' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the README's example runbook", () => {
  it('parses, and an execution of it would start: every step has the params its action needs', () => {
    const { runbooks } = parseConfig(readmeExample('runbooks'), '/etc/meridian/meridian.yaml');
    const { runbook } = prepareRunbook('tiles-restore-check', runbooks['tiles-restore-check']!, { ticket: 'INC-7' });
    expect(runbook.steps.find((s) => s.name === 'compare')!.params).toEqual({ repo: 'gis-eu', source: '/data/tiles', target: '/scratch/tiles-drill' });
  });
});

describe("the README's example SLA", () => {
  it('has the shape of an SLA entry: 1 h RPO, 4 h RTO, tested within 30 days, evaluated every minute', () => {
    const { slas, monitoring } = parse(readmeExample('slas')) as { slas: Record<string, unknown>; monitoring: unknown };
    expect(SlaEntrySchema.parse(slas.tiles)).toEqual({
      sources: ['tiles-eu'],
      rpoMinutes: 60,
      rtoMinutes: 240,
      rtoTestedWithin: 30 * 86_400_000,
      runbooks: ['tiles-restore-check'],
      notify: ['ops-webhook'],
      enabled: true,
    });
    expect(MonitoringSettingsSchema.parse(monitoring)).toEqual({ slaInterval: 60_000 });
  });
});

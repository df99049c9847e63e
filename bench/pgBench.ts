// The PostgreSQL benchmark (`npm run bench -- --pg-only`, `--pg-smoke` for a few tens of MB):
// one PostGIS cluster, pgBackRest 2.45 (zstd, 2 processes, local repository) and Meridian side by
// side in one run — first base backup, second after 5% of the parcels changed, repository sizes,
// WAL push rate over the same segments (one process per segment, as archive_command runs), and a
// restore to a target time started and recovered, its rows checked.

import fs from 'node:fs';
import path from 'node:path';
import { directoryUsage, measure, Measurement } from './measure.js';
import { pgBinDir } from '../core/pgTools.js';
import { BenchCluster, giveToPostgres, runChecked } from './pgCluster.js';
import { archiveEverything, changeParcels, generatePostgis, markerTransactions, restoredState } from './pgData.js';
import { PgBackRest } from './pgBackRest.js';
import { meridianInit, meridianPgBackup, meridianPgRestore, meridianWalPush } from './pgMeridian.js';

const CHANGED_FRACTION = 0.05;
const MARKERS = 20;

type Step = Pick<Measurement, 'wallMs' | 'cpuMs' | 'peakRssMiB'>;
/** A Meridian step that failed is reported (its one-line error) and the run goes on, so the other figures are not lost. */
type Outcome<T> = T | { failed: string };
type Push = Step & { perSecond: number };

export interface PgBenchResult {
  database: { bytes: number; parcels: number; changedParcels: number; walSegments: number; walBytes: number };
  pgbackrest: { full: Step; secondFull: Step; incr: Step; repoBytesAfterFull: number; repoBytesAfterSecond: number; repoBytes: number; walPush: Push; restore: Step };
  meridian: { first: Outcome<Step>; second: Outcome<Step>; repoBytesAfterFirst: number; repoBytesAfterSecond: number; repoBytes: number; walPush: Outcome<Push>; restore: Outcome<Step> };
  restoreTarget: { at: string; expectedMarkers: number; parcels: number };
}

const step = (m: Measurement): Step => ({ wallMs: Math.round(m.wallMs), cpuMs: Math.round(m.cpuMs), peakRssMiB: Math.round(m.peakRssMiB) });

async function attempt<T>(run: () => T | Promise<T>, log: (m: string) => void): Promise<Outcome<T>> {
  try {
    return await run();
  } catch (err) {
    const failed = err instanceof Error ? err.message : String(err);
    log(`Meridian step failed: ${failed}`);
    return { failed };
  }
}

/** Runs every scenario in `work` (removed by the caller). */
export async function runPgBench(work: string, options: { databaseBytes: number; log: (m: string) => void }): Promise<PgBenchResult> {
  const { log } = options;
  fs.chmodSync(work, 0o755);
  const archived = path.join(work, 'archived-wal');
  await giveToPostgres(archived);
  const cluster = await BenchCluster.create(path.join(work, 'cluster'), {
    archive_mode: 'on',
    archive_command: "'true'",
    max_wal_size: "'2GB'",
    shared_buffers: "'256MB'",
    maintenance_work_mem: "'256MB'",
  });
  const restored: BenchCluster[] = [];
  try {
    log(`postgis: generating ≥ ${(options.databaseBytes / 1e6).toFixed(0)} MB on port ${cluster.port}`);
    const generated = await generatePostgis(cluster, options.databaseBytes, log);
    log(`postgis: ${generated.rows} parcels, ${(generated.databaseBytes / 1e6).toFixed(0)} MB; archiving WAL from here on`);
    await cluster.sql(async (db) => {
      await db.query(`ALTER SYSTEM SET archive_command = 'test ! -f ${archived}/%f && cp %p ${archived}/%f'`);
      await db.query('SELECT pg_reload_conf()');
    });
    await archiveEverything(cluster);

    const pgbackrest = await PgBackRest.create(work, path.join(work, 'repo-pgbackrest'), cluster);
    const meridianRepo = path.join(work, 'repo-meridian');
    measure(pgbackrest.stanzaCreate());
    measure(meridianInit(meridianRepo));

    log('base backups: pgBackRest full, Meridian first');
    const full = step(measure(pgbackrest.backup('full')));
    const repoBytesAfterFull = directoryUsage(pgbackrest.repo).bytes;
    const first = await attempt(() => step(measure(meridianPgBackup(meridianRepo, cluster.dir, cluster.port))), log);
    const repoBytesAfterFirst = directoryUsage(meridianRepo).bytes;

    const changedParcels = await changeParcels(cluster, generated.rows, CHANGED_FRACTION);
    log(`changed ${changedParcels} parcels; base backups: pgBackRest full and incr, Meridian second`);
    const secondFull = step(measure(pgbackrest.backup('full')));
    const incr = step(measure(pgbackrest.backup('incr')));
    const second = await attempt(() => step(measure(meridianPgBackup(meridianRepo, cluster.dir, cluster.port))), log);
    const repoBytesAfterSecond = { pgbackrest: directoryUsage(pgbackrest.repo).bytes, meridian: directoryUsage(meridianRepo).bytes };

    const target = await markerTransactions(cluster, MARKERS);
    await archiveEverything(cluster);
    const segments = fs.readdirSync(archived).filter((name) => /^[0-9A-F]{24}$/.test(name)).sort();
    const walBytes = segments.reduce((sum, name) => sum + fs.statSync(path.join(archived, name)).size, 0);
    log(`WAL push: ${segments.length} segments, each tool in turn`);
    const pushAll = (command: (segment: string) => Parameters<typeof measure>[0]) => {
      const steps = segments.map((name) => measure(command(path.join(archived, name))));
      const total = { wallMs: steps.reduce((s, m) => s + m.wallMs, 0), cpuMs: steps.reduce((s, m) => s + m.cpuMs, 0), peakRssMiB: Math.max(...steps.map((m) => m.peakRssMiB)) };
      return { ...step(total), perSecond: Math.round((segments.length / (total.wallMs / 1000)) * 100) / 100 };
    };
    const pgbackrestPush = pushAll((segment) => pgbackrest.archivePush(segment));
    const meridianPush = await attempt(() => pushAll((segment) => meridianWalPush(meridianRepo, segment)), log);

    log(`restore to ${target.target.toISOString()} (expect ${target.expectedMarkers} markers)`);
    // restore_command runs as the restored cluster's user
    await giveToPostgres(pgbackrest.repo);
    await giveToPostgres(meridianRepo);
    const expected = await restoredState(cluster);
    const check = async (tool: string, c: BenchCluster) => {
      const state = await restoredState(c);
      if (state.markers !== target.expectedMarkers || state.parcels !== expected.parcels) {
        throw new Error(`${tool} restored ${state.markers} markers / ${state.parcels} parcels, expected ${target.expectedMarkers} / ${expected.parcels}`);
      }
    };
    const pgbackrestDir = path.join(work, 'restore-pgbackrest');
    await giveToPostgres(pgbackrestDir);
    const pgbackrestCluster = await BenchCluster.adopt(pgbackrestDir);
    restored.push(pgbackrestCluster);
    const started = process.hrtime.bigint();
    const pgbackrestRestoreCommand = measure(pgbackrest.restoreToTime(pgbackrestDir, target.target));
    pgbackrestCluster.start();
    await waitForPromotion(pgbackrestCluster);
    const pgbackrestRestore = { ...step(pgbackrestRestoreCommand), wallMs: Math.round(Number(process.hrtime.bigint() - started) / 1e6) };
    await check('pgBackRest', pgbackrestCluster);
    pgbackrestCluster.stop();

    const meridianDir = path.join(work, 'restore-meridian');
    await giveToPostgres(meridianDir);
    const meridianCluster = await BenchCluster.adopt(meridianDir);
    restored.push(meridianCluster);
    const meridianRestore = await attempt(async () => {
      const restore = step(measure(meridianPgRestore(meridianRepo, target.target, meridianDir, meridianCluster.port)));
      await check('Meridian', meridianCluster);
      return restore;
    }, log);

    return {
      database: { bytes: generated.databaseBytes, parcels: generated.rows, changedParcels, walSegments: segments.length, walBytes },
      pgbackrest: { full, secondFull, incr, repoBytesAfterFull, repoBytesAfterSecond: repoBytesAfterSecond.pgbackrest, repoBytes: directoryUsage(pgbackrest.repo).bytes, walPush: pgbackrestPush, restore: pgbackrestRestore },
      meridian: { first, second, repoBytesAfterFirst, repoBytesAfterSecond: repoBytesAfterSecond.meridian, repoBytes: directoryUsage(meridianRepo).bytes, walPush: meridianPush, restore: meridianRestore },
      restoreTarget: { at: target.target.toISOString(), expectedMarkers: target.expectedMarkers, parcels: expected.parcels },
    };
  } finally {
    for (const c of [...restored, cluster]) c.stop();
  }
}

/** Polls until the restored cluster left recovery (reached its target and promoted). */
async function waitForPromotion(cluster: BenchCluster): Promise<void> {
  for (;;) {
    const ready = runChecked([path.join(pgBinDir(), 'psql'), '-h', cluster.dir, '-p', String(cluster.port), '-U', 'postgres', '-tAc', 'SELECT pg_is_in_recovery()']).trim();
    if (ready === 'f') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
const cpu = (outcome: Outcome<Step>) => ('failed' in outcome ? 'failed' : seconds(outcome.cpuMs));
/** Meridian's cell and the ratio to pgBackRest's, or the failure. */
const compared = <T extends object>(outcome: Outcome<T>, text: (t: T) => string, ratioOf: (t: T) => string): [string, string] =>
  'failed' in outcome ? [`failed: ${outcome.failed.slice(0, 80)}`, ''] : [text(outcome), ratioOf(outcome)];

export function pgBenchMarkdown(r: PgBenchResult, context: string): string {
  const { pgbackrest: p, meridian: m } = r;
  const rows: [string, string, string, string][] = [
    ['First base backup (pgBackRest: full)', seconds(p.full.wallMs), ...compared(m.first, (b) => seconds(b.wallMs), (b) => ratio(b.wallMs, p.full.wallMs))],
    [`Second base backup after ${(CHANGED_FRACTION * 100).toFixed(0)}% changed (pgBackRest: full)`, seconds(p.secondFull.wallMs), ...compared(m.second, (b) => seconds(b.wallMs), (b) => ratio(b.wallMs, p.full.wallMs))],
    ['(pgBackRest: incremental instead)', seconds(p.incr.wallMs), '', ''],
    ['Repository after the first backup', mb(p.repoBytesAfterFull), mb(r.meridian.repoBytesAfterFirst), ratio(m.repoBytesAfterFirst, p.repoBytesAfterFull)],
    ['Repository after the second (pgBackRest: full + full + incr)', mb(p.repoBytesAfterSecond), mb(m.repoBytesAfterSecond), ratio(m.repoBytesAfterSecond, p.repoBytesAfterSecond)],
    ['Repository at the end (the backups + the pushed WAL)', mb(p.repoBytes), mb(m.repoBytes), ratio(m.repoBytes, p.repoBytes)],
    [`WAL push, ${r.database.walSegments} segments one process each`, `${p.walPush.perSecond}/s`, ...compared(m.walPush, (w) => `${w.perSecond}/s`, (w) => ratio(w.perSecond, p.walPush.perSecond))],
    ['Restore to a time, started, recovered', seconds(p.restore.wallMs), ...compared(m.restore, (r) => seconds(r.wallMs), (r) => ratio(r.wallMs, p.restore.wallMs))],
  ];
  return [
    `PostgreSQL 15 + PostGIS: ${mb(r.database.bytes)} database, ${r.database.parcels} parcels, ${r.database.changedParcels} changed; ${r.database.walSegments} WAL segments (${mb(r.database.walBytes)}) pushed. ${context}`,
    '',
    '| | pgBackRest 2.45 (zstd, 2 processes) | Meridian | Meridian / pgBackRest |',
    '|---|---|---|---|',
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
    '',
    `CPU time: pgBackRest full ${seconds(p.full.cpuMs)}, Meridian first ${cpu(m.first)}, second ${cpu(m.second)}; WAL push ${seconds(p.walPush.cpuMs)} vs ${cpu(m.walPush)}.`,
    `Restore target ${r.restoreTarget.at}: ${'failed' in m.restore ? 'the pgBackRest' : 'both'} restored cluster${'failed' in m.restore ? '' : 's'} held exactly ${r.restoreTarget.expectedMarkers} of ${MARKERS} marker rows and ${r.restoreTarget.parcels} parcels.`,
    '',
  ].join('\n');
}

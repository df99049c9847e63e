// The PostGIS database the PostgreSQL benchmark backs up: parcels (buffered points: 33-vertex
// polygons) generated with SQL until the database reaches a size, a GiST index, then frozen so
// that only what the benchmark changes differs between two base backups; the 5% edit; and marker
// transactions whose commit times give a restore target with a known expected state.

import { setTimeout as sleep } from 'node:timers/promises';
import { BenchCluster } from './pgCluster.js';

const BATCH_ROWS = 100_000;

/** Inserts parcels in batches until the database holds `targetBytes`, indexes and freezes it. */
export async function generatePostgis(cluster: BenchCluster, targetBytes: number, log: (m: string) => void): Promise<{ rows: number; databaseBytes: number }> {
  return cluster.sql(async (db) => {
    await db.query('CREATE EXTENSION IF NOT EXISTS postgis');
    await db.query('CREATE TABLE parcels (id bigserial PRIMARY KEY, zone text NOT NULL, area_class int NOT NULL, geom geometry(Polygon, 3857) NOT NULL)');
    await db.query('CREATE TABLE markers (id serial PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())');
    await db.query('SELECT setseed(0.15)');
    const size = async () => Number((await db.query<{ bytes: string }>('SELECT pg_database_size(current_database()) AS bytes')).rows[0]!.bytes);
    let rows = 0;
    while ((await size()) < targetBytes) {
      await db.query(
        `INSERT INTO parcels (zone, area_class, geom)
         SELECT 'zone-' || (g % 977), (g % 12), ST_Buffer(ST_SetSRID(ST_MakePoint(random() * 2.0e6, random() * 2.0e6), 3857), 5 + random() * 80, 8)
         FROM generate_series(1, $1) AS g`,
        [BATCH_ROWS],
      );
      rows += BATCH_ROWS;
      if (rows % (BATCH_ROWS * 5) === 0) log(`postgis: ${rows} parcels, ${((await size()) / 1e6).toFixed(0)} MB`);
    }
    await db.query('CREATE INDEX parcels_geom ON parcels USING gist (geom)');
    await db.query('VACUUM (FREEZE, ANALYZE)');
    await db.query('CHECKPOINT');
    return { rows, databaseBytes: await size() };
  });
}

/** Moves and re-zones the first `fraction` of the parcels (one transaction), then checkpoints. */
export async function changeParcels(cluster: BenchCluster, rows: number, fraction: number): Promise<number> {
  const changed = Math.round(rows * fraction);
  await cluster.sql(async (db) => {
    await db.query("UPDATE parcels SET geom = ST_Translate(geom, 3, -2), zone = zone || '-moved' WHERE id <= $1", [changed]);
    await db.query('CHECKPOINT');
  });
  return changed;
}

/**
 * `count` marker transactions 50 ms apart; the target is a moment between the `count / 2`-th
 * commit and the next, so a restore to it holds exactly that many markers.
 */
export async function markerTransactions(cluster: BenchCluster, count: number): Promise<{ target: Date; expectedMarkers: number }> {
  const expectedMarkers = Math.floor(count / 2);
  let target: Date | undefined;
  await cluster.sql(async (db) => {
    for (let i = 1; i <= count; i++) {
      await db.query('INSERT INTO markers DEFAULT VALUES');
      // PostgreSQL's clock has microseconds, a Date milliseconds: rounded down, the target could fall
      // before the commit it follows (within the same millisecond); 1 ms more cannot reach the next one, 50 ms later.
      if (i === expectedMarkers) target = new Date((await db.query<{ now: Date }>('SELECT clock_timestamp() AS now')).rows[0]!.now.getTime() + 1);
      await sleep(50);
    }
  });
  return { target: target!, expectedMarkers };
}

/** Markers and parcels in a running (restored) cluster: what a restore to the target must show. */
export async function restoredState(cluster: BenchCluster): Promise<{ markers: number; parcels: number }> {
  return cluster.sql(async (db) => {
    const row = (await db.query<{ markers: number; parcels: number }>('SELECT (SELECT count(*) FROM markers)::int AS markers, (SELECT count(*) FROM parcels)::int AS parcels')).rows[0]!;
    return row;
  });
}

/** Forces a segment switch and waits until the archiver has archived it (all WAL up to now is archived). */
export async function archiveEverything(cluster: BenchCluster): Promise<void> {
  await cluster.sql(async (db) => {
    const switched = (await db.query<{ wal: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS wal')).rows[0]!.wal;
    for (;;) {
      const archived = (await db.query<{ last: string | null }>('SELECT last_archived_wal AS last FROM pg_stat_archiver')).rows[0]!.last;
      if (archived !== null && archived >= switched) return;
      await sleep(200);
    }
  });
}

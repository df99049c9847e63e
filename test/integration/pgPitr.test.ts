// PostgreSQL + PostGIS restore to a time: 200+ transactions inserting and updating geometries, WAL
// archived by `meridian pg wal-push`, base backups before and in the middle of the workload, then
// restores at 10 random moments, five from each base backup, each holding exactly the rows
// committed by then (checksum over ST_AsEWKB of the ordered rows) and archiving off, a target past
// the archived WAL refused naming the interval, and a segment deleted from the archive reported
// by the chain check and refused by a restore that needs it.

import path from 'node:path';
import { listPgBackups, pgBaseBackup } from '../../core/pgBaseBackup';
import { deleteWal } from '../../core/walArchive';
import { checkWalChain } from '../../core/walChain';
import { planPgRestore, restorePg, startRecoveredCluster } from '../../core/pgRestore';
import { Repository } from '../../core/repository';
import { LocalStorage } from '../../storage/local';
import { freePorts } from '../../worker/freePorts';
import { projectRoot } from '../helpers/meridianCli';
import { eventually } from '../helpers/polling';
import { giveToPostgres, stopCluster, TestCluster, withClient } from '../helpers/postgres';
import { SeededRandom } from '../helpers/seededRandom';
import { tempDir } from '../helpers/trees';

jest.setTimeout(15 * 60_000);
const PASSWORD = 'pg pitr test';
const CHECKSUM = "SELECT md5(coalesce(string_agg(id || ':' || v || ':' || encode(ST_AsEWKB(geom), 'hex'), ',' ORDER BY id), '')) AS sum FROM parcels";
const meridian = path.join(projectRoot, 'bin', 'meridian.js');
/** Moments restored, alternately from the first base backup and from the one in the middle. */
const ROUNDS = 10;
const MIDDLE_BACKUP_TX = 110;

describe('PostgreSQL restore to a time', () => {
  const work = tempDir('pg-pitr');
  const repoDir = path.join(work, 'repo');
  const command = (verb: string) => `${process.execPath} ${meridian} pg ${verb} --repo ${repoDir} --cluster main`;
  let cluster: TestCluster;
  let repo: Repository;
  const restored: string[] = [];
  /** After each transaction: when it had committed, when the next began, the checksum then. */
  const commits: { after: number; nextStart: number; sum: string }[] = [];

  beforeAll(async () => {
    process.env.MERIDIAN_PASSWORD = PASSWORD;
    giveToPostgres(work);
    repo = await Repository.init(new LocalStorage(repoDir), PASSWORD, {});
    giveToPostgres(repoDir);
    cluster = await TestCluster.create(path.join(work, 'data'), `${command('wal-push')} %p`, { MERIDIAN_PASSWORD: PASSWORD });
  });

  afterAll(() => {
    for (const dir of restored) stopCluster(dir);
    cluster?.stop();
  });

  it(`restores ${ROUNDS} random moments exactly and refuses a target past the archived WAL`, async () => {
    const seeded = new SeededRandom(15);
    const random = () => seeded.float();
    await cluster.sql((c) => c.query('CREATE TABLE parcels (id int PRIMARY KEY, v int NOT NULL, geom geometry(Polygon, 4326) NOT NULL)'));
    const backup = async () => {
      await pgBaseBackup(repo, { cluster: 'main', pgdata: cluster.dir });
      giveToPostgres(repoDir);
    };
    await backup();
    await cluster.sql(async (c) => {
      let rows = 0;
      for (let tx = 0; tx < 220; tx++) {
        if (tx === MIDDLE_BACKUP_TX) await backup();
        const start = Date.now();
        if (commits.length > 0) commits[commits.length - 1]!.nextStart = start;
        await c.query('BEGIN');
        if (rows < 20 || random() < 0.5) {
          rows++;
          await c.query('INSERT INTO parcels VALUES ($1, $2, ST_Buffer(ST_SetSRID(ST_MakePoint($3, $4), 4326), $5, 8))', [rows, tx, random() * 360 - 180, random() * 170 - 85, 0.01 + random()]);
        } else {
          await c.query('UPDATE parcels SET v = $1, geom = ST_Translate(geom, $2, $3) WHERE id = $4', [tx, random() - 0.5, random() - 0.5, 1 + Math.floor(random() * rows)]);
        }
        await c.query('COMMIT');
        const after = Date.now();
        const sum = (await c.query<{ sum: string }>(CHECKSUM)).rows[0]!.sum;
        commits.push({ after, nextStart: Infinity, sum });
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
      // The last segment is archived too, so every commit is in the archive.
      await c.query('INSERT INTO parcels VALUES (0, -1, ST_Buffer(ST_SetSRID(ST_MakePoint(0, 0), 4326), 1, 8))');
      const { rows: [last] } = await c.query<{ wal: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS wal');
      await eventually('the last WAL segment archived', async () => {
        const { rows: [archiver] } = await c.query<{ last: string | null }>('SELECT last_archived_wal AS last FROM pg_stat_archiver');
        return archiver!.last !== null && archiver!.last >= last!.wal ? true : undefined;
      }, 120_000, 500);
    });

    const firstStop = (await planPgRestore(repo, { cluster: 'main', targetTime: new Date(Date.now() - 1000) })).covered.from;
    const eligible = (c: (typeof commits)[number]) => c.after > Date.parse(firstStop) + 50 && c.nextStart - c.after > 6;
    // Commits before the middle base backup restore from the first one, later ones from the middle one.
    const fromBackup = [commits.slice(0, MIDDLE_BACKUP_TX).filter(eligible), commits.slice(MIDDLE_BACKUP_TX).filter(eligible)];
    const baseBackupIds = (await listPgBackups(repo, 'main')).map((b) => b.id);
    expect(baseBackupIds).toHaveLength(2);
    for (let round = 0; round < ROUNDS; round++) {
      const candidates = fromBackup[round % 2]!;
      const commit = candidates[Math.floor(random() * candidates.length)]!;
      const target = new Date(commit.after + 2 + Math.floor(random() * (commit.nextStart - commit.after - 4)));
      const dir = path.join(work, `restore-${round}`);
      giveToPostgres(dir);
      restored.push(dir);
      const { snapshotId } = await restorePg(repo, { cluster: 'main', targetTime: target, targetDir: dir, targetAction: 'pause', restoreCommand: `${command('wal-fetch')} %f %p` });
      expect(snapshotId).toBe(baseBackupIds[round % 2]);
      const [port] = (await freePorts(1)) as [number];
      await startRecoveredCluster({ targetDir: dir, port, timeoutMs: 120_000 });
      const { sum, archiveMode } = await withClient(dir, port, async (c) => ({
        sum: (await c.query<{ sum: string }>(CHECKSUM)).rows[0]!.sum,
        archiveMode: (await c.query<{ archive_mode: string }>('SHOW archive_mode')).rows[0]!.archive_mode,
      }));
      expect(archiveMode).toBe('off'); // the copy never archives into the source cluster's WAL
      expect({ target: target.toISOString(), sum }).toEqual({ target: target.toISOString(), sum: commit.sum });
      stopCluster(dir);
    }

    const late = new Date(Date.now() + 3_600_000);
    await expect(planPgRestore(repo, { cluster: 'main', targetTime: late })).rejects.toThrow(/is outside what cluster "main" can be restored to: \S+ to \S+/);

    // The newest base backup's first segment lost from the archive: the chain check names it and a
    // restore from that backup (the newest moment) is refused up front, naming it too.
    const newestBackup = (await listPgBackups(repo, 'main')).pop()!;
    const lost = newestBackup.pg.startWal;
    await deleteWal(repo, { cluster: 'main', walName: lost });
    const chain = await checkWalChain(repo, 'main', [lost]);
    expect(chain.gaps).toEqual([expect.objectContaining({ missing: lost })]);
    await expect(planPgRestore(repo, { cluster: 'main', targetTime: new Date(commits[commits.length - 1]!.after) })).rejects.toThrow(new RegExp(`segment ${lost} is missing`));
  });
});

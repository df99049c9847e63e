// PostgreSQL restore without PostgreSQL: the configuration a restore writes (a base backup snapshot
// carrying the `pg` field, WAL stored with pushWal), and startRecoveredCluster against a stand-in
// pg_ctl (MERIDIAN_PG_BIN) that records its calls: a refused connection's FATAL line while the
// server runs is no failed recovery, a stopped server is one, and the timeout, cancellation and a
// stopped server each stop it.

import fs from 'node:fs';
import path from 'node:path';
import { backup } from '../../core/archiver';
import { restorePg, startRecoveredCluster } from '../../core/pgRestore';
import { Repository } from '../../core/repository';
import { pushWal } from '../../core/walArchive';
import { LocalStorage } from '../../storage/local';
import { giveToPostgres } from '../helpers/postgres';
import { tempDir, writeTree } from '../helpers/trees';

const segment = (n: number) => `00000001000000000000000${n}`;

describe('pg restore configuration', () => {
  it('turns archiving off in the restored cluster, whose archive_command is the source cluster\'s', async () => {
    const work = tempDir('pg-restore-conf');
    const repo = await Repository.init(new LocalStorage(path.join(work, 'repo')), 'pg restore');
    const pgdata = path.join(work, 'pgdata');
    writeTree(pgdata, { smallFiles: 2 });
    fs.writeFileSync(path.join(pgdata, 'postgresql.auto.conf'), "archive_command = 'meridian pg wal-push %p'\n");
    const at = new Date(Date.now() - 60_000).toISOString();
    const info = { cluster: 'main', systemIdentifier: '7300000000000000001', pgVersion: 15, timeline: 1, walSegmentSize: 1 << 20, startWal: segment(3), startLsn: '0/300028', stopWal: segment(3), stopLsn: '0/300100', startTime: at, stopTime: at };
    await backup(repo, { source: pgdata, sourceName: 'pg:main', pg: info, type: 'full', tags: ['pg-base-backup'] });
    for (const n of [3, 4]) await pushWal(repo, { cluster: 'main', walName: segment(n), bytes: new Uint8Array(1 << 20).fill(n) });
    const targetDir = path.join(work, 'restored');
    await restorePg(repo, { cluster: 'main', targetTime: new Date(Date.now() - 30_000), targetDir, targetAction: 'pause', restoreCommand: 'fetch %f %p' });
    const conf = fs.readFileSync(path.join(targetDir, 'postgresql.auto.conf'), 'utf8');
    expect(conf).toMatch(/^archive_mode = 'off'$/m);
    expect(conf.indexOf("archive_mode = 'off'")).toBeGreaterThan(conf.indexOf('archive_command'));
  });
});

describe('startRecoveredCluster', () => {
  const work = tempDir('pg-start');
  const bin = path.join(work, 'bin');
  const calls = path.join(work, 'calls');
  const status = path.join(work, 'status');
  const startLog = path.join(work, 'start.log');
  const previousBin = process.env.MERIDIAN_PG_BIN;
  let round = 0;

  beforeAll(() => {
    fs.mkdirSync(bin);
    // pg_ctl start writes start.log as the server's log (-l, its 4th argument); status exits with the code in `status`.
    const script = `#!/bin/sh\necho "$*" >> ${calls}\ncase "$*" in\n  *start) cat ${startLog} > "$4" ;;\n  *status) exit $(cat ${status}) ;;\nesac\n`;
    fs.writeFileSync(path.join(bin, 'pg_ctl'), script, { mode: 0o755 });
    process.env.MERIDIAN_PG_BIN = bin;
  });

  afterAll(() => {
    if (previousBin === undefined) delete process.env.MERIDIAN_PG_BIN;
    else process.env.MERIDIAN_PG_BIN = previousBin;
  });

  /** A fresh target directory, the server's log and status as given; `start` runs against them. */
  function setUp(log: string, exitOfStatus: number): string {
    const dir = path.join(work, `restored-${round++}`);
    fs.writeFileSync(startLog, log);
    fs.writeFileSync(status, String(exitOfStatus));
    fs.writeFileSync(calls, '');
    giveToPostgres(work);
    fs.mkdirSync(dir);
    giveToPostgres(dir);
    return dir;
  }

  const stopped = () => fs.readFileSync(calls, 'utf8').split('\n').some((line) => / -m fast -w stop$/.test(line));
  const fatalOfProbe = '2026-11-30 10:00:00.000 UTC [123] FATAL:  role "postgres" does not exist\n';

  it('takes a refused connection of a running server for no failure, and stops the server at the timeout', async () => {
    const dir = setUp(fatalOfProbe, 0);
    await expect(startRecoveredCluster({ targetDir: dir, port: 1, timeoutMs: 1000 })).rejects.toThrow(/did not reach its target within 1000 ms \(last probe: /);
    expect(stopped()).toBe(true);
  });

  it('gives up at once when cancelled, and stops the server', async () => {
    const dir = setUp('', 0);
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(), 300);
    const started = Date.now();
    await expect(startRecoveredCluster({ targetDir: dir, port: 1, timeoutMs: 60_000, signal: cancel.signal })).rejects.toThrow(/abort/i);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(stopped()).toBe(true);
  }, 30_000);

  it('reports the last FATAL line once the server has stopped, and still runs the stop', async () => {
    const dir = setUp(`${fatalOfProbe}2026-11-30 10:00:01.000 UTC [124] FATAL:  could not restore file "000000010000000000000004" from archive\n`, 3);
    await expect(startRecoveredCluster({ targetDir: dir, port: 1, timeoutMs: 60_000 })).rejects.toThrow('[pg] recovery failed: could not restore file "000000010000000000000004" from archive');
    expect(stopped()).toBe(true);
  });

  it('reports a server that stopped without a FATAL line at once', async () => {
    const dir = setUp('', 3);
    await expect(startRecoveredCluster({ targetDir: dir, port: 1, timeoutMs: 60_000 })).rejects.toThrow(/^\[pg\] recovery failed: PostgreSQL stopped \(its log: .*meridian-recovery\.log\)$/);
    expect(stopped()).toBe(true);
  });
});

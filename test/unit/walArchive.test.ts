// WAL archive and chain: push/fetch round trips sealed on disk, idempotent repeats, refused
// conflicts, segment name arithmetic, gaps across timelines (history files) and retention (its
// list of deleted files capped).

import fs from 'node:fs';
import path from 'node:path';
import { pgBaseBackup } from '../../core/pgBaseBackup';
import { MAX_LISTED_DIFFERENCES } from '../../core/replicaCompare';
import { Repository } from '../../core/repository';
import { fetchWal, listWal, pushWal } from '../../core/walArchive';
import { checkWalChain, parseHistory, parseSegmentName, pruneWal, segmentName, segmentOfLsn } from '../../core/walChain';
import { LocalStorage } from '../../storage/local';
import { pseudoRandomBytes, tempDir } from '../helpers/trees';

const MiB = 1024 * 1024;
const SEG = 1 * MiB; // initdb --wal-segsize=1, as the tests' clusters

async function newRepo(): Promise<{ repo: Repository; dir: string }> {
  const dir = tempDir('wal-repo');
  return { repo: await Repository.init(new LocalStorage(dir), 'wal tests'), dir };
}

/** A segment whose content says which one it is (compressible, like real WAL with its zero tail). */
function segmentBytes(name: string, seed = 1): Uint8Array {
  const bytes = Buffer.alloc(SEG);
  pseudoRandomBytes(64 * 1024, seed + parseInt(name.slice(16), 16)).forEach((b, i) => (bytes[i] = b));
  bytes.write(name, 0);
  return bytes;
}

async function pushAll(repo: Repository, names: string[]): Promise<void> {
  for (const walName of names) {
    await pushWal(repo, { cluster: 'main', walName, bytes: walName.endsWith('.history') ? Buffer.from(historyOf[walName]!) : segmentBytes(walName) });
  }
}

const historyOf: Record<string, string> = {
  // Timeline 2 branched off timeline 1 inside segment 1/5 (LSN 0/580000 with 1 MiB segments).
  '00000002.history': '1\t0/580000\tbefore 2026-01-01 00:00:00+00\n',
};

const seg = (tl: number, segno: number) => segmentName({ timeline: tl, segno: BigInt(segno) }, SEG);

describe('WAL archive', () => {
  it('stores a segment sealed and compressed, fetches it whole, and treats a repeat as a no-op', async () => {
    const { repo, dir } = await newRepo();
    const bytes = segmentBytes('000000010000000000000003');
    expect(await pushWal(repo, { cluster: 'main', walName: '000000010000000000000003', bytes })).toBe('stored');
    expect(await pushWal(repo, { cluster: 'main', walName: '000000010000000000000003', bytes })).toBe('already-stored');
    const stored = fs.readFileSync(path.join(dir, 'wal', fs.readdirSync(path.join(dir, 'wal'))[0]!));
    expect(stored.length).toBeLessThan(bytes.length / 4);
    expect(stored.includes(Buffer.from('000000010000000000000003'))).toBe(false); // encrypted
    expect(Buffer.from((await fetchWal(repo, { cluster: 'main', walName: '000000010000000000000003' }))!).equals(bytes)).toBe(true);
    expect(await fetchWal(repo, { cluster: 'main', walName: '000000010000000000000004' })).toBeUndefined();
    expect(await fetchWal(repo, { cluster: 'other', walName: '000000010000000000000003' })).toBeUndefined();
    expect((await listWal(repo, 'main')).map((w) => w.walName)).toEqual(['000000010000000000000003']);
  });

  it('refuses other content under an archived name, and names that are no WAL file', async () => {
    const { repo } = await newRepo();
    await pushWal(repo, { cluster: 'main', walName: '000000010000000000000003', bytes: segmentBytes('000000010000000000000003') });
    await expect(pushWal(repo, { cluster: 'main', walName: '000000010000000000000003', bytes: segmentBytes('000000010000000000000003', 9) })).rejects.toThrow(/different content/);
    await expect(pushWal(repo, { cluster: 'main', walName: '../x', bytes: Buffer.from('x') })).rejects.toThrow(/not a WAL file name/);
    await expect(pushWal(repo, { cluster: 'a.b', walName: '00000001.history', bytes: Buffer.from('x') })).rejects.toThrow(/cluster name/);
    // The same rule as base backups: one whose WAL could never be pushed is refused up front.
    await expect(pgBaseBackup(repo, { cluster: 'a.b', dsn: 'postgresql://db.example/postgres' })).rejects.toThrow('[pg] cluster name "a.b" must be 1 to 63 letters, digits, "_" or "-", starting with a letter or digit');
  });

  it('detects a truncated or altered archived file', async () => {
    const { repo, dir } = await newRepo();
    await pushWal(repo, { cluster: 'main', walName: '000000010000000000000003', bytes: segmentBytes('000000010000000000000003') });
    const file = path.join(dir, 'wal', 'main.000000010000000000000003');
    fs.truncateSync(file, fs.statSync(file).size - 10);
    await expect(fetchWal(repo, { cluster: 'main', walName: '000000010000000000000003' })).rejects.toThrow(/integrity/);
  });
});

describe('WAL chain', () => {
  it('names segments for a wal_segment_size', () => {
    expect(segmentName({ timeline: 1, segno: 0x1003n }, SEG)).toBe('000000010000000100000003');
    expect(segmentName({ timeline: 3, segno: 0x103n }, 16 * MiB)).toBe('000000030000000100000003');
    expect(parseSegmentName('000000030000000100000003', 16 * MiB)).toEqual({ timeline: 3, segno: 0x103n });
    expect(segmentOfLsn('1/3000028', 16 * MiB)).toBe(0x103n);
    expect(parseHistory(historyOf['00000002.history']!)).toEqual([{ parent: 1, switchLsn: 0x580000n }]);
  });

  it('finds no gap in a whole chain across a timeline switch, and names each missing run', async () => {
    const { repo } = await newRepo();
    const chain = [seg(1, 2), seg(1, 3), seg(1, 4), seg(2, 5), seg(2, 6), seg(2, 7), seg(2, 8), '00000002.history'];
    await pushAll(repo, [...chain, seg(1, 5), seg(1, 6)]); // timeline 1 beyond the switch: not on the path
    expect(await checkWalChain(repo, 'main', [seg(1, 2)])).toEqual({ cluster: 'main', newest: seg(2, 8), gaps: [], checkedFrom: [seg(1, 2)] });

    const { repo: holey } = await newRepo();
    await pushAll(holey, chain.filter((n) => n !== seg(1, 3) && n !== seg(2, 6) && n !== seg(2, 7)));
    const report = await checkWalChain(holey, 'main', [seg(1, 2), seg(1, 4)]);
    expect(report.gaps).toEqual([
      { after: seg(1, 2), missing: seg(1, 3) },
      { after: seg(2, 5), missing: seg(2, 6), through: seg(2, 7) },
    ]);
  });

  it('reports a missing history file of the newest timeline, and missing start segments', async () => {
    const { repo } = await newRepo();
    await pushAll(repo, [seg(1, 2), seg(2, 5)]);
    expect((await checkWalChain(repo, 'main', [seg(1, 2)])).gaps).toEqual([{ after: seg(2, 5), missing: '00000002.history' }]);
    const { repo: empty } = await newRepo();
    expect((await checkWalChain(empty, 'main', [seg(1, 2)])).gaps).toEqual([{ after: seg(1, 2), missing: seg(1, 2) }]);
  });

  it('keeps the WAL from the earliest kept base backup on, and history files', async () => {
    const { repo } = await newRepo();
    await pushAll(repo, [seg(1, 2), seg(1, 3), seg(1, 4), seg(2, 5), '00000002.history']);
    await pushWal(repo, { cluster: 'main', walName: `${seg(1, 3)}.00000028.backup`, bytes: Buffer.from('label') });
    expect(await pruneWal(repo, 'main', [seg(1, 4)], { dryRun: true })).toEqual({ deleted: [seg(1, 2), seg(1, 3), `${seg(1, 3)}.00000028.backup`], deletedCount: 3 });
    expect((await listWal(repo, 'main')).length).toBe(6);
    await pruneWal(repo, 'main', [seg(2, 5), seg(1, 4)], {});
    expect((await listWal(repo, 'main')).map((w) => w.walName)).toEqual([seg(1, 4), '00000002.history', seg(2, 5)]);
    expect(await pruneWal(repo, 'main', [], {})).toEqual({ deleted: [], deletedCount: 0 });
  });

  it('names at most MAX_LISTED_DIFFERENCES deleted WAL files (they go through workflow history) and counts them all', async () => {
    const { repo } = await newRepo();
    const old = Array.from({ length: MAX_LISTED_DIFFERENCES + 10 }, (_, i) => seg(1, i + 1));
    for (const walName of old) await pushWal(repo, { cluster: 'main', walName, bytes: Buffer.from(walName) });
    await pushWal(repo, { cluster: 'main', walName: seg(1, 100), bytes: Buffer.from('kept') });
    expect(await pruneWal(repo, 'main', [seg(1, 100)], {})).toEqual({ deleted: old.slice(0, MAX_LISTED_DIFFERENCES), deletedCount: old.length });
    expect((await listWal(repo, 'main')).map((w) => w.walName)).toEqual([seg(1, 100)]);
  });
});

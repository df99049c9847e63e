// `backup --time` and the API's `time`: ISO 8601 times are read exactly, a time without a zone
// is local, impossible dates are refused rather than rolled over, and the snapshot records it.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BackupRequestSchema } from '../../api/schemas';
import { backup } from '../../core/archiver';
import { Repository } from '../../core/repository';
import { listSnapshots } from '../../core/snapshots';
import { parseSnapshotTime } from '../../core/snapshotTime';
import { MemoryStorage } from '../../storage/memory';

describe('parseSnapshotTime', () => {
  it.each([
    ['2026-11-30T02:15:00Z', '2026-11-30T02:15:00.000Z'],
    ['2026-11-30T02:15:00.123456z', '2026-11-30T02:15:00.123Z'],
    ['2026-11-30T03:15:00+01:00', '2026-11-30T02:15:00.000Z'],
    ['2026-11-29T21:45-04:30', '2026-11-30T02:15:00.000Z'],
    ['2026-11-30 07:45:00+0530', '2026-11-30T02:15:00.000Z'],
    ['2024-02-29T00:00:00-00', '2024-02-29T00:00:00.000Z'],
  ])('reads %s as %s', (text, iso) => {
    expect(parseSnapshotTime(text)?.toISOString()).toBe(iso);
  });

  it('takes a time without a zone as local time, unless a zone is required', () => {
    expect(parseSnapshotTime('2026-07-01T12:30:05')?.getTime()).toBe(new Date(2026, 6, 1, 12, 30, 5).getTime());
    expect(parseSnapshotTime('2026-07-01')?.getTime()).toBe(new Date(2026, 6, 1).getTime());
    expect(parseSnapshotTime('2026-07-01T12:30:05', { requireZone: true })).toBeUndefined();
  });

  it.each(['2026-02-30T00:00:00Z', '2025-02-29', '2026-13-01T00:00:00Z', '2026-11-30T24:00:00Z', '2026-11-30T10:60Z', '2026-11-30T10:00:61Z', '2026-11-30T10:00+25:00', '0099-01-01T00:00:00Z', 'yesterday', '1700000000', '2026-11-30T10'])('refuses %s', (text) => {
    expect(parseSnapshotTime(text)).toBeUndefined();
  });
});

it('the API sends the workflow a backup time in UTC', () => {
  expect(BackupRequestSchema.parse({ repo: '/srv/repo', path: '/data', time: '2026-11-30T03:15:00+01:00' }).time).toBe('2026-11-30T02:15:00.000Z');
});

it('a backup given a time records it, and its parent is the latest snapshot by that time', async () => {
  const source = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-time-'));
  fs.writeFileSync(path.join(source, 'a.txt'), 'a');
  try {
    const repo = await Repository.init(new MemoryStorage(), undefined, { encryption: false });
    const first = await backup(repo, { source, type: 'incremental', threads: 0, time: new Date('2020-01-01T00:00:00Z') });
    const second = await backup(repo, { source, type: 'incremental', threads: 0, time: new Date('2019-06-01T12:00:00Z') });
    expect((await listSnapshots(repo)).map((s) => [s.id, s.time])).toEqual([
      [second.snapshotId, '2019-06-01T12:00:00.000Z'],
      [first.snapshotId, '2020-01-01T00:00:00.000Z'],
    ]);
    expect(second.parent).toBe(first.snapshotId);
    await expect(backup(repo, { source, type: 'full', threads: 0, time: new Date('nonsense') })).rejects.toThrow('the snapshot time is not a valid date');
  } finally {
    fs.rmSync(source, { recursive: true, force: true });
  }
});

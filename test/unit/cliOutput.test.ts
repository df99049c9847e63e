// What the CLI prints for people (cli/output.ts): sizes and durations at the boundaries where
// rounding used to pick the wrong unit (1024.0 KiB, 60.0 s, 60 min 0 s), and counts with the
// right plural; and the rate of the progress line (cli/rateMeter.ts).

import { count, formatBytes, formatDuration } from '../../cli/output';
import { RateMeter } from '../../cli/rateMeter';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.00 KiB'],
    [10 * KiB - 6, '9.99 KiB'], // 9.994…
    [10 * KiB - 1, '10.0 KiB'], // 9.999… rounds to 10: one decimal, as every value from 10 on
    [512 * KiB, '512.0 KiB'],
    [MiB - 103, '1023.9 KiB'],
    [MiB - 1, '1.00 MiB'], // 1023.999 KiB would print as 1024.0 KiB
    [MiB, '1.00 MiB'],
    [1024 * MiB - 1, '1.00 GiB'],
    [1.5 * 1024 * 1024 * MiB, '1.50 TiB'],
  ])('%i → %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0 ms'],
    [999, '999 ms'],
    [999.6, '1.0 s'], // rounds to 1000 ms
    [1000, '1.0 s'],
    [59_949, '59.9 s'],
    [59_999, '1 min 0 s'], // printed 60.0 s
    [60_000, '1 min 0 s'],
    [61_499, '1 min 1 s'],
    [3_599_000, '59 min 59 s'],
    [3_599_600, '1 h 0 min'], // 59 min 59.6 s rounds to an hour
    [3_600_000, '1 h 0 min'], // printed 60 min 0 s
    [3_629_999, '1 h 0 min'],
    [3_630_000, '1 h 1 min'],
    [26 * 3_600_000 + 5 * 60_000, '26 h 5 min'],
  ])('%p ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('count', () => {
  it('uses the singular for exactly one and the plural otherwise', () => {
    expect([0, 1, 2].map((n) => count(n, 'file'))).toEqual(['0 files', '1 file', '2 files']);
    expect([0, 1, 2].map((n) => count(n, 'directory', 'directories'))).toEqual(['0 directories', '1 directory', '2 directories']);
  });
});

describe('RateMeter', () => {
  it('takes the rate between the moments the count changed (heartbeats), not the polls in between', () => {
    const meter = new RateMeter();
    expect(meter.sample('bytes', 0, 0)).toBeUndefined();
    expect(meter.sample('bytes', 0, 500)).toBeUndefined(); // no change yet
    expect(meter.sample('bytes', 16_000, 8000)).toBe(2000);
    expect(meter.sample('bytes', 16_000, 15_500)).toBe(2000); // polled again, nothing new: the same rate
    expect(meter.sample('bytes', 48_000, 16_000)).toBe(3000);
  });

  it('forgets changes older than the window, and gives no rate after half a minute without one', () => {
    const meter = new RateMeter();
    meter.sample('bytes', 0, 0);
    meter.sample('bytes', 10_000, 10_000);
    meter.sample('bytes', 20_000, 20_000);
    // From the newest change at least 30 s old: at t = 10 s once t = 40 s.
    expect(meter.sample('bytes', 120_000, 40_000)).toBe((120_000 - 10_000) / 30);
    expect(meter.sample('bytes', 120_000, 70_000)).toBe((120_000 - 20_000) / 20); // the window moved on: from t = 20 s
    expect(meter.sample('bytes', 120_000, 70_001)).toBeUndefined(); // stalled
  });

  it('starts over when the kind changes or the count goes back', () => {
    const meter = new RateMeter();
    meter.sample('phase trees', 0, 0);
    expect(meter.sample('phase trees', 10, 5000)).toBe(2);
    expect(meter.sample('phase packs', 0, 6000)).toBeUndefined();
    expect(meter.sample('phase packs', 30, 9000)).toBe(10);
    expect(meter.sample('phase packs', 5, 10_000)).toBeUndefined(); // a retried activity starting again
  });
});

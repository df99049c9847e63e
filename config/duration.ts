// A duration in meridian.yaml: `90s`, `10m`, `1h`, `2d` (whole units), parsed to milliseconds.

import { z } from 'zod';

/** A duration such as `90s`, `10m`, `1h`, `2d` (whole units), as milliseconds. */
export const DurationMs = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 90s, 10m, 1h or 2d')
  .transform((text) => {
    const [, amount, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(text)!;
    const scale = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit as 'ms' | 's' | 'm' | 'h' | 'd'];
    return Number(amount) * scale;
  });

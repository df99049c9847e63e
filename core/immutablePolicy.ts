// An immutable repository's policy: every file is locked (S3 Object Lock) for `days` after it is
// written, and maintenance keeps the files that snapshots still need locked that far ahead.
// `governance`: a principal granted s3:BypassGovernanceRetention can still delete; `compliance`:
// nobody can, the account's root user included, until the retention ends.

import { z } from 'zod';
import { IMMUTABLE_MODES } from './optionChoices.js';

export const ImmutablePolicySchema = z.strictObject({
  days: z.int().min(1).max(36500),
  mode: z.enum(IMMUTABLE_MODES),
});
export type ImmutablePolicy = z.infer<typeof ImmutablePolicySchema>;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * How often maintenance runs (at least), and how far past the guarantee it extends a retention:
 * run every interval and extend to now + days + 2 intervals whatever ends before now + days +
 * interval, and every file in use is locked until at least `days` after any moment in between.
 */
export function renewalIntervalMs(policy: ImmutablePolicy): number {
  return Math.max(1, Math.ceil(policy.days / 4)) * DAY_MS;
}

export const daysMs = (days: number) => days * DAY_MS;

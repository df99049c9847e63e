// The schedule templates of meridian.yaml and the cron expression each stands for, evaluated by
// Temporal in the schedule's time zone (default UTC). Operators who need another time write
// `cron:` instead; `jitter:` spreads a fleet's starts after each fire time.

import type { Template } from '../config/schema.js';

/** Template → five-field cron (minute hour day-of-month month day-of-week). */
export const TEMPLATE_CRON: Readonly<Record<Template, string>> = {
  /** Every hour on the hour. */
  hourly: '0 * * * *',
  /** Every day at 02:00. */
  daily: '0 2 * * *',
  /** Every Sunday at 03:00. */
  weekly: '0 3 * * 0',
  /** The first of every month at 04:00. */
  monthly: '0 4 1 * *',
};

/** The default catch-up window: how late a run missed while Temporal was down still starts. */
export const DEFAULT_CATCHUP_WINDOW_MS = 3_600_000;

/** The default overlap policy: a run still going when the next is due makes Temporal skip the new one. */
export const DEFAULT_OVERLAP = 'skip' as const;

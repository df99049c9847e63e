// The SLA monitor (`sla-monitor`) as `meridian apply` keeps it: its settings resolved from
// meridian.yaml (an SLA's `repositories` become their sources, minutes become seconds, the
// monitoring interval), started when the file has sources or SLAs and none runs, signalled to
// reload when the settings it was given last (its latest reload signal, else its memo, which it
// keeps current across continue-as-new) differ (its violations and compliance stay),
// terminated when the file has neither and apply started it from this same file.

import type { Client } from '@temporalio/client';
import type { MeridianConfig } from '../config/schema.js';
import { SLA_MONITOR_WORKFLOW_ID, SLA_SETTINGS_MEMO, reloadSlasSignal, type SlaDefinition, type SlaMonitorInput } from '../workflows/slaDefs.js';
import { MANAGED_BY } from './applyPlan.js';
import { canonicalJson } from './desired.js';
import { lastSignalled, runningWorkflow, startLongRunning, stopLongRunning } from './longRunningWorkflows.js';

/** The workflow type of the SLA monitor (workflows/sla.ts). */
export const SLA_MONITOR_WORKFLOW = 'slaMonitorWorkflow';

/** monitoring.slaInterval's default. */
export const DEFAULT_SLA_INTERVAL_SECONDS = 60;
/** rtoTestedWithin's default: 30 days. */
export const DEFAULT_RTO_TESTED_WITHIN_SECONDS = 30 * 86_400;

export type SlaMonitorAction = 'start' | 'running' | 'reload' | 'stop' | 'none';

export interface SlaMonitorPlan {
  workflowId: string;
  action: SlaMonitorAction;
  why: string;
  settings?: Omit<SlaMonitorInput, 'carried'>;
}

/** The monitor's settings from `config`: every SLA resolved, every source and repository. */
export function slaMonitorSettings(config: MeridianConfig): Omit<SlaMonitorInput, 'carried'> {
  const slas = Object.entries(config.slas).map(([name, entry]): SlaDefinition => {
    const sources = entry.sources ?? Object.keys(config.sources).filter((source) => entry.repositories!.includes(config.sources[source]!.repository));
    return {
      name,
      enabled: entry.enabled,
      sources,
      rpoSeconds: entry.rpoMinutes * 60,
      rtoSeconds: entry.rtoMinutes * 60,
      rtoTestedWithinSeconds: entry.rtoTestedWithin !== undefined ? entry.rtoTestedWithin / 1000 : DEFAULT_RTO_TESTED_WITHIN_SECONDS,
      ...(entry.notify ? { notify: entry.notify } : {}),
      ...(entry.runbooks ? { runbooks: entry.runbooks } : {}),
    };
  });
  const intervalMs = config.monitoring?.slaInterval;
  return { slas, sources: Object.keys(config.sources), repositories: Object.keys(config.repositories), intervalSeconds: intervalMs !== undefined ? intervalMs / 1000 : DEFAULT_SLA_INTERVAL_SECONDS };
}

/** What apply does to the SLA monitor for `config` (read from `configFile`). */
export async function planSlaMonitor(client: Client, config: MeridianConfig, configFile: string): Promise<SlaMonitorPlan> {
  const workflowId = SLA_MONITOR_WORKFLOW_ID;
  const wanted = Object.keys(config.slas).length > 0 || Object.keys(config.sources).length > 0;
  const running = await runningWorkflow(client, workflowId);
  if (!wanted) {
    const owned = running?.memo.managedBy === MANAGED_BY && running.memo.config === configFile;
    return owned ? { workflowId, action: 'stop', why: 'meridian.yaml has no sources or SLAs' } : { workflowId, action: 'none', why: 'meridian.yaml has no sources or SLAs' };
  }
  const settings = slaMonitorSettings(config);
  if (!running) return { workflowId, action: 'start', why: 'not running', settings };
  const applied = (await lastSignalled(client, workflowId, running.runId, reloadSlasSignal.name)) ?? running.memo[SLA_SETTINGS_MEMO] ?? null;
  if (canonicalJson(applied) === canonicalJson(settings)) return { workflowId, action: 'running', why: 'matches meridian.yaml', settings };
  return { workflowId, action: 'reload', why: 'meridian.yaml changed its SLAs, sources or interval', settings };
}

/** Starts, signals or terminates as planned. */
export async function executeSlaMonitor(client: Client, plan: SlaMonitorPlan, taskQueue: string, configFile: string): Promise<void> {
  if (plan.action === 'start') {
    const input: SlaMonitorInput = plan.settings!;
    const memo = { managedBy: MANAGED_BY, config: configFile, [SLA_SETTINGS_MEMO]: plan.settings };
    await startLongRunning(client, taskQueue, { workflowType: SLA_MONITOR_WORKFLOW, workflowId: plan.workflowId, input, memo, staticSummary: 'SLA monitor' });
  } else if (plan.action === 'reload') {
    await client.workflow.getHandle(plan.workflowId).signal(reloadSlasSignal, plan.settings!);
  } else if (plan.action === 'stop') {
    await stopLongRunning(client, plan.workflowId, 'meridian.yaml no longer has sources or SLAs (meridian apply)');
  }
}

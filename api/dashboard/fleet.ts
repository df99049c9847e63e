// What the dashboard knows of meridian.yaml, and the SLA monitor's view read once per page: a
// monitor that does not run (or no worker answers) is a note on the page, not an error page.

import type { Client } from '@temporalio/client';
import type { MeridianConfig } from '../../config/schema.js';
import { ControlError } from '../../control/errors.js';
import type { FailoverNames } from '../../control/failover.js';
import { sdkWorkflowCalls } from '../../control/sdkWorkflowCalls.js';
import { slaReport, slaView, type SlaMonitorView, type SlaReport } from '../../control/slas.js';

/** The parts of meridian.yaml the pages show (failover entries by name only), and api.publicUrl. */
export type DashboardConfig = Partial<Pick<MeridianConfig, 'sources' | 'repositories' | 'replication' | 'api'>> & FailoverNames;

export type MonitorRead = { view: SlaMonitorView; note?: undefined } | { view?: undefined; note: string };

export async function readMonitor(client: Client): Promise<MonitorRead> {
  try {
    return { view: await slaView(sdkWorkflowCalls(client)) };
  } catch (err) {
    if (err instanceof ControlError) return { note: err.message };
    throw err;
  }
}

/** Each SLA's report (for its RPO history), by SLA name; an SLA whose report cannot be read is left out. */
export async function readReports(client: Client, view: SlaMonitorView | undefined, now: Date): Promise<Map<string, SlaReport>> {
  const reports = new Map<string, SlaReport>();
  if (!view) return reports;
  const since = new Date(now.getTime() - 86_400_000).toISOString();
  const calls = sdkWorkflowCalls(client);
  await Promise.all(
    view.slas.map(async (sla) => {
      const report = await slaReport(calls, sla.name, since, now).catch(() => undefined);
      if (report) reports.set(sla.name, report);
    }),
  );
  return reports;
}

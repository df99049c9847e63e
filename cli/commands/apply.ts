// `meridian apply [--config FILE] [--dry-run] [--json]`: reconciles Temporal's Schedules with the
// schedules, replica sets and failover entries of meridian.yaml. The file is loaded, validated and
// its secrets checked before any Temporal call; then the plan (create / update / delete /
// unchanged, owned `meridian:` Schedules only; start / running / stop of each replica set's
// workflow; start / running / reload / stop of each failover monitor and of the SLA monitor; start / running /
// restart / stop of each source's journal) is printed and, unless
// --dry-run, carried out. A second apply of the same file changes nothing.

import { checkSecrets, configFilePath, loadConfig } from '../../config/load.js';
import { desiredSchedules } from '../../schedules/desired.js';
import { executePlan, existingSchedules } from '../../schedules/applyPlan.js';
import { planCounts, planSchedules, type PlanEntry } from '../../schedules/plan.js';
import { executeFailoverMonitors, planFailoverMonitors, type FailoverMonitorPlanEntry } from '../../schedules/failoverMonitors.js';
import { executeReplicationWorkflows, planReplicationWorkflows, type ReplicationWorkflowPlanEntry } from '../../schedules/replicationWorkflows.js';
import { executeSlaMonitor, planSlaMonitor, type SlaMonitorPlan } from '../../schedules/slaMonitor.js';
import { executeJournals, planJournals, type JournalPlanEntry } from '../../schedules/journalWorkflows.js';
import { expectPositionals, parseCommand } from '../args.js';
import { EXIT, ExitCode, usageError } from '../exitCodes.js';
import { notice, printJson, printLines } from '../output.js';
import { withTemporalClient } from '../temporal.js';
import { temporalSettings } from '../temporalSettings.js';

export async function run(args: string[]): Promise<ExitCode> {
  const { values, positionals } = parseCommand('apply', args);
  expectPositionals('apply', positionals, [], 0);
  const loaded = loadConfig(values.config);
  if (!loaded) throw usageError(`no configuration file ${configFilePath(values.config)}: give --config FILE or set MERIDIAN_CONFIG`);
  checkSecrets(loaded);
  // The workers' queue: MERIDIAN_TASK_QUEUE, else the file's temporal.taskQueue, else the default.
  const settings = temporalSettings();
  const taskQueue = settings.taskQueue;
  const desired = desiredSchedules(loaded.config, taskQueue);
  const dryRun = values['dry-run'] === true;

  if (!settings.cluster) {
    notice(`no Temporal address is configured: the Schedules go to the local dev server under MERIDIAN_HOME, and run while a \`meridian server\` polls task queue ${taskQueue} there`);
  }
  const { plan, workflows, monitors, slaMonitor, journals } = await withTemporalClient(async (client) => {
    const existing = await existingSchedules(client, desired.map((d) => d.id));
    const planned = planSchedules(desired, existing);
    const workflowPlan = await planReplicationWorkflows(client, Object.keys(loaded.config.replication), existing);
    const monitorPlan = await planFailoverMonitors(client, loaded.config, loaded.file);
    const slaPlan = await planSlaMonitor(client, loaded.config, loaded.file);
    const journalPlan = await planJournals(client, loaded.config, loaded.file);
    if (!dryRun) {
      await executePlan(client, planned, desired, loaded.file);
      await executeReplicationWorkflows(client, workflowPlan, taskQueue);
      await executeFailoverMonitors(client, monitorPlan, taskQueue, loaded.file);
      await executeSlaMonitor(client, slaPlan, taskQueue, loaded.file);
      await executeJournals(client, journalPlan, taskQueue, loaded.file);
    }
    return { plan: planned, workflows: workflowPlan, monitors: monitorPlan, slaMonitor: slaPlan, journals: journalPlan };
  });

  if (values.json) {
    const { settings: _settings, ...slaEntry } = slaMonitor;
    printJson({ plan, replicationWorkflows: workflows, failoverMonitors: monitors.map(({ digest: _digest, ...entry }) => entry), slaMonitor: slaEntry, journals: journals.map(({ settings: _s, ...entry }) => entry), applied: !dryRun });
    return EXIT.ok;
  }
  printLines(
    ...plan.map(planLine),
    ...workflows.map(workflowLine),
    ...monitors.map(workflowLine),
    ...(slaMonitor.action === 'none' ? [] : [workflowLine(slaMonitor)]),
    ...journals.map(workflowLine),
    summary(plan, dryRun),
    ...workflowSummary('replication workflows', workflows, dryRun),
    ...workflowSummary('failover monitors', monitors, dryRun),
    ...workflowSummary('journals', journals, dryRun),
  );
  return EXIT.ok;
}

type WorkflowPlanEntry = ReplicationWorkflowPlanEntry | FailoverMonitorPlanEntry | SlaMonitorPlan | JournalPlanEntry;

/** `start replication:gis (not running)`, `running failover:gis-dr`, `reload failover:gis-dr (meridian.yaml changed it)`, `stop replication:old (its set is no longer in meridian.yaml)`. */
function workflowLine(entry: WorkflowPlanEntry): string {
  return `${entry.action} ${entry.workflowId}${entry.action === 'running' ? '' : ` (${entry.why})`}`;
}

function workflowSummary(what: string, workflows: readonly WorkflowPlanEntry[], dryRun: boolean): string[] {
  if (workflows.length === 0) return [];
  const n = (action: WorkflowPlanEntry['action']) => workflows.filter((w) => w.action === action).length;
  const reloads = workflows.some((w) => w.action === 'reload') ? `, ${dryRun ? 'would reload' : 'reloaded'} ${n('reload')}` : '';
  const restarts = workflows.some((w) => w.action === 'restart') ? `, ${dryRun ? 'would restart' : 'restarted'} ${n('restart')}` : '';
  return [`${what}: ${dryRun ? 'would start' : 'started'} ${n('start')}${reloads}${restarts}, ${dryRun ? 'would stop' : 'stopped'} ${n('stop')}; ${n('running')} already running`];
}

/** `create tiles-hourly  hourly (0 * * * *) Europe/Berlin → backup tiles`, with the reason when it says more than the action. */
function planLine(entry: PlanEntry): string {
  const why = entry.action === 'create' || entry.why === 'matches meridian.yaml' ? '' : ` (${entry.why})`;
  return `${entry.action} ${entry.name}${entry.schedule ? `  ${entry.schedule}` : ''}${why}`;
}

function summary(plan: readonly PlanEntry[], dryRun: boolean): string {
  const { create, update, delete: deleted, unchanged } = planCounts(plan);
  if (dryRun) return `dry run, nothing changed: would create ${create}, update ${update}, delete ${deleted}; ${unchanged} unchanged`;
  return `created ${create}, updated ${update}, deleted ${deleted}; ${unchanged} unchanged`;
}

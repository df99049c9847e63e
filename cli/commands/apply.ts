// `meridian apply [--config FILE] [--dry-run] [--json]`: reconciles Temporal's Schedules with the
// schedules and replica sets of meridian.yaml. The file is loaded, validated and its secrets
// checked before any Temporal call; then the plan (create / update / delete / unchanged, owned
// `meridian:` Schedules only; start / running / stop of each replica set's workflow) is printed
// and, unless --dry-run, carried out. A second apply of the same file changes nothing.

import { checkSecrets, configFilePath, loadConfig } from '../../config/load.js';
import { desiredSchedules } from '../../schedules/desired.js';
import { executePlan, existingSchedules } from '../../schedules/applyPlan.js';
import { planCounts, planSchedules, type PlanEntry } from '../../schedules/plan.js';
import { executeReplicationWorkflows, planReplicationWorkflows, type ReplicationWorkflowPlanEntry } from '../../schedules/replicationWorkflows.js';
import { expectPositionals, parseCommand } from '../args.js';
import { EXIT, ExitCode, usageError } from '../exitCodes.js';
import { notice, printJson, printLines } from '../output.js';
import { temporalSettings, withTemporalClient } from '../temporal.js';

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
  const { plan, workflows } = await withTemporalClient(async (client) => {
    const existing = await existingSchedules(client, desired.map((d) => d.id));
    const planned = planSchedules(desired, existing);
    const workflowPlan = await planReplicationWorkflows(client, Object.keys(loaded.config.replication), existing);
    if (!dryRun) {
      await executePlan(client, planned, desired, loaded.file);
      await executeReplicationWorkflows(client, workflowPlan, taskQueue);
    }
    return { plan: planned, workflows: workflowPlan };
  });

  if (values.json) {
    printJson({ plan, replicationWorkflows: workflows, applied: !dryRun });
    return EXIT.ok;
  }
  printLines(...plan.map(planLine), ...workflows.map(workflowLine), summary(plan, dryRun), ...workflowSummary(workflows, dryRun));
  return EXIT.ok;
}

/** `start replication:gis (not running)`, `running replication:gis`, `stop replication:old (its set is no longer in meridian.yaml)`. */
function workflowLine(entry: ReplicationWorkflowPlanEntry): string {
  return `${entry.action} ${entry.workflowId}${entry.action === 'running' ? '' : ` (${entry.why})`}`;
}

function workflowSummary(workflows: readonly ReplicationWorkflowPlanEntry[], dryRun: boolean): string[] {
  if (workflows.length === 0) return [];
  const n = (action: ReplicationWorkflowPlanEntry['action']) => workflows.filter((w) => w.action === action).length;
  return [`replication workflows: ${dryRun ? 'would start' : 'started'} ${n('start')}, ${dryRun ? 'would stop' : 'stopped'} ${n('stop')}; ${n('running')} already running`];
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

// `meridian apply [--config FILE] [--dry-run] [--json]`: reconciles Temporal's Schedules with the
// schedules of meridian.yaml. The file is loaded, validated and its secrets checked before any
// Temporal call; then the plan (create / update / delete / unchanged, owned `meridian:` Schedules
// only) is printed and, unless --dry-run, carried out. A second apply of the same file changes nothing.

import { checkSecrets, configFilePath, loadConfig } from '../../config/load.js';
import { desiredSchedules } from '../../schedules/desired.js';
import { executePlan, existingSchedules } from '../../schedules/applyPlan.js';
import { planCounts, planSchedules, type PlanEntry } from '../../schedules/plan.js';
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
  const plan = await withTemporalClient(async (client) => {
    const planned = planSchedules(desired, await existingSchedules(client, desired.map((d) => d.id)));
    if (!dryRun) await executePlan(client, planned, desired, loaded.file);
    return planned;
  });

  if (values.json) {
    printJson({ plan, applied: !dryRun });
    return EXIT.ok;
  }
  printLines(...plan.map(planLine), summary(plan, dryRun));
  return EXIT.ok;
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

// `meridian schedule list|describe NAME|pause NAME [--note T]|resume NAME|trigger NAME|backfill NAME
// --from T --to T`: the operator's view and control of the Schedules `meridian apply` made, through
// schedules/inspect.ts (shared with the HTTP API), as a client of Temporal (TEMPORAL_ADDRESS, or
// the embedded dev server under MERIDIAN_HOME); no worker runs here.

import type { Client } from '@temporalio/client';
import {
  backfillSchedule,
  backfillWindow,
  describeSchedule,
  listSchedules,
  pauseSchedule,
  resumeSchedule,
  triggerSchedule,
  type BackfillView,
  type PauseView,
  type ScheduleSummaryView,
  type ScheduleView,
  type TriggerView,
} from '../../schedules/inspect.js';
import { durationText } from '../../schedules/specText.js';
import { expectPositionals, parseCommand, requireOption } from '../args.js';
import { EXIT, ExitCode, usageError } from '../exitCodes.js';
import { count, formatTable, formatTime, printJson, printLines } from '../output.js';
import { withTemporalClient } from '../temporal.js';

const ACTIONS = ['list', 'describe', 'pause', 'resume', 'trigger', 'backfill'] as const;
type Action = (typeof ACTIONS)[number];

/** What an action prints: its --json value, or its lines for people. */
interface Answer {
  json: unknown;
  lines: string[];
}

export async function run(args: string[]): Promise<ExitCode> {
  const { values, positionals } = parseCommand('schedule', args);
  const [action, name] = expectPositionals('schedule', positionals, [ACTIONS.join('|'), 'NAME'], 1);
  if (!(ACTIONS as readonly string[]).includes(action!)) throw usageError(`unknown schedule action '${action}'; expected ${ACTIONS.join(', ')}`);
  const act = scheduleAction(action as Action, name, values);
  const answer = await withTemporalClient(act);
  if (values.json) printJson(answer.json);
  else printLines(...answer.lines);
  return EXIT.ok;
}

/** The action, with its arguments checked before Temporal is contacted. */
function scheduleAction(action: Action, name: string | undefined, values: { note?: string; from?: string; to?: string }): (client: Client) => Promise<Answer> {
  if (action === 'list' && name !== undefined) throw usageError(`schedule list takes no NAME (got '${name}')`);
  if (action !== 'list' && name === undefined) throw usageError(`schedule ${action} needs the NAME of a schedule; see 'meridian schedule list'`);
  if (action !== 'pause' && values.note !== undefined) throw usageError('--note goes with schedule pause only');
  if (action !== 'backfill' && (values.from !== undefined || values.to !== undefined)) throw usageError('--from and --to go with schedule backfill only');
  const answer = <V>(lines: (view: V) => string[]) => (view: V): Answer => ({ json: view, lines: lines(view) });
  switch (action) {
    case 'list':
      return async (client) => answer(scheduleListLines)(await listSchedules(client));
    case 'describe':
      return async (client) => answer(scheduleLines)(await describeSchedule(client, name!));
    case 'pause':
      return async (client) => answer(pauseLines)(await pauseSchedule(client, name!, values.note));
    case 'resume':
      return async (client) => answer(pauseLines)(await resumeSchedule(client, name!));
    case 'trigger':
      return async (client) => answer(triggerLines)(await triggerSchedule(client, name!));
    case 'backfill': {
      const window = backfillWindow(requireOption('schedule', '--from', values.from), requireOption('schedule', '--to', values.to));
      return async (client) => answer(backfillLines)(await backfillSchedule(client, name!, window));
    }
  }
}

const stateText = (s: { paused: boolean; note?: string }) => (s.paused ? `paused${s.note ? `: ${s.note}` : ''}` : 'active');

/** `schedule list`: one row per schedule, NAME KIND SPEC NEXT RUN STATE. */
export function scheduleListLines(rows: ScheduleSummaryView[]): string[] {
  if (rows.length === 0) return ['no schedules (meridian apply creates them from meridian.yaml)'];
  const table = rows.map((s) => [s.name, s.kind, s.spec, s.nextRun === null || s.paused ? '-' : formatTime(s.nextRun), stateText(s)]);
  return [...formatTable(['NAME', 'KIND', 'SPEC', 'NEXT RUN', 'STATE'], table), count(rows.length, 'schedule')];
}

/** `schedule describe`: the spec and policies, the counters, the next runs and the last runs with their outcomes. */
export function scheduleLines(s: ScheduleView): string[] {
  const runs = s.recentRuns.map((r) => [formatTime(r.scheduledAt), formatTime(r.takenAt), r.outcome, r.workflowId]);
  return [
    `schedule ${s.name} (${s.kind})`,
    `  spec:       ${s.spec}`,
    `  state:      ${stateText(s)}${!s.paused && s.note ? ` (note: ${s.note})` : ''}`,
    `  overlap:    ${s.overlap}; catch-up window ${durationText(s.catchupWindowMs)}`,
    `  actions:    ${s.actionsTaken} taken, ${s.missedCatchupWindow} missed (outside the catch-up window), ${s.skippedOverlap} skipped (a run was still open)`,
    `  next runs:  ${s.nextRuns.length === 0 ? 'none' : s.nextRuns.map(formatTime).join(', ')}`,
    ...(runs.length === 0 ? ['  last runs:  none'] : ['  last runs:', ...formatTable(['SCHEDULED', 'STARTED', 'OUTCOME', 'WORKFLOW'], runs).map((line) => `    ${line}`)]),
  ];
}

export function pauseLines(view: PauseView): string[] {
  return [`${view.paused ? 'paused' : 'resumed'} schedule ${view.name}${view.note ? ` (note: ${view.note})` : ''}`];
}

export function triggerLines(view: TriggerView): string[] {
  const open = view.openRuns.length > 0 ? ` (open: ${view.openRuns.join(', ')})` : '';
  switch (view.outcome) {
    case 'started':
      return [`triggered schedule ${view.name}: started ${view.workflowId}`];
    case 'skipped':
      return [`triggered schedule ${view.name}: no run started, a run is still open and the overlap policy is ${view.overlap}${open}`];
    case 'queued':
      return [
        view.openRuns.length > 0
          ? `triggered schedule ${view.name}: the run is queued (overlap policy ${view.overlap}) and starts when the open run ends${open}`
          : `triggered schedule ${view.name}: requested, but no run had started yet; see meridian schedule describe ${view.name}`,
      ];
  }
}

export function backfillLines(view: BackfillView): string[] {
  return [
    `backfilling schedule ${view.name} from ${formatTime(view.from)} to ${formatTime(view.to)}: ` +
      `a run for each time its spec gives in that window, one after another (overlap ${view.overlap}); follow them with meridian schedule describe ${view.name}`,
  ];
}

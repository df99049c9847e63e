// `meridian failover status|events|trigger|failback NAME [--to REGION] [--reason T] [--json]`: a
// failover monitor (`failover:NAME`, started by `meridian apply`) as it sees itself (the active
// region, check streaks, each region's last check with its probes' latencies, a switch in
// progress, a decision it waits for, whether failback is possible), the events it keeps, and a
// manual failover or failback (a Temporal Update: it answers the event id once the switch is
// done; refused by the monitor's validator: exit 3 with its reason). An unknown name is exit 3.
// Who asks is MERIDIAN_IDENTITY, else the OS user name. On a configured cluster it loads no
// Temporal SDK (cli/workflowCalls.ts).

import { loadConfig } from '../../config/load.js';
import { failoverEvents, failoverStatus, triggerFailback, triggerFailover, type FailoverNames } from '../../control/failover.js';
import type { FailoverEvent, FailoverState, RegionHealth } from '../../workflows/failoverDefs.js';
import { expectPositionals, parseCommand } from '../args.js';
import { EXIT, ExitCode, usageError } from '../exitCodes.js';
import { cliIdentity } from '../identity.js';
import { formatTable, formatTime, printJson, printLines } from '../output.js';
import { withWorkflowCalls } from '../workflowCalls.js';

const ACTIONS = ['status', 'events', 'trigger', 'failback'] as const;
type Action = (typeof ACTIONS)[number];

export async function run(args: string[]): Promise<ExitCode> {
  const { values, positionals } = parseCommand('failover', args);
  const [action, name] = expectPositionals('failover', positionals, [ACTIONS.join('|'), 'NAME'], 2);
  if (!(ACTIONS as readonly string[]).includes(action!)) throw usageError(`unknown failover action '${action}'; expected ${ACTIONS.join(', ')}`);
  if (action !== 'trigger' && values.to !== undefined) throw usageError('--to goes with failover trigger only');
  if (action !== 'trigger' && action !== 'failback' && values.reason !== undefined) throw usageError('--reason goes with failover trigger and failback only');
  const config = loadConfig(values.config)?.config;
  const answer = await act(action as Action, name!, config, values);
  if (values.json) printJson(answer.json);
  else printLines(...answer.lines);
  return EXIT.ok;
}

async function act(action: Action, name: string, config: FailoverNames | undefined, values: { to?: string; reason?: string }): Promise<{ json: unknown; lines: string[] }> {
  switch (action) {
    case 'status': {
      const state = await withWorkflowCalls((calls) => failoverStatus(calls, config, name));
      return { json: state, lines: statusLines(state, new Date()) };
    }
    case 'events': {
      const events = await withWorkflowCalls((calls) => failoverEvents(calls, config, name));
      return { json: { name, events }, lines: eventLines(events) };
    }
    case 'trigger':
    case 'failback': {
      const reason = values.reason !== undefined ? { reason: values.reason } : {};
      const accepted = await withWorkflowCalls((calls) =>
        action === 'trigger'
          ? triggerFailover(calls, config, name, { ...reason, ...(values.to !== undefined ? { to: values.to } : {}) }, cliIdentity())
          : triggerFailback(calls, config, name, reason, cliIdentity()),
      );
      return { json: accepted, lines: [`${action === 'trigger' ? 'failed over' : 'failed back'} ${name} from ${accepted.from} to ${accepted.to} (event ${accepted.eventId})`] };
    }
  }
}

/** The heading, what is going on, then one row per region: its role, health, last check and probes. */
export function statusLines(state: FailoverState, now: Date): string[] {
  const lines = [`${state.name}: active region ${state.activeRegion} (primary ${state.primaryRegion}, then ${state.secondaryRegions.join(', ')}); replica set ${state.replication}; ${state.checks} checks`];
  lines.push(`  failed checks of the active region in a row: ${state.consecutiveFailures}${state.activeRegion !== state.primaryRegion ? `; healthy checks of ${state.primaryRegion} in a row: ${state.primaryHealthyStreak}` : ''}`);
  if (state.switching) lines.push(`  switching: ${state.switching.kind} ${state.switching.from} → ${state.switching.to} (${state.switching.trigger}) since ${formatTime(state.switching.since)}, event ${state.switching.eventId}`);
  if (state.awaitingDecision) lines.push(`  awaiting a decision since ${formatTime(state.awaitingDecision.since)}: ${state.awaitingDecision.reason} (meridian failover trigger ${state.name} [--to REGION])`);
  if (state.needsResync.length > 0) lines.push(`  to re-sync when healthy: ${state.needsResync.join(', ')}`);
  if (state.failbackPossible) lines.push(`  failback possible: ${state.primaryRegion} is healthy and re-synced (meridian failover failback ${state.name})`);
  const regions = [state.primaryRegion, ...state.secondaryRegions];
  const rows = regions.map((region) => {
    const health = state.regions[region];
    const role = region === state.activeRegion ? 'active' : region === state.primaryRegion ? 'primary' : 'secondary';
    return [region, role, health ? (health.healthy ? 'healthy' : 'unhealthy') : 'not checked', health ? ago(health.at, now) : '-', health ? probesText(health) : '-'];
  });
  return [...lines, ...formatTable(['REGION', 'ROLE', 'HEALTH', 'LAST CHECK', 'PROBES'], rows).map((line) => `  ${line}`)];
}

/** `tiles-eu 12ms, https://eu/healthz 40ms: unhealthy: status 503`. */
function probesText(health: RegionHealth): string {
  return health.probes.map((p) => `${p.target} ${Math.round(p.latencyMs)}ms${p.healthy ? '' : `: ${p.reason ?? 'unhealthy'}`}`).join(', ') || health.reason || '-';
}

function ago(iso: string, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  return `${seconds}s ago`;
}

/** One row per event, oldest first. */
export function eventLines(events: readonly FailoverEvent[]): string[] {
  if (events.length === 0) return ['no failover events'];
  return formatTable(
    ['ID', 'TIME', 'KIND', 'FROM', 'TO', 'TRIGGER', 'BY', 'REASON'],
    events.map((e) => [e.id, formatTime(e.at), e.kind, e.from, e.to, e.trigger, e.by ?? '-', `${e.reason}${e.lagSeconds !== undefined ? ` (lag ${e.lagSeconds}s)` : ''}`]),
  );
}

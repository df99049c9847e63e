// `meridian replication status [NAME] | verify NAME [--replica R] | run NAME [--full] [--wait]`:
// the replica sets of meridian.yaml as their workflows see them (replication/status.ts: lag,
// bytes and snapshots behind, reachable, last copy, error; no storage access), the comparison of
// replicas with their primary (exit 1 on any difference), and a pass asked for now (with --wait,
// exit 1 when a replica's pass failed). A client of
// Temporal only (TEMPORAL_ADDRESS, or the embedded dev server under MERIDIAN_HOME); the worker does the work.
// On a configured cluster it loads no Temporal SDK (cli/workflowCalls.ts).

import { configFilePath, loadConfig } from '../../config/load.js';
import type { PassResult, ReplicaDiff } from '../../core/replicationTypes.js';
import { requestPass, runPassNow, startVerify } from '../../replication/control.js';
import { getReplicationStatus, replicaSetNames, type ReplicaStatus, type ReplicationConfig, type ReplicationStatus } from '../../replication/status.js';
import type { ReplicationVerifyOutput } from '../../workflows/replicationDefs.js';
import { expectPositionals, parseCommand } from '../args.js';
import { EXIT, ExitCode, OperationFailure, usageError } from '../exitCodes.js';
import { count, formatBytes, formatDuration, formatTable, formatTime, notice, printJson, printLines } from '../output.js';
import { temporalSettings } from '../temporalSettings.js';
import { withWorkflowCalls } from '../workflowCalls.js';

const ACTIONS = ['status', 'verify', 'run'] as const;
type Action = (typeof ACTIONS)[number];

interface Answer {
  json: unknown;
  lines: string[];
  exitCode: ExitCode;
}

export async function run(args: string[]): Promise<ExitCode> {
  const { values, positionals } = parseCommand('replication', args);
  const [action, name] = expectPositionals('replication', positionals, [ACTIONS.join('|'), 'NAME'], 1);
  if (!(ACTIONS as readonly string[]).includes(action!)) throw usageError(`unknown replication action '${action}'; expected ${ACTIONS.join(', ')}`);
  const loaded = loadConfig(values.config);
  if (!loaded) throw usageError(`no configuration file ${configFilePath(values.config)}: replica sets are defined in meridian.yaml (give --config FILE or set MERIDIAN_CONFIG)`);
  const act = replicationAction(action as Action, name, values, loaded.config);
  const settings = temporalSettings();
  if (!settings.cluster && action !== 'status') {
    notice(`no Temporal address is configured: the set's workflows run on the local dev server under MERIDIAN_HOME, while a \`meridian server\` polls task queue ${settings.taskQueue} there`);
  }
  const answer = await act();
  if (values.json) printJson(answer.json);
  else printLines(...answer.lines);
  return answer.exitCode;
}

/** The action, with its arguments checked (the set exists, options fit the action) before Temporal is contacted. */
function replicationAction(action: Action, name: string | undefined, values: { replica?: string; full?: boolean; wait?: boolean }, config: ReplicationConfig): () => Promise<Answer> {
  if (action !== 'status' && name === undefined) throw usageError(`replication ${action} needs the NAME of a replica set (${replicaSetNames(config).join(', ') || 'meridian.yaml defines none'})`);
  if (name !== undefined) replicaSetNames(config, name);
  if (action !== 'verify' && values.replica !== undefined) throw usageError('--replica goes with replication verify only');
  if (action !== 'run' && (values.full || values.wait)) throw usageError('--full and --wait go with replication run only');
  const taskQueue = temporalSettings().taskQueue;
  switch (action) {
    case 'status':
      return () =>
        withWorkflowCalls(async (calls) => {
          const sets = await getReplicationStatus(calls, config, name);
          return { json: name === undefined ? { sets } : sets[0], lines: statusLines(sets, new Date()), exitCode: EXIT.ok };
        });
    case 'verify':
      return () =>
        withWorkflowCalls(async (calls) => {
          const end = await calls.end(await startVerify(calls, config, name!, values.replica, taskQueue));
          if (end.status !== 'completed') throw new OperationFailure(end.type, end.message);
          const output = end.result as ReplicationVerifyOutput;
          return { json: output, lines: verifyLines(output), exitCode: output.differences > 0 ? EXIT.failed : EXIT.ok };
        });
    case 'run':
      return () =>
        withWorkflowCalls(async (calls) => {
          const full = values.full === true;
          if (!values.wait) {
            const workflowId = await requestPass(calls, config, name!, full, taskQueue);
            return { json: { workflowId, requested: true }, lines: [`asked ${workflowId} for a${full ? ' full' : ''} pass; follow it with meridian replication status ${name}`], exitCode: EXIT.ok };
          }
          const results = await runPassNow(calls, config, name!, full, taskQueue);
          return { json: { set: name, results }, lines: results.map(passLine), exitCode: results.some((r) => r.failed !== undefined) ? EXIT.failed : EXIT.ok };
        });
  }
}

/** Per set a heading, then one row per replica: where, reachable, how far behind, lag, last copy, state or error. */
export function statusLines(sets: readonly ReplicationStatus[], now: Date): string[] {
  if (sets.length === 0) return ['no replica sets (meridian.yaml has no replication: section)'];
  return sets.flatMap((set) => [
    setHeading(set),
    ...formatTable(
      ['REPLICA', 'REGION', 'REACHABLE', 'BEHIND', 'LAG', 'LAST COPY', 'STATE'],
      set.replicas.map((r) => [r.name, r.region ?? '-', reachableText(r.reachable), behindText(r), r.lagSeconds === null ? '-' : lagText(r.lagSeconds), r.lastSuccessAt ? clockText(r.lastSuccessAt, now) : 'never', stateText(r)]),
    ).map((line) => `  ${line}`),
  ]);
}

function setHeading(set: ReplicationStatus): string {
  const mode = set.mode === 'quorum' ? `quorum ${set.quorum} of ${set.replicas.length + 1}` : set.mode;
  const primary = `${set.primary.name}${set.primary.region ? ` (${set.primary.region})` : ''} ${set.primary.location}`;
  const workflow = !set.running
    ? `${set.workflowId} not running (meridian apply or the next backup starts it)`
    : set.unanswered !== undefined
      ? `${set.workflowId} running; no worker answered (replica states unknown)`
      : `${set.workflowId} running, ${count(set.passes ?? 0, 'pass', 'passes')}${set.lastPassAt ? `, last ${formatTime(set.lastPassAt)}` : ''}`;
  return `${set.name} (${mode}): primary ${primary}; ${workflow}`;
}

const reachableText = (reachable: boolean | null) => (reachable === null ? 'not yet' : reachable ? 'reachable' : 'unreachable');

function behindText(r: ReplicaStatus): string {
  if (r.state === 'never-run') return 'not copied yet';
  return `${count(r.behind.snapshots, 'snapshot')} / ${formatBytes(r.behind.bytes)} behind`;
}

function stateText(r: ReplicaStatus): string {
  const error = r.lastError ? `error: ${r.lastError.message}` : '';
  const reason = r.reason ? `${r.state}: ${r.reason}` : r.state;
  return [reason, error].filter(Boolean).join('; ');
}

/** 45s, 7m12s, 3h05m, 2d4h. */
export function lagText(seconds: number): string {
  const two = (n: number) => String(n).padStart(2, '0');
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${two(seconds % 60)}s`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h${two(Math.floor((seconds % 3600) / 60))}m`;
  return `${Math.floor(seconds / 86_400)}d${Math.floor((seconds % 86_400) / 3600)}h`;
}

/** The time of day when it is today, else the date and time. */
function clockText(iso: string, now: Date): string {
  const text = formatTime(iso);
  return text.slice(0, 10) === formatTime(now.toISOString()).slice(0, 10) ? text.slice(11) : text;
}

/** One line per replica of a pass: what it copied, skipped, deleted, keeps pending, still lacks. */
export function passLine(r: PassResult): string {
  if (r.failed !== undefined) return `${r.replica}: failed: ${r.failed}`;
  if (r.deferred !== undefined) return `${r.replica}: deferred: ${r.deferred}`;
  return (
    `${r.replica}: ${r.kind} pass copied ${count(r.copied.files, 'file')} (${formatBytes(r.copied.bytes)}), ${r.skippedPresent} already there, ` +
    `deleted ${count(r.deleted.files, 'file')}, ${r.pending.files} pending deletion; ${count(r.behind.snapshots, 'snapshot')} behind${r.partial ? ' (partial: another pass continues)' : ''}; ` +
    `in ${formatDuration(r.durationMs)}`
  );
}

/** Each replica's differences, then the total. */
export function verifyLines(output: ReplicationVerifyOutput): string[] {
  return [...output.replicas.flatMap(diffLines), `replica set ${output.set}: ${count(output.differences, 'difference')} in ${formatDuration(output.durationMs)}`];
}

function diffLines(d: ReplicaDiff): string[] {
  const shown = d.missing.length + d.extra.length + d.sizeMismatch.length;
  return [
    `${d.replica}: ${count(d.differences, 'difference')}${d.configMatches ? '' : ', config differs from the primary'}; ${d.pendingDeletion} pending deletion (not differences)`,
    ...d.missing.map((f) => `  missing ${f.type}/${f.name} (${formatBytes(f.size)})`),
    ...d.extra.map((f) => `  extra   ${f.type}/${f.name} (${formatBytes(f.size)})`),
    ...d.sizeMismatch.map((f) => `  size    ${f.type}/${f.name}: ${formatBytes(f.primary)} on the primary, ${formatBytes(f.replica)} here`),
    ...(shown < d.differences ? [`  … and ${d.differences - shown} more`] : []),
  ];
}

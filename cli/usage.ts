// The `meridian` commands as the parser and the help see them: each command's arguments, summary
// and options (one description per option, cli/options.ts), the usage line and help derived from
// them, and the overall help with the environment the command reads.

import { DEFAULT_CHUNKER } from '../core/chunker.js';
import { BACKUP_TYPES, COMPRESSION_LEVELS, COMPRESSION_NAMES, DEFAULT_MAX_UNUSED_PERCENT, DEFAULT_PACK_SIZE_MIB, GROUP_BY, IMMUTABLE_MODES, VERIFY_LEVELS } from '../core/optionChoices.js';
import { SNAPSHOT_TIME_FORMAT, ZONED_SNAPSHOT_TIME_FORMAT } from '../core/snapshotTime.js';
import { DEFAULT_PAUSE_NOTE } from '../schedules/notes.js';
import { DEFAULT_TASK_QUEUE } from '../workflows/taskQueue.js';
import { PG_TARGET_ACTIONS } from '../workflows/pointInTime.js';
import {
  CONFIG_OPTION,
  HELP_OPTION,
  HELP_WIDTH,
  JSON_OPTION,
  OptionDescriptions,
  optionHelp,
  PASSWORD_FILE_OPTION,
  QUIET_OPTION,
  REPOSITORY_OPTION,
  usageOptions,
  wrap,
} from './options.js';

export interface CommandDescription {
  /** The positional arguments as usage shows them. */
  readonly args: string;
  readonly summary: string;
  readonly options: OptionDescriptions;
}

const COMMON = { ...QUIET_OPTION, ...HELP_OPTION } as const;

/** The options of a command on a repository: --repo, its own, --password-file, --config, then those of every command. */
function onRepository<O extends OptionDescriptions>(own: O) {
  return { ...REPOSITORY_OPTION, ...own, ...PASSWORD_FILE_OPTION, ...CONFIG_OPTION, ...COMMON };
}

/** The same for a command with a result, which --json prints. */
function withResult<O extends OptionDescriptions>(own: O) {
  return onRepository({ ...own, ...JSON_OPTION });
}

const chunkSize = (name: keyof typeof DEFAULT_CHUNKER, what: string) =>
  ({ type: 'string', value: 'BYTES', summary: `${what} chunk size`, defaultValue: String(DEFAULT_CHUNKER[name]) }) as const;

const keepCount = (what: string) => ({ type: 'string', value: 'N', summary: `keep the newest snapshot of each of the last N ${what} (N = -1, written =-1: of every one)` }) as const;
const keepWithin = (what: string) =>
  ({ type: 'string', value: 'D', summary: `keep the newest snapshot of each ${what} within the duration D (e.g. 30d, 1y2m, 12h) of the group's newest snapshot` }) as const;

const SOURCE_OPTION = { type: 'string', value: 'NAME|PATH', summary: 'with --at: a source of meridian.yaml, or the directory its snapshots record' } as const;

export const COMMANDS = {
  init: {
    args: '',
    summary:
      'Creates a repository (encrypted unless --no-encryption), directly on its storage; with --replica-of, a replica of an existing repository ' +
      '(the same repository, keys and passphrase: its data arrives with the replication passes of its replica set).',
    options: withResult({
      'replica-of': {
        type: 'string',
        value: 'NAME|URL',
        summary: "make --repo a replica of this repository (opened with its passphrase): copies its config and key files; the chunker, compression and pack size are the primary's",
      },
      compression: { type: 'string', value: COMPRESSION_NAMES.join('|'), summary: 'how blobs are compressed', defaultValue: 'zstd' },
      'compression-level': { type: 'string', value: COMPRESSION_LEVELS.join('|'), summary: 'the compression level', defaultValue: 'default' },
      'chunk-min': chunkSize('min', 'the smallest'),
      'chunk-avg': chunkSize('avg', 'the average'),
      'chunk-max': chunkSize('max', 'the largest'),
      'pack-size': { type: 'string', value: 'MIB', summary: 'the target size of pack files in MiB, 1 to 512', defaultValue: String(DEFAULT_PACK_SIZE_MIB) },
      'no-encryption': { type: 'boolean', summary: 'store data unencrypted (no passphrase needed)' },
      'immutable-days': {
        type: 'string',
        value: 'N',
        summary: "an immutable repository (S3 only): creates the bucket with Object Lock and a default retention of N days, so every file is locked N days after it is written (default: the repository's `immutable:` in meridian.yaml)",
      },
      'immutable-mode': {
        type: 'string',
        value: IMMUTABLE_MODES.join('|'),
        summary: 'governance: a principal allowed to bypass governance retention can still delete; compliance: nobody can until the retention ends',
        defaultValue: 'governance',
      },
    }),
  },
  backup: {
    args: 'PATH',
    summary: 'Backs the directory PATH up as a new snapshot (through the backup workflow).',
    options: withResult({
      type: {
        type: 'string',
        value: BACKUP_TYPES.join('|'),
        summary: 'full reads everything; incremental builds on the latest snapshot of PATH, differential on its latest full one',
        defaultValue: 'incremental (full when PATH has no snapshot yet)',
      },
      tag: { type: 'string', value: 'T', multiple: true, summary: 'a tag for the snapshot' },
      exclude: { type: 'string', value: 'GLOB', multiple: true, summary: 'leave out the entries matching GLOB' },
      time: { type: 'string', value: 'ISO8601', summary: `the time recorded in the snapshot (to import a history): ${SNAPSHOT_TIME_FORMAT}`, defaultValue: 'now' },
    }),
  },
  snapshots: {
    args: '',
    summary: "Lists the repository's snapshots, oldest first; with --at and --source, which snapshot and journal segments a restore of the source as of that time uses.",
    options: withResult({
      at: { type: 'string', value: 'ISO8601', summary: `with --source: the time to show the restore plan of (${ZONED_SNAPSHOT_TIME_FORMAT})` },
      source: SOURCE_OPTION,
    }),
  },
  restore: {
    args: 'SNAPSHOT|latest',
    summary:
      'Restores a snapshot (or part of it) into a directory (through the restore workflow); with --at, the source as it was at that time: ' +
      'its newest snapshot then plus the change journal up to then (through the restore-at workflow).',
    options: withResult({
      target: { type: 'string', value: 'DIR', required: true, summary: 'the directory to restore into' },
      at: { type: 'string', value: 'ISO8601', summary: `restore --source as it was at this time (${ZONED_SNAPSHOT_TIME_FORMAT}) instead of a SNAPSHOT` },
      source: SOURCE_OPTION,
      include: { type: 'string', value: 'GLOB', multiple: true, summary: 'restore only the entries matching GLOB' },
      exclude: { type: 'string', value: 'GLOB', multiple: true, summary: 'leave out the entries matching GLOB' },
    }),
  },
  pg: {
    args: 'backup|restore|verify|wal-push PATH|wal-fetch NAME PATH|wal-daemon',
    summary:
      'PostgreSQL point-in-time recovery: backup takes a base backup of --pgdata or --dsn as a deduplicated snapshot; restore restores the newest base ' +
      'backup that ended before --target-time into --target-dir with recovery set to replay the archived WAL up to it (--start: starts PostgreSQL and ' +
      'waits until it got there); verify checks the archived WAL from each kept base backup to the newest segment for gaps (exits 1 when it finds one; ' +
      '--retention also deletes the WAL no kept base backup needs); `pg wal-push %p` as archive_command stores a WAL file (compressed, encrypted) and exits 0 only once it is stored ' +
      '(the same file again: 0; other content under that name: an error); `pg wal-fetch %f %p` as restore_command writes it to PATH, exits 1 when it ' +
      'is not archived (recovery ends there) and 126 on any other error (PostgreSQL aborts recovery).',
    options: withResult({
      cluster: { type: 'string', value: 'NAME', summary: 'the name the cluster is stored under', defaultValue: 'main', env: 'MERIDIAN_PG_CLUSTER' },
      pgdata: { type: 'string', value: 'DIR', summary: "backup: the cluster's data directory" },
      dsn: { type: 'string', value: 'URL', summary: 'backup: a connection URL without a password (~/.pgpass or PGPASSFILE holds it)' },
      'target-time': { type: 'string', value: 'ISO8601', summary: `restore: the moment to recover to (${ZONED_SNAPSHOT_TIME_FORMAT})` },
      'target-dir': { type: 'string', value: 'DIR', summary: 'restore: an empty or absent directory to restore into' },
      'target-action': { type: 'string', value: PG_TARGET_ACTIONS.join('|'), summary: 'restore: what recovery does at the target', defaultValue: 'promote' },
      start: { type: 'boolean', summary: 'restore: start PostgreSQL on --port and wait until recovery reached the target' },
      port: { type: 'string', value: 'PORT', summary: 'restore --start: the port PostgreSQL listens on', defaultValue: '5432' },
      retention: { type: 'boolean', summary: 'verify: also delete the WAL no kept base backup needs' },
      'dry-run': { type: 'boolean', summary: 'verify --retention: report what would be deleted, delete nothing' },
      socket: {
        type: 'string',
        value: 'PATH',
        summary:
          'the Unix socket of `pg wal-daemon` (opens the repository once, serves until SIGTERM): wal-push/wal-fetch hand their file to it and fall back to ' +
          'direct mode when nothing listens; the daemon defaults to $TMPDIR/meridian-wal-<uid>.sock',
        env: 'MERIDIAN_WAL_SOCKET',
      },
    }),
  },
  verify: {
    args: '[SNAPSHOT]',
    summary: 'Checks the repository, or one snapshot, for damage (through the verify workflow); exits 1 when it finds some.',
    options: withResult({
      level: { type: 'string', value: VERIFY_LEVELS.join('|'), summary: 'quick: snapshots, trees and index agree and packs exist; standard: also pack headers; deep: also every blob', defaultValue: 'standard' },
      'sample-percent': { type: 'string', value: 'N', summary: 'with --level deep, read only this percentage of the packs', defaultValue: '100' },
      subset: { type: 'string', value: 'n/T', summary: "read only subset n of T of the packs (restic's --read-data-subset); implies --level deep" },
    }),
  },
  forget: {
    args: '[SNAPSHOT...]',
    summary:
      'Forgets the snapshots a retention policy does not keep, group by group, or exactly the SNAPSHOTs named (through the forget workflow); ' +
      'their data goes at the next prune (--prune runs one right after).',
    options: withResult({
      'keep-last': { type: 'string', value: 'N', summary: 'keep the N newest snapshots (--keep-last=-1: all)' },
      'keep-hourly': keepCount('hours'),
      'keep-daily': keepCount('days'),
      'keep-weekly': keepCount('ISO weeks'),
      'keep-monthly': keepCount('months'),
      'keep-yearly': keepCount('years'),
      'keep-within': { type: 'string', value: 'D', summary: "keep every snapshot within the duration D (e.g. 30d, 1y2m, 12h) of the group's newest snapshot" },
      'keep-within-hourly': keepWithin('hour'),
      'keep-within-daily': keepWithin('day'),
      'keep-within-weekly': keepWithin('ISO week'),
      'keep-within-monthly': keepWithin('month'),
      'keep-within-yearly': keepWithin('year'),
      'keep-tag': { type: 'string', value: 'T', multiple: true, summary: 'keep every snapshot tagged T (T1,T2: tagged with both)' },
      gfs: { type: 'string', value: 'D,W,M,Y', summary: 'grandfather-father-son: --keep-daily D --keep-weekly W --keep-monthly M --keep-yearly Y in one (e.g. 7,4,12,5)' },
      'max-age-days': { type: 'string', value: 'N', summary: 'forget snapshots older than N days (from now) whatever else keeps them, tagged ones and --min-keep excepted' },
      'min-keep': { type: 'string', value: 'N', summary: 'always keep the newest N snapshots of each group', defaultValue: '1 (0 with --allow-empty)' },
      'max-keep': { type: 'string', value: 'N', summary: 'never keep more than N snapshots of a group (the oldest kept go first, tagged ones too)' },
      'group-by': { type: 'string', value: GROUP_BY.join('|'), summary: 'which snapshots a policy treats together', defaultValue: 'host,source' },
      timezone: { type: 'string', value: 'TZ', summary: 'the IANA time zone of hours, days, weeks, months and years (e.g. Europe/Paris, UTC)', defaultValue: "the worker's local time zone" },
      'allow-empty': { type: 'boolean', summary: 'let the policy forget every snapshot of a group' },
      'dry-run': { type: 'boolean', summary: 'show what would be forgotten (and pruned), change nothing' },
      prune: { type: 'boolean', summary: 'prune the repository right after the forget, in the same workflow' },
      'max-unused': { type: 'string', value: 'PERCENT', summary: 'with --prune: repack a pack whose unused share is above PERCENT (0 to 100)', defaultValue: String(DEFAULT_MAX_UNUSED_PERCENT) },
    }),
  },
  prune: {
    args: '',
    summary:
      'Deletes the packs that hold only data no snapshot uses, repacks those with more unused data than --max-unused, rewrites the index into few files ' +
      'and removes the leftovers of killed backups (through the prune workflow, one at a time per repository); backups keep running meanwhile.',
    options: withResult({
      'max-unused': { type: 'string', value: 'PERCENT', summary: 'repack a pack whose unused share is above PERCENT (0 to 100)', defaultValue: String(DEFAULT_MAX_UNUSED_PERCENT) },
      'dry-run': { type: 'boolean', summary: 'show what would be deleted and repacked, change nothing' },
    }),
  },
  unlock: {
    args: '',
    summary:
      'Removes the locks of operations that stopped refreshing them (killed, or on a lost machine): a lock whose last refresh looks older than ' +
      "the worker's MERIDIAN_LOCK_STALE_SECONDS is watched for twice MERIDIAN_LOCK_REFRESH_SECONDS and removed only if unchanged, so a live " +
      "operation's lock stays whatever its host's clock says. Prune plans are never removed. Through the unlock workflow.",
    options: withResult({
      force: { type: 'boolean', summary: 'remove every lock, live or not, and unreadable files of locks/ (an operation that loses its lock stops and is retried)' },
    }),
  },
  repair: {
    args: 'index|snapshots',
    summary: 'Rebuilds the index from the packs, or rewrites the snapshots that reference lost data.',
    options: withResult({}),
  },
  apply: {
    args: '',
    summary:
      'Makes the Temporal Schedules match the schedules of meridian.yaml: creates, updates (pausing or resuming by `enabled`) and deletes the ' +
      'Schedules with ids meridian:NAME, never another, and prints the plan. Each replica set gets the Schedule meridian:replication-SET, and ' +
      'its workflow replication:SET is started when none runs (and terminated when the set leaves the file). Each failover entry gets its ' +
      'monitor failover:NAME: started when none runs, told to reload when the entry changed, terminated when it leaves the file. ' +
      'Applying the same file again changes nothing; an operator\'s pause stays.',
    options: {
      config: { ...CONFIG_OPTION.config, summary: 'the configuration file meridian.yaml whose schedules to apply' },
      'dry-run': { type: 'boolean', summary: 'print the plan, change nothing' },
      ...JSON_OPTION,
      ...COMMON,
    },
  },
  alerts: {
    args: '[list] | ack SNAPSHOT',
    summary:
      'Lists the ransomware alerts of the repository: backups whose changes departed sharply from their source\'s history (files changed, ' +
      'renamed with a new extension, new data that does not compress). While one is open, forget keeps the source\'s snapshots taken before it; ' +
      'ack acknowledges it (as MERIDIAN_IDENTITY, else your user name), which lifts that hold and needs the maintenance role.',
    options: withResult({}),
  },
  immutable: {
    args: 'status | maintain | rollback',
    summary:
      "Operates an immutable repository (S3 Object Lock, made by init --immutable-days): status reads every file's versions and says what maintenance would do " +
      '(retentions to extend, old versions whose retention has ended, those still locked and when they become deletable); maintain runs that maintenance ' +
      '(through its workflow; `meridian apply` schedules it for a repository with `immutable:`); rollback --to TIME brings every file back to the version it had ' +
      'then (after an attack with stolen credentials deleted or overwrote files), directly on the bucket with your credentials.',
    options: withResult({
      to: { type: 'string', value: 'TIME', summary: `rollback: the moment to bring the repository back to (${ZONED_SNAPSHOT_TIME_FORMAT}), within the last N days of its retention` },
      'dry-run': { type: 'boolean', summary: 'rollback: count what would change, change nothing' },
    }),
  },
  key: {
    args: 'add|list|remove|rotate [ID]',
    summary:
      'Manages the key files of an encrypted repository (each opens it with its own passphrase). rotate replaces the master encryption key: new files are sealed under the new key at once, ' +
      'every other key file is deleted (each holds the old key), and the key-rotation workflow seals every file again under the new key, then destroys the old one (restores work throughout).',
    options: withResult({
      'new-password-file': { type: 'string', value: 'FILE', summary: 'key add: a file holding the new passphrase; key rotate: the passphrase of the new key file (default: the current one)', otherEnv: 'MERIDIAN_NEW_PASSWORD' },
      'bytes-per-second': { type: 'string', value: 'N', summary: 'key rotate: throttle, bytes of packs read per second while sealing them again (default: unlimited)' },
    }),
  },
  schedule: {
    args: 'list|describe|pause|resume|trigger|backfill [NAME]',
    summary:
      'Shows and operates the Temporal Schedules `meridian apply` made (ids meridian:NAME; no other Schedule is listed or touched): ' +
      'list them; describe one (spec, overlap policy, catch-up window, next 5 runs, last runs and their outcomes, missed and skipped counts); ' +
      'pause it with a note; resume it; trigger a run now (with its own overlap policy, so never next to an open run); ' +
      'backfill the runs its spec gives between --from and --to (one after another).',
    options: {
      note: { type: 'string', value: 'TEXT', summary: 'pause: why the schedule is paused (shown by describe, Temporal UI and temporal schedule describe)', defaultValue: `"${DEFAULT_PAUSE_NOTE}"` },
      from: { type: 'string', value: 'ISO8601', summary: `backfill: the start of the window, ${ZONED_SNAPSHOT_TIME_FORMAT}` },
      to: { type: 'string', value: 'ISO8601', summary: 'backfill: the end of the window, after --from' },
      ...CONFIG_OPTION,
      ...JSON_OPTION,
      ...COMMON,
    },
  },
  replication: {
    args: 'status|verify|run [NAME]',
    summary:
      'Shows and drives the replica sets of meridian.yaml (through their workflows replication:NAME): status shows, per replica, its region, ' +
      'whether it was reachable, the snapshots and bytes it lacks, its lag (the age of the oldest snapshot it lacks), its last copy and error, without ' +
      'touching storage; verify compares the files of every replica (or --replica R) with the primary and exits 1 on any difference; ' +
      'run asks for a pass now (--wait: waits for it and prints what it copied).',
    options: {
      replica: { type: 'string', value: 'R', summary: 'verify: compare this replica only' },
      full: { type: 'boolean', summary: 'run: also list data/ on both sides (copies packs lost from a replica)' },
      wait: { type: 'boolean', summary: 'run: wait for the pass and print its results' },
      ...CONFIG_OPTION,
      ...JSON_OPTION,
      ...COMMON,
    },
  },
  failover: {
    args: 'status|events|trigger|failback NAME',
    summary:
      'Shows and moves the failover monitors of meridian.yaml (workflows failover:NAME, started by `meridian apply`): status shows the active ' +
      'region, the failed checks in a row, each region\'s last check with its probes and their latencies, a switch in progress, a decision the ' +
      'monitor waits for and whether failback is possible; events lists the failovers, failbacks, blocked failovers and re-syncs it recorded; ' +
      'trigger moves the active region now (to --to REGION, else the first healthy secondary) and failback moves it back to the primary region, ' +
      'each answering the event id once the switch is done. A request the monitor refuses (unknown or unhealthy target, a switch in progress) ' +
      'and an unknown NAME exit 3. Who asks is MERIDIAN_IDENTITY, else your user name.',
    options: {
      to: { type: 'string', value: 'REGION', summary: 'trigger: the region to make active' },
      reason: { type: 'string', value: 'TEXT', summary: 'trigger, failback: why (recorded in the event)' },
      ...CONFIG_OPTION,
      ...JSON_OPTION,
      ...COMMON,
    },
  },
  runbook: {
    args: 'list|show|run|status|approve|reject|cancel [NAME|EXECUTION] [STEP]',
    summary:
      'DR runbooks: list the runbooks meridian.yaml, the runbooks directory (MERIDIAN_RUNBOOKS_DIR, else MERIDIAN_HOME/runbooks) and the built-in ' +
      'templates offer; show NAME (parameters and steps); run NAME starts an execution, the workflow runbook:NAME:ID (--dry-run: checks and reads ' +
      'only, each step says what it would do; --wait: until it ends, exit 1 unless it succeeded); status EXECUTION shows every step (status, ' +
      'start, duration, result or error, who decided); approve and reject decide a manual step waiting for approval, as MERIDIAN_IDENTITY or your ' +
      'user name (a decision the workflow refuses: exit 3 with its reason); cancel EXECUTION cancels it. EXECUTION is runbook:NAME:ID or NAME:ID.',
    options: {
      param: { type: 'string', multiple: true, value: 'NAME=VALUE', summary: 'run: a parameter of the runbook' },
      'dry-run': { type: 'boolean', summary: 'run: perform no mutating call; report what each step would do and how long it would take' },
      wait: { type: 'boolean', summary: 'run: wait for the execution to end and print its steps' },
      note: { type: 'string', value: 'TEXT', summary: 'approve, reject: a note recorded with the decision' },
      ...CONFIG_OPTION,
      ...JSON_OPTION,
      ...COMMON,
    },
  },
  sla: {
    args: 'status|report [NAME]',
    summary:
      'The SLAs of meridian.yaml as the SLA monitor (workflow sla-monitor, started by `meridian apply`) evaluated them last: status shows every ' +
      'SLA (or NAME) with its RPO and RTO against the targets, its compliance over 24h, 7d and 30d and its open violations; report adds the ' +
      'violations since --since (default 30d ago), for NAME or every SLA, as text, --json or --markdown. Read from the monitor\'s state: ' +
      'nothing lists storage. No monitor running, or no SLA named NAME: exit 3; no worker answering: exit 4.',
    options: {
      since: { type: 'string', value: 'T', summary: 'report: the start of the period, an ISO time (2026-11-01T00:00:00Z) or a duration ago (24h, 7d)', defaultValue: '30d' },
      markdown: { type: 'boolean', summary: 'report: print the report as a Markdown document' },
      ...CONFIG_OPTION,
      ...JSON_OPTION,
      ...COMMON,
    },
  },
  journal: {
    args: 'SOURCE',
    summary:
      'Starts the file-set journal of SOURCE (a source name of meridian.yaml, or a directory with --repo): a long-running workflow ' +
      '(journal:<repository>:<source>) whose watcher, on the worker of the source\'s host, writes a journal segment of the changed and deleted ' +
      'paths every interval, so that `meridian restore --at T` can restore the source as of any moment between snapshots. Already running: ' +
      'nothing changes. --stop stops it (it writes what it collected first). Needs a worker polling the task queue: `meridian worker` or `meridian server`.',
    options: {
      repo: { type: 'string', value: 'NAME|URL', summary: "the repository, for a directory SOURCE (a source name brings its own): a NAME the worker knows, or a URL", env: 'MERIDIAN_REPOSITORY' },
      interval: { type: 'string', value: 'DURATION', summary: 'how often a segment is written (whole seconds: 2s, 1m)', defaultValue: '60s' },
      exclude: { type: 'string', value: 'GLOB', multiple: true, summary: "leave out the entries matching GLOB, as the directory's backups do (a source name brings its own exclude list)" },
      stop: { type: 'boolean', summary: 'stop the journal instead of starting it' },
      ...CONFIG_OPTION,
      ...JSON_OPTION,
      ...COMMON,
    },
  },
  worker: {
    args: '',
    summary: 'Runs a worker for the configured Temporal cluster (TEMPORAL_ADDRESS or a temporal.toml profile, with its TLS and API key) until SIGINT or SIGTERM.',
    options: { ...PASSWORD_FILE_OPTION, ...CONFIG_OPTION, ...COMMON },
  },
  server: {
    args: '[address|stop]',
    summary:
      'Runs a worker and the HTTP API (and the embedded Temporal dev server when no Temporal address is configured). ' +
      '`server address` prints the embedded dev server\'s address (starting it when none runs); `server stop` stops it.',
    options: {
      port: { type: 'string', value: 'N', summary: 'the port of the HTTP API (on the host of api.bind, default 127.0.0.1)', defaultValue: '8080', env: 'MERIDIAN_API_PORT' },
      ...PASSWORD_FILE_OPTION,
      ...CONFIG_OPTION,
      ...COMMON,
    },
  },
} as const satisfies Record<string, CommandDescription>;

export type CommandName = keyof typeof COMMANDS;

const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

export function usageLine(name: CommandName): string {
  const command: CommandDescription = COMMANDS[name];
  return ['meridian', name, command.args, ...usageOptions(command.options)].filter((part) => part !== '').join(' ');
}

/** `meridian help COMMAND`: the usage line, what the command does and every option. */
export function commandHelp(name: CommandName): string {
  const command: CommandDescription = COMMANDS[name];
  return [`Usage: ${usageLine(name)}`, '', ...wrap(command.summary, HELP_WIDTH), '', 'Options:', ...optionHelp(command.options)].join('\n');
}

export function fullUsage(): string {
  return [
    'Usage:',
    ...COMMAND_NAMES.map((name) => `  ${usageLine(name)}`),
    '  meridian help COMMAND | meridian COMMAND --help   (every option, its default and environment)',
    '  meridian --version',
    '',
    'The passphrase comes from MERIDIAN_PASSWORD or --password-file FILE, never from the command line;',
    'the new passphrase of `key add` from MERIDIAN_NEW_PASSWORD or --new-password-file FILE.',
    '--repo URL is a path or URL, or a NAME from the repositories of meridian.yaml or MERIDIAN_HOME/repositories.json.',
    '',
    'Environment:',
    '  MERIDIAN_REPOSITORY  the repository of commands given no --repo',
    '  TEMPORAL_ADDRESS     Temporal frontend (host:port); when unset (and no temporal.toml profile has one),',
    '                       a local dev server is started or reused under MERIDIAN_HOME and the work runs in',
    '                       this process',
    "  TEMPORAL_NAMESPACE   Temporal namespace (default 'default')",
    '  TEMPORAL_API_KEY, TEMPORAL_TLS, TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_SERVER_NAME,',
    '  TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH, TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE',
    '                       TLS, mTLS, API key and temporal.toml profiles, as the temporal CLI reads them',
    '  MERIDIAN_HOME        state folder (default ~/.meridian)',
    `  MERIDIAN_TASK_QUEUE  task queue of the workers (default ${DEFAULT_TASK_QUEUE})`,
    '  MERIDIAN_API_TOKEN   bearer token of the HTTP API (`meridian server` refuses to start without one)',
    '  MERIDIAN_API_PORT    port of the HTTP API (default 8080)',
    '  MERIDIAN_CONFIG      the configuration file (default MERIDIAN_HOME/meridian.yaml); --config FILE',
    '  MERIDIAN_IDENTITY    who you are to manual failovers and runbook approvals (default: your user name)',
    'What `meridian worker` and `server` may do (repositories: meridian.yaml and MERIDIAN_HOME/repositories.json;',
    'backups may also read the path of every source of meridian.yaml):',
    '  MERIDIAN_SOURCE_ROOTS    directories backups may read (separated by :); unset: none',
    '  MERIDIAN_RESTORE_ROOTS   directories restores may write (separated by :); unset: none',
    '  MERIDIAN_ALLOW_ANY_PATH  1: any source and target (a single-user machine); default 0',
    '  MERIDIAN_LOCK_REFRESH_SECONDS  how often operations rewrite their repository lock; default 30',
    '  MERIDIAN_LOCK_STALE_SECONDS    how long a lock must stay unchanged to be stale; default 300',
    '',
    'Exit codes: 0 ok, 1 the operation failed (also: a restore target that cannot be written, a full',
    'disk under a local repository), 2 usage or bad input, 3 repository or key problem (also: storage',
    'refusing for good, e.g. permission denied), or a backup that skipped unreadable entries (listed on',
    'stderr), 4 Temporal, its embedded dev server or storage unavailable (a retry may help), 5 refused',
    "by the worker's configuration (a repository it does not serve, a path outside its roots).",
  ].join('\n');
}

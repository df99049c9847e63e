// The one description of every Meridian operation: its workflow type, the activity that does its
// work (whose signature gives the operation's input and output types), what it is about (its
// subject), its HTTP route when the API offers it, and the search attributes and memo that make
// a run findable however it was started. The workflows, the worker, the API and the CLI all read
// this list; the API's input schemas (api/schemas.ts) are keyed by it. Deterministic and free of
// Node imports: the workflow bundle includes it. A new operation is one entry here, its workflow
// (workflows/operations.ts) and its activity (activities/index.ts).

import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { Activities } from '../activities/index.js';
// Extensionless, as worker/devServer.ts's imports: jest's globalSetup loads this file through it.
import { OPERATION_ROUTES, type OperationRoute } from './operationRoutes';
import { operationWorkflowId, repositoryWorkflowId } from './workflowIds';

/** Custom search attributes, all Keyword, so Temporal UI and `temporal workflow list` can filter runs. */
export const SEARCH_ATTRIBUTES = {
  operation: 'MeridianOperation',
  repository: 'MeridianRepository',
  source: 'MeridianSource',
  /** A runbook execution's runbook name, and its status (running, waiting-for-approval, succeeded…). */
  runbook: 'MeridianRunbook',
  runbookStatus: 'MeridianRunbookStatus',
} as const;

export const SEARCH_ATTRIBUTE_KEYS = {
  operation: defineSearchAttributeKey(SEARCH_ATTRIBUTES.operation, SearchAttributeType.KEYWORD),
  repository: defineSearchAttributeKey(SEARCH_ATTRIBUTES.repository, SearchAttributeType.KEYWORD),
  source: defineSearchAttributeKey(SEARCH_ATTRIBUTES.source, SearchAttributeType.KEYWORD),
  runbook: defineSearchAttributeKey(SEARCH_ATTRIBUTES.runbook, SearchAttributeType.KEYWORD),
  runbookStatus: defineSearchAttributeKey(SEARCH_ATTRIBUTES.runbookStatus, SearchAttributeType.KEYWORD),
};

type ActivityName = keyof Activities;

/** A backup's source directory, a restore's target directory. */
export interface OperationPaths {
  source?: string;
  target?: string;
}
type ActivityInput<A extends ActivityName> = Parameters<Activities[A]>[0];

interface OperationDescription<A extends ActivityName> {
  /** The workflow type, as the `temporal` CLI and other SDKs start it. */
  workflowType: string;
  /** The data-plane activity the workflow runs. */
  activity: A;
  /** What a run is about (a path, a snapshot or 'all'): part of its workflow id, summary and search attributes. */
  subject(input: ActivityInput<A>): string;
  /** How a run reads in Temporal UI's summary, e.g. "backup of /data into /srv/repo". */
  summary(input: ActivityInput<A>): string;
  /** The paths of the worker's host it reads or writes, which the worker's authority checks against its roots. */
  paths?(input: ActivityInput<A>): OperationPaths;
  /** The API route that starts it, if the API offers it, with its OpenAPI summary and request schema name. */
  api?: OperationRoute;
  /**
   * One run at a time per repository: the workflow id is the repository's alone (`prune:/srv/repo`),
   * so Temporal refuses to start a second run while one is open.
   */
  onePerRepository?: true;
}

const describe = <A extends ActivityName>(description: OperationDescription<A>) => description;

export const OPERATIONS = {
  backup: describe({
    workflowType: 'backupWorkflow',
    activity: 'backupSnapshot',
    subject: (input) => input.path,
    summary: (input) => `backup of ${input.path} into ${repositoryLabel(input.repo)}`,
    paths: (input) => ({ source: input.path }),
    api: OPERATION_ROUTES.backup,
  }),
  restore: describe({
    workflowType: 'restoreWorkflow',
    activity: 'restoreSnapshot',
    subject: (input) => input.snapshot,
    summary: (input) => `restore of snapshot ${input.snapshot} of ${repositoryLabel(input.repo)} into ${input.target}`,
    paths: (input) => ({ target: input.target }),
    api: OPERATION_ROUTES.restore,
  }),
  verify: describe({
    workflowType: 'verifyWorkflow',
    activity: 'verifyRepository',
    subject: (input) => input.snapshot ?? 'all',
    summary: (input) =>
      `${input.level ?? (input.subset ? 'deep' : 'standard')} verify of ${input.subset ? `pack subset ${input.subset.n}/${input.subset.t} of ` : ''}${input.snapshot ? `snapshot ${input.snapshot} of ` : ''}${repositoryLabel(input.repo)}`,
    api: OPERATION_ROUTES.verify,
  }),
  forget: describe({
    workflowType: 'forgetWorkflow',
    activity: 'forgetSnapshots',
    subject: (input) => forgetSubject(input.snapshots),
    summary: (input) =>
      `${input.dryRun ? 'dry run of a ' : ''}forget of ${input.snapshots ? `snapshots ${input.snapshots.slice(0, 3).join(', ')}${input.snapshots.length > 3 ? ', …' : ''}` : 'snapshots by policy'} in ${repositoryLabel(input.repo)}${input.prune ? ', then a prune' : ''}`,
    api: OPERATION_ROUTES.forget,
  }),
  unlock: describe({
    workflowType: 'unlockWorkflow',
    activity: 'unlockRepository',
    subject: (input) => (input.force ? 'all' : 'stale'),
    summary: (input) => `${input.force ? 'forced removal of every lock' : 'removal of the stale locks'} of ${repositoryLabel(input.repo)}`,
    api: OPERATION_ROUTES.unlock,
  }),
  prune: describe({
    workflowType: 'pruneWorkflow',
    activity: 'pruneRepository',
    subject: () => 'all',
    summary: (input) => `${input.dryRun ? 'dry run of a ' : ''}prune of ${repositoryLabel(input.repo)}${input.maxUnusedPercent !== undefined ? ` (max unused ${input.maxUnusedPercent}%)` : ''}`,
    api: OPERATION_ROUTES.prune,
    onePerRepository: true,
  }),
  'immutable-maintenance': describe({
    workflowType: 'immutableMaintenanceWorkflow',
    activity: 'maintainImmutableRepository',
    subject: () => 'all',
    summary: (input) => `maintenance of the immutable repository ${repositoryLabel(input.repo)} (retention extended, expired versions deleted)`,
    api: OPERATION_ROUTES['immutable-maintenance'],
    onePerRepository: true,
  }),
  'key-rotation': describe({
    workflowType: 'keyRotationWorkflow',
    activity: 'reencryptRepository',
    subject: () => 'all',
    summary: (input) => `key rotation of ${repositoryLabel(input.repo)}: every file sealed again under the new key${input.bytesPerSecond ? ` (at most ${input.bytesPerSecond} bytes/s)` : ''}, then the retired key destroyed`,
    api: OPERATION_ROUTES['key-rotation'],
    onePerRepository: true,
  }),
  'pg-backup': describe({
    workflowType: 'pgBackupWorkflow',
    activity: 'pgBackup',
    subject: (input) => `pg:${input.cluster}`,
    summary: (input) => `PostgreSQL base backup of cluster ${input.cluster}${input.pgdata ? ` (${input.pgdata})` : ''} into ${repositoryLabel(input.repo)}`,
    paths: (input) => (input.pgdata ? { source: input.pgdata } : {}),
    api: OPERATION_ROUTES['pg-backup'],
  }),
  'pg-restore': describe({
    workflowType: 'pgRestoreWorkflow',
    activity: 'pgRestore',
    subject: (input) => `pg:${input.cluster}`,
    summary: (input) => `PostgreSQL restore of cluster ${input.cluster} of ${repositoryLabel(input.repo)} as of ${input.targetTime} into ${input.targetDir}`,
    paths: (input) => ({ target: input.targetDir }),
    api: OPERATION_ROUTES['pg-restore'],
  }),
  'pg-verify': describe({
    workflowType: 'pgVerifyWorkflow',
    activity: 'pgVerify',
    subject: (input) => `pg:${input.cluster}`,
    summary: (input) => `check of the archived WAL of cluster ${input.cluster} in ${repositoryLabel(input.repo)}${input.retention ? `${input.dryRun ? ' with a dry run of' : ' with'} WAL retention` : ''}`,
    api: OPERATION_ROUTES['pg-verify'],
  }),
  'restore-at': describe({
    workflowType: 'restoreAtWorkflow',
    activity: 'restoreAtTime',
    subject: (input) => input.source,
    summary: (input) => `restore of ${input.source} of ${repositoryLabel(input.repo)} as of ${input.at} into ${input.target}`,
    paths: (input) => ({ target: input.target }),
    api: OPERATION_ROUTES['restore-at'],
  }),
  'repair-index': describe({
    workflowType: 'repairIndexWorkflow',
    activity: 'repairIndex',
    subject: () => 'all',
    summary: (input) => `index repair of ${repositoryLabel(input.repo)}`,
    api: OPERATION_ROUTES['repair-index'],
  }),
  'repair-snapshots': describe({
    workflowType: 'repairSnapshotsWorkflow',
    activity: 'repairSnapshots',
    subject: () => 'all',
    summary: (input) => `snapshot repair of ${repositoryLabel(input.repo)}`,
    api: OPERATION_ROUTES['repair-snapshots'],
  }),
};

/** A forget's subject: 'policy', the one snapshot it names, or how many it names (all their ids would make workflow ids long). */
function forgetSubject(snapshots: string[] | undefined): string {
  if (snapshots === undefined) return 'policy';
  return snapshots.length === 1 ? snapshots[0]! : `${snapshots.length}-snapshots`;
}

export type Operation = keyof typeof OPERATIONS;
export const OPERATION_NAMES = Object.keys(OPERATIONS) as Operation[];

type ActivityOf<O extends Operation> = (typeof OPERATIONS)[O]['activity'];
export type OperationInput<O extends Operation> = ActivityInput<ActivityOf<O>>;
export type OperationOutput<O extends Operation> = Awaited<ReturnType<Activities[ActivityOf<O>]>>;

/** The operation a workflow type runs, if it is one of Meridian's. */
export function operationOfWorkflowType(workflowType: string): Operation | undefined {
  return OPERATION_NAMES.find((operation) => OPERATIONS[operation].workflowType === workflowType);
}

/** What a run is about, by the catalog: a path, a snapshot or 'all'. */
export function operationSubject<O extends Operation>(operation: O, input: OperationInput<O>): string {
  return (OPERATIONS[operation].subject as (input: OperationInput<O>) => string)(input);
}

/** The host paths a run reads or writes, by the catalog (none for verify and the repairs). */
export function operationPaths<O extends Operation>(operation: O, input: OperationInput<O>): OperationPaths {
  const paths = (OPERATIONS[operation] as { paths?: (input: OperationInput<O>) => OperationPaths }).paths;
  return paths ? paths(input) : {};
}

export function operationSummary<O extends Operation>(operation: O, input: OperationInput<O>): string {
  return (OPERATIONS[operation].summary as (input: OperationInput<O>) => string)(input);
}

/** The search attributes of a run, set by its starter and again by the workflow itself. */
export function operationSearchAttributes<O extends Operation>(operation: O, input: OperationInput<O>) {
  return [
    { key: SEARCH_ATTRIBUTE_KEYS.operation, value: operation as string },
    { key: SEARCH_ATTRIBUTE_KEYS.repository, value: repositoryLabel(input.repo) },
    { key: SEARCH_ATTRIBUTE_KEYS.source, value: operationSubject(operation, input) },
  ];
}

/** The query every operation's workflow answers with its progress (workflows/shared.ts defines its handler's type). */
export const PROGRESS_QUERY = 'progress';

/**
 * What a starter (the HTTP API, the CLI through the SDK or its own gRPC calls) gives Temporal for
 * a run: the workflow type, a readable workflow id (the repository's one id for an operation that
 * runs one at a time there), the search attributes and the summary shown in Temporal UI.
 */
export function operationStart<O extends Operation>(operation: O, input: OperationInput<O>, at: Date) {
  const repo = repositoryLabel(input.repo);
  const onePerRepository = (OPERATIONS[operation] as { onePerRepository?: true }).onePerRepository === true;
  return {
    workflowType: OPERATIONS[operation].workflowType,
    workflowId: onePerRepository ? repositoryWorkflowId(operation, repo) : operationWorkflowId(operation, repo, operationSubject(operation, input), at),
    onePerRepository,
    searchAttributes: operationSearchAttributes(operation, input),
    summary: operationSummary(operation, input),
  };
}

/**
 * How a repository is shown and searched for: a local path normalized, a URL without its query
 * (endpoints and options) or user info and without a trailing slash, a configured name as it is.
 */
export function repositoryLabel(repo: string): string {
  const trimmed = repo.trim();
  const url = /^([a-z0-9+]+):\/\/([^?#]*)/i.exec(trimmed);
  if (url) {
    const scheme = url[1]!.toLowerCase();
    const rest = decoded(url[2]!);
    if (scheme === 'file') return normalizedPath(rest);
    return `${scheme}://${rest.replace(/^[^@/]*@/, '').replace(/\/{2,}/g, '/')}`.replace(/\/+$/, '');
  }
  return trimmed.startsWith('/') ? normalizedPath(trimmed) : trimmed;
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** An absolute POSIX path without `.`, `..`, repeated or trailing slashes (as path.resolve gives it). */
function normalizedPath(absolute: string): string {
  const parts: string[] = [];
  for (const part of absolute.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

// The worker's configuration, which bounds what it does for whoever can reach Temporal: the
// repositories it serves, by name or URL, from its meridian.yaml (MERIDIAN_CONFIG, else
// `$MERIDIAN_HOME/meridian.yaml`) and from `$MERIDIAN_HOME/repositories.json` (still read; a name
// in both is an error); the roots backups may read (MERIDIAN_SOURCE_ROOTS, plus the `path` of
// every source of its own meridian.yaml: that file is its authority) and restores may write
// (MERIDIAN_RESTORE_ROOTS), or any path (MERIDIAN_ALLOW_ANY_PATH=1).

import fs from 'node:fs';
import path from 'node:path';
import { RepositoryError } from '../core/errors.js';
import { isRepositoryName, repositoryLocationKey } from '../storage/open.js';
import { meridianHome } from '../config/home.js';
import { checkSecrets, configFilePath, loadConfig, LoadedConfig } from '../config/load.js';
import type { RepositoryRole } from '../config/repositoryRole.js';
import type * as RepositoriesFile from './repositoriesFileSchema.js';
import type { ImmutablePolicy } from '../core/immutablePolicy.js';
import type { FailoverEntry, NotificationChannel, ReplicationEntry, SourceEntry } from '../config/schema.js';
import type { Runbook } from '../config/runbookSchema.js';

/** A repository the worker serves. */
export interface ConfiguredRepository {
  /** Its name, when configured by name. */
  name?: string;
  url: string;
  /** What this process may do to it; maintenance (anything) when not configured. */
  role?: RepositoryRole;
  /** Its own passphrase file; else MERIDIAN_PASSWORD_FILE or MERIDIAN_PASSWORD. */
  passwordFile?: string;
  /** The environment variable holding its passphrase (meridian.yaml's passwordEnv). */
  passwordEnv?: string;
  /** Its full location (storage/open.ts repositoryLocationKey). */
  key: string;
  /** meridian.yaml's `immutable:` (what `meridian init` creates). */
  immutable?: ImmutablePolicy;
}

/** meridian.yaml's replica sets, and the region label of each repository. */
export interface ReplicationSettings {
  sets: Record<string, ReplicationEntry>;
  regions: Record<string, string | undefined>;
  /** The first wait before a failing or deferred replica is tried again, doubling to 15 min (MERIDIAN_REPLICATION_RETRY_SECONDS; default 60 s). */
  retryFloorMs?: number;
  /** meridian.yaml's failover entries (worker/activeRegion.ts resolves a set's active member with them). */
  failover?: Record<string, FailoverEntry>;
}

function replicationSettings(loaded: LoadedConfig, env: NodeJS.ProcessEnv): ReplicationSettings {
  const retryFloorMs = replicationRetryFloorMs(env);
  return {
    sets: loaded.config.replication,
    failover: loaded.config.failover,
    regions: Object.fromEntries(Object.entries(loaded.config.repositories).map(([name, entry]) => [name, entry.region])),
    ...(retryFloorMs !== undefined ? { retryFloorMs } : {}),
  };
}

/** MERIDIAN_REPLICATION_RETRY_SECONDS (fractions allowed), if set; a malformed one is a one-line invalid-argument error. */
function replicationRetryFloorMs(env: NodeJS.ProcessEnv): number | undefined {
  const text = env.MERIDIAN_REPLICATION_RETRY_SECONDS;
  if (text === undefined || text === '') return undefined;
  const seconds = Number(text);
  if (!(Number.isFinite(seconds) && seconds > 0 && seconds <= 900)) throw new RepositoryError('invalid-argument', `MERIDIAN_REPLICATION_RETRY_SECONDS must be a number of seconds above 0 and at most 900 (got "${text}")`);
  return seconds * 1000;
}

/** Absolute root directories, or any path at all. */
export type Roots = readonly string[] | 'any';

/** The sources of the worker's own meridian.yaml, whose paths backups may read as well. */
export interface ConfigSources {
  file: string;
  paths: readonly string[];
}

export interface WorkerConfig {
  repositories: ConfiguredRepository[];
  sourceRoots: Roots;
  /** Admitted as backup sources besides sourceRoots: the worker's own meridian.yaml is its authority. */
  configSources?: ConfigSources;
  restoreRoots: Roots;
  /** The replica sets of its meridian.yaml (worker/replicationSets.ts resolves them), and their failover entries. */
  replication?: ReplicationSettings;
  /** The runbooks of its meridian.yaml (the runbooks directory and the built-in templates are added by runbooks/catalog.ts). */
  runbooks?: Record<string, Runbook>;
  /** The notification channels of its meridian.yaml: where the notifyEvent activity delivers events (secrets read from their files at delivery). */
  notifications?: Record<string, NotificationChannel>;
  /** The sources of its meridian.yaml (the SLA monitor's observation resolves source names with them). */
  sources?: Record<string, SourceEntry>;
  /** Where the settings come from, for refusal messages: the environment, or the one command a CLI runs. */
  origin: { kind: 'environment'; repositoriesFile: string; configFile: string; filesRead: string[] } | { kind: 'command' };
}

export { meridianHome };

export function repositoriesFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(meridianHome(env), 'repositories.json');
}

/**
 * The worker's configuration from its environment and its meridian.yaml (whose secrets must be
 * readable); throws a one-line invalid-argument error when malformed.
 */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const anyPath = allowAnyPath(env);
  const loaded = loadConfig(undefined, env);
  if (loaded) checkSecrets(loaded, env);
  const json = loadRepositoriesFile(env);
  return {
    repositories: mergeRepositories(loaded, json, env),
    sourceRoots: anyPath ? 'any' : roots(env, 'MERIDIAN_SOURCE_ROOTS'),
    ...(loaded ? { configSources: { file: loaded.file, paths: Object.values(loaded.config.sources).map((source) => source.path) } } : {}),
    restoreRoots: anyPath ? 'any' : roots(env, 'MERIDIAN_RESTORE_ROOTS'),
    ...(loaded && Object.keys(loaded.config.replication).length > 0 ? { replication: replicationSettings(loaded, env) } : {}),
    ...(loaded ? { runbooks: loaded.config.runbooks, notifications: loaded.config.notifications, sources: loaded.config.sources } : {}),
    origin: {
      kind: 'environment',
      repositoriesFile: repositoriesFile(env),
      configFile: configFilePath(undefined, env),
      filesRead: [...(loaded ? [loaded.file] : []), ...(json ? [repositoriesFile(env)] : [])],
    },
  };
}

/** The repositories of this process's meridian.yaml and of `$MERIDIAN_HOME/repositories.json` (each optional). */
export function loadRepositories(env: NodeJS.ProcessEnv = process.env): ConfiguredRepository[] {
  return mergeRepositories(loadConfig(undefined, env), loadRepositoriesFile(env), env);
}

/** The repositories of both files; a name defined in both is an error naming both. */
function mergeRepositories(loaded: LoadedConfig | undefined, json: ConfiguredRepository[] | undefined, env: NodeJS.ProcessEnv): ConfiguredRepository[] {
  const fromConfig: ConfiguredRepository[] = Object.entries(loaded?.config.repositories ?? {}).map(([name, entry]) => ({
    name,
    url: entry.url,
    ...(entry.role !== undefined ? { role: entry.role } : {}),
    ...(entry.passwordFile !== undefined ? { passwordFile: entry.passwordFile } : {}),
    ...(entry.passwordEnv !== undefined ? { passwordEnv: entry.passwordEnv } : {}),
    ...(entry.immutable !== undefined ? { immutable: entry.immutable } : {}),
    key: repositoryLocationKey(entry.url),
  }));
  for (const repository of json ?? []) {
    if (repository.name !== undefined && fromConfig.some((r) => r.name === repository.name)) {
      throw new RepositoryError('invalid-argument', `repository "${repository.name}" is defined both in ${loaded!.file} and in ${repositoriesFile(env)}: keep one (meridian.yaml is the place for it)`);
    }
  }
  return [...fromConfig, ...(json ?? [])];
}

/** The repositories of `$MERIDIAN_HOME/repositories.json`; undefined when it does not exist. */
function loadRepositoriesFile(env: NodeJS.ProcessEnv): ConfiguredRepository[] | undefined {
  const file = repositoriesFile(env);
  if (!fs.existsSync(file)) return undefined;
  const malformed = (why: string) => new RepositoryError('invalid-argument', `${file} is malformed: ${why}`);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw malformed(err instanceof Error ? err.message : String(err));
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load: zod only when the file exists
  const { RepositoriesFileSchema } = require('./repositoriesFileSchema.js') as typeof RepositoriesFile;
  const parsed = RepositoriesFileSchema.safeParse(json);
  if (!parsed.success) throw malformed(`${parsed.error.issues[0]?.path.join('.') || 'file'}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return Object.entries(parsed.data).map(([key, entry]) => {
    const named = isRepositoryName(key);
    if (named && entry.url === undefined) throw malformed(`"${key}" is a name and needs a "url"`);
    if (!named && entry.url !== undefined) throw malformed(`"${key}" is a repository URL and takes no "url" (a name is letters, digits, ".", "_" and "-")`);
    const url = entry.url ?? key;
    try {
      return { ...(named ? { name: key } : {}), url, passwordFile: entry.passwordFile, ...(entry.role !== undefined ? { role: entry.role } : {}), key: repositoryLocationKey(url) };
    } catch (err) {
      throw malformed(`"${key}": ${err instanceof Error ? err.message.replace(/^\[storage\] /, '') : String(err)}`);
    }
  });
}

/**
 * The configured repository a reference designates: by name, or by URL when its full location
 * (endpoint, region… included) equals a configured one; undefined otherwise. A reference that is
 * neither a name nor a valid URL throws the URL's parse error.
 */
export function findRepository(repositories: readonly ConfiguredRepository[], reference: string): ConfiguredRepository | undefined {
  if (isRepositoryName(reference)) return repositories.find((r) => r.name === reference);
  const key = repositoryLocationKey(reference);
  return repositories.find((r) => r.key === key);
}

/**
 * What a reference given to a command in this process designates: its configured entry, else
 * (a URL or path) the URL itself; an unknown name is an invalid-argument error.
 */
export function commandRepository(reference: string, env: NodeJS.ProcessEnv = process.env): ConfiguredRepository {
  const configured = findRepository(loadRepositories(env), reference);
  if (configured) return configured;
  if (isRepositoryName(reference)) {
    throw new RepositoryError('invalid-argument', `unknown repository name "${reference}": it is neither in the repositories of ${configFilePath(undefined, env)} nor in ${repositoriesFile(env)}`);
  }
  return { url: reference, key: repositoryLocationKey(reference) };
}

/** One line saying what a worker of this configuration serves, for its start-up notice. */
export function describeWorkerConfig(config: WorkerConfig): string {
  const from = config.origin.kind === 'environment' ? ` (${filesRead(config.origin)})` : '';
  const count = config.repositories.length;
  const appendOnly = config.repositories.filter((r) => r.role === 'append-only').map((r) => r.name ?? r.url);
  const roles = appendOnly.length > 0 ? `, append-only for ${appendOnly.join(', ')}` : '';
  const repositories = count === 0 ? `no repository${from}: every operation will be refused` : `${count} ${count === 1 ? 'repository' : 'repositories'}${from}${roles}`;
  const roots = (label: string, value: Roots) => `${label} ${value === 'any' ? 'any path' : value.length === 0 ? 'no path' : value.join(path.delimiter)}`;
  const backupRoots = config.sourceRoots === 'any' ? 'any' : [...config.sourceRoots, ...(config.configSources?.paths ?? [])];
  return `serving ${repositories}; ${roots('backups from', backupRoots)}; ${roots('restores into', config.restoreRoots)}`;
}

/** The files a worker read its configuration from, or that neither exists. */
function filesRead(origin: { repositoriesFile: string; configFile: string; filesRead: string[] }): string {
  return origin.filesRead.length > 0 ? origin.filesRead.join(', ') : `neither ${origin.configFile} nor ${origin.repositoriesFile} exists`;
}

function allowAnyPath(env: NodeJS.ProcessEnv): boolean {
  const value = env.MERIDIAN_ALLOW_ANY_PATH ?? '';
  if (value !== '' && value !== '0' && value !== '1') throw new RepositoryError('invalid-argument', `MERIDIAN_ALLOW_ANY_PATH must be 1 or 0 (got "${value}")`);
  return value === '1';
}

function roots(env: NodeJS.ProcessEnv, variable: 'MERIDIAN_SOURCE_ROOTS' | 'MERIDIAN_RESTORE_ROOTS'): string[] {
  const list = (env[variable] ?? '').split(path.delimiter).filter(Boolean);
  for (const root of list) {
    if (!path.isAbsolute(root)) throw new RepositoryError('invalid-argument', `${variable}: "${root}" is not an absolute path`);
  }
  return list.map((root) => path.resolve(root));
}

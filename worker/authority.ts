// The worker's authority: before an activity opens any storage or touches any path, its request
// must name a repository the worker's configuration holds and, for a backup or a restore, a source
// or target really under a configured root. Anything else is refused for good (RepositoryError
// 'refused': a non-retryable failure, 403 in the API, exit 5 in the CLI), naming the setting that
// would allow it. The CLI's in-process worker gets the authority of its one command only.

import path from 'node:path';
import { RepositoryError } from '../core/errors.js';
import type { RepositoryRole } from '../config/repositoryRole.js';
import { configFromUrl, describeConfig } from '../storage/config.js';
import { isRepositoryName } from '../storage/open.js';
import { isPlainAbsolutePath, isUnderRoots } from './realPaths.js';
import { passphraseOf, PassphraseOptions } from './passphrases.js';
import { ConfigSources, ConfiguredRepository, findRepository, Roots, WorkerConfig } from './workerConfig.js';

export interface AdmissionRequest {
  /** A repository name or URL, as the workflow input (or API request) gives it. */
  repo: string;
  /** A backup's source directory. */
  source?: string;
  /** A restore's target directory. */
  target?: string;
  /** The workflow the request comes from (activities always say). */
  workflowId?: string;
  /** The operation, when it deletes or replaces files (forget, prune, repair…): refused where the worker's role for the repository is append-only. */
  maintenance?: string;
}

/** A repository the request may use, with the passphrase the worker holds for it. */
export interface AdmittedRepository {
  url: string;
  /** Append-only: its storage is opened so that nothing but locks can be deleted or replaced. */
  role?: RepositoryRole;
  passphrase(): string | undefined;
}

export interface Authority {
  /** Resolves the request's repository, or throws RepositoryError('refused') without opening anything. */
  admit(request: AdmissionRequest): Promise<AdmittedRepository>;
}

const refused = (message: string) => new RepositoryError('refused', `[authority] refused ${message}`);

export function configuredAuthority(config: WorkerConfig, options: PassphraseOptions = {}): Authority {
  return {
    async admit(request) {
      const repository = knownRepository(config, request.repo);
      if (request.maintenance !== undefined && repository.role === 'append-only') throw refused(appendOnlyMessage(config, request.maintenance, request.repo));
      if (request.source !== undefined) await requireUnderRoots(config, 'backup source', request.source, config.sourceRoots, 'MERIDIAN_SOURCE_ROOTS', config.configSources);
      if (request.target !== undefined) await requireUnderRoots(config, 'restore target', request.target, config.restoreRoots, 'MERIDIAN_RESTORE_ROOTS');
      return { url: repository.url, ...(repository.role !== undefined ? { role: repository.role } : {}), passphrase: () => passphraseOf(repository, options) };
    },
  };
}

/**
 * The authority of the worker a CLI command runs in its own process: the command's repository,
 * source and target, for the command's workflow only. The embedded dev server lets any local user
 * start workflows, on this worker's task queue too; those are refused.
 */
export function commandAuthority(command: { repository: ConfiguredRepository; source?: string; target?: string; workflowId: Promise<string> }, options: PassphraseOptions): Authority {
  const authority = configuredAuthority(
    {
      repositories: [command.repository],
      sourceRoots: command.source === undefined ? [] : [command.source],
      restoreRoots: command.target === undefined ? [] : [command.target],
      origin: { kind: 'command' },
    },
    options,
  );
  const own = command.workflowId.catch(() => undefined); // a start that failed leaves no workflow to admit
  return {
    async admit(request) {
      if (request.workflowId === undefined || request.workflowId !== (await own)) {
        throw refused(`workflow ${request.workflowId ?? '(none)'}: this worker belongs to a meridian CLI command and runs only that command's workflow`);
      }
      return authority.admit(request);
    },
  };
}

function knownRepository(config: WorkerConfig, reference: string): ConfiguredRepository {
  let repository: ConfiguredRepository | undefined;
  try {
    repository = findRepository(config.repositories, reference);
  } catch (err) {
    throw refused(`a repository that is neither a name nor a valid URL (${err instanceof Error ? err.message.replace(/^\[storage\] /, '') : String(err)})`);
  }
  if (repository) return repository;
  const what = describeReference(reference);
  if (config.origin.kind === 'command') throw refused(`${what}: this worker serves only the repository of the meridian command that started it`);
  throw refused(
    `${what}: this worker is not configured for it (add it to the repositories of ${config.origin.configFile} by name, or to ${config.origin.repositoriesFile} by name or by URL with the same endpoint, region and prefix)`,
  );
}

/** Why a maintenance operation is refused on a repository the worker may only append to. */
function appendOnlyMessage(config: WorkerConfig, operation: string, reference: string): string {
  const where = config.origin.kind === 'environment' ? ` in ${config.origin.configFile}` : '';
  return `${operation} on ${describeReference(reference)}: this worker's role for it is append-only (role: append-only${where}), which adds files and never deletes or replaces them; run ${operation} on a worker with the maintenance role`;
}

/**
 * A repository reference as a refusal names it: a name, or the URL's location and endpoint host;
 * never the rest of the URL (query values, user info of an endpoint), which a caller may have
 * filled with anything.
 */
function describeReference(reference: string): string {
  if (isRepositoryName(reference)) return `repository name "${reference}"`;
  const config = configFromUrl(reference);
  const endpoint = config.type !== 'local' && config.endpoint ? ` at ${new URL(config.endpoint).host}` : '';
  return `repository "${describeConfig(config)}"${endpoint}`;
}

async function requireUnderRoots(config: WorkerConfig, what: string, p: string, roots: Roots, variable: string, sources?: ConfigSources): Promise<void> {
  if (!isPlainAbsolutePath(p)) throw refused(`${what} "${p}": it must be an absolute path without "." or ".." segments`);
  if (roots === 'any' || (await isUnderRoots(p, roots))) return;
  if (sources && sources.paths.length > 0 && (await isUnderRoots(p, sources.paths))) return;
  if (config.origin.kind === 'command') throw refused(`${what} ${p}: this worker serves only the paths of the meridian command that started it`);
  const configured = roots.length === 0 ? `${variable} is not set` : `${variable} is ${roots.join(path.delimiter)}`;
  const fromFile = sources && sources.paths.length > 0 ? `; the sources of ${sources.file} are ${sources.paths.join(path.delimiter)}` : '';
  throw refused(`${what} ${p}: not under a configured root (${configured}${fromFile}; MERIDIAN_ALLOW_ANY_PATH=1 allows any path on a single-user machine)`);
}

// `meridian init`: creates a repository (encrypted unless --no-encryption) with the given
// compression, chunker and pack size, directly on its storage; `--replica-of NAME|URL` makes
// --repo a replica of that repository instead (core/replicaInit.ts: its keys, the replica-state
// document, its config last), opened with its own passphrase. Again on the same replica: nothing
// to do; on a location holding another repository: refused (not-a-replica, exit 3). With
// --immutable-days (or `immutable:` in meridian.yaml) the S3 bucket gets Object Lock first.

import type { ChunkerParams } from '../../core/chunker.js';
import { COMPRESSION_LEVELS, COMPRESSION_NAMES } from '../../core/compression.js';
import type { ImmutablePolicy } from '../../core/immutablePolicy.js';
import { IMMUTABLE_MODES } from '../../core/optionChoices.js';
import { initReplica } from '../../core/replicaInit.js';
import { Repository } from '../../core/repository.js';
import type { InitOptions } from '../../core/repositoryConfig.js';
import { isRepositoryName, parseRepositoryUrl } from '../../storage/open.js';
import { commandRepository } from '../../worker/workerConfig.js';
import { enumValue, expectPositionals, integerValue, numberValue, parseCommand, repositoryPassphrase, repositoryUrl } from '../args.js';
import { EXIT, ExitCode, usageError } from '../exitCodes.js';
import { formatBytes, printJson, printLines, shortId } from '../output.js';
import { withRepository, withStorage } from '../repositoryAccess.js';

/** The options that shape a new repository's data; a replica takes all of them from its primary (its immutability is its own). */
const CREATION_OPTIONS = ['no-encryption', 'compression', 'compression-level', 'chunk-min', 'chunk-avg', 'chunk-max', 'pack-size'] as const;

export async function run(args: string[]): Promise<ExitCode> {
  const { values, positionals, from } = parseCommand('init', args);
  expectPositionals('init', positionals, [], 0);
  const repo = repositoryUrl('init', values.repo, from('repo'));
  const immutable = immutablePolicy(values, commandRepository(repo).immutable);
  if (values['replica-of'] !== undefined) {
    const given = CREATION_OPTIONS.find((name) => values[name] !== undefined);
    if (given) throw usageError(`--${given} does not go with --replica-of: a replica has its primary's encryption, compression, chunker and pack size`);
    return initReplicaOf(repositoryUrl('init', values['replica-of'], '--replica-of'), repo, { passwordFile: values['password-file'], json: values.json === true, immutable });
  }
  const init: InitOptions = {
    encryption: !values['no-encryption'],
    compression: enumValue('--compression', values.compression, COMPRESSION_NAMES),
    compressionLevel: enumValue('--compression-level', values['compression-level'], COMPRESSION_LEVELS),
    chunker: chunkerOptions(values),
    packSizeMiB: numberValue('--pack-size', values['pack-size'], (n) => n >= 1 && n <= 512, 'a size in MiB from 1 to 512'),
  };
  const passphrase = repositoryPassphrase(repo, values['password-file']);
  if (init.encryption && !passphrase) {
    throw usageError('a new encrypted repository needs a passphrase: set MERIDIAN_PASSWORD or use --password-file (or pass --no-encryption)');
  }
  if (immutable) await enableImmutability(commandRepository(repo).url, immutable);
  const created = await withStorage(repo, (storage) => Repository.init(storage, passphrase, init));
  const { config } = created;
  if (values.json) {
    printJson({ repositoryId: config.id, location: shown(repo), encrypted: config.encrypted, compression: config.compression, packSize: config.packSize, ...(immutable ? { immutable } : {}) });
    return EXIT.ok;
  }
  printLines(
    `created ${config.encrypted ? 'an encrypted' : 'an unencrypted'} repository ${shortId(config.id)} at ${shown(repo)}` +
      ` (${config.compression} ${config.compressionLevel}, packs of ${formatBytes(config.packSize)}` +
      `${immutable ? `; immutable: every file locked ${immutable.days} days in ${immutable.mode} mode` : ''})`,
  );
  return EXIT.ok;
}

/** --immutable-days/--immutable-mode, else the repository's `immutable:` in meridian.yaml; undefined for an ordinary repository. */
function immutablePolicy(values: { 'immutable-days'?: string; 'immutable-mode'?: string }, configured: ImmutablePolicy | undefined): ImmutablePolicy | undefined {
  const days = integerValue('--immutable-days', values['immutable-days'], 1, 36500);
  const mode = enumValue('--immutable-mode', values['immutable-mode'], IMMUTABLE_MODES);
  if (days === undefined) {
    if (mode !== undefined) throw usageError('--immutable-mode goes with --immutable-days');
    return configured;
  }
  return { days, mode: mode ?? 'governance' };
}

/** The bucket made (or found) with Object Lock and the policy's default retention, before any repository file is written. */
async function enableImmutability(url: string, policy: ImmutablePolicy): Promise<void> {
  const { openS3Versions } = await import('../../storage/s3Versions.js'); // the S3 SDK, for this case only
  const store = openS3Versions(url);
  try {
    await store.enable(policy);
  } finally {
    await store.close();
  }
}

/** A repository as the user named it, or its location without query. */
const shown = (reference: string) => (isRepositoryName(reference) ? reference : parseRepositoryUrl(reference).display);

/**
 * Opens the primary with its passphrase and makes `repo` its replica (or finds it already is);
 * an immutable replica's bucket gets Object Lock first (a vault copy in another region).
 */
async function initReplicaOf(primary: string, repo: string, options: { passwordFile: string | undefined; json: boolean; immutable: ImmutablePolicy | undefined }): Promise<ExitCode> {
  if (commandRepository(primary).key === commandRepository(repo).key) throw usageError(`--replica-of and --repo name the same location (${shown(repo)}): a replica lives elsewhere`);
  const passphrase = repositoryPassphrase(primary, options.passwordFile);
  const { immutable, json } = options;
  const { repositoryId, created } = await withRepository(primary, passphrase, async (opened) => {
    if (immutable) await enableImmutability(commandRepository(repo).url, immutable);
    return withStorage(repo, (target) => initReplica(opened, target));
  });
  if (json) {
    printJson({ repositoryId, replicaOf: shown(primary), location: shown(repo), created, ...(immutable ? { immutable } : {}) });
    return EXIT.ok;
  }
  printLines(
    created
      ? `replica of ${shown(primary)} created at ${shown(repo)} (repository ${shortId(repositoryId)}${immutable ? `; immutable: every file locked ${immutable.days} days in ${immutable.mode} mode` : ''}); data arrives with the next replication pass`
      : `${shown(repo)} is already a replica of ${shown(primary)} (repository ${shortId(repositoryId)}); nothing to do`,
  );
  return EXIT.ok;
}

/** Only the chunker sizes given, so the defaults fill in the rest. */
function chunkerOptions(values: Partial<Record<`chunk-${keyof ChunkerParams}`, string>>): Partial<ChunkerParams> {
  const sizes = (['min', 'avg', 'max'] as const).flatMap((key) => {
    const size = integerValue(`--chunk-${key}`, values[`chunk-${key}`], 1);
    return size === undefined ? [] : [[key, size] as const];
  });
  return Object.fromEntries(sizes);
}

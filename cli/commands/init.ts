// `meridian init`: creates a repository (encrypted unless --no-encryption) with the given
// compression, chunker and pack size, directly on its storage.

import type { ChunkerParams } from '../../core/chunker.js';
import { COMPRESSION_LEVELS, COMPRESSION_NAMES } from '../../core/compression.js';
import { Repository } from '../../core/repository.js';
import type { InitOptions } from '../../core/repositoryConfig.js';
import { isRepositoryName, parseRepositoryUrl } from '../../storage/open.js';
import { enumValue, expectPositionals, integerValue, numberValue, parseCommand, repositoryPassphrase, repositoryUrl } from '../args.js';
import { EXIT, ExitCode, usageError } from '../exitCodes.js';
import { formatBytes, printLines, shortId } from '../output.js';
import { withStorage } from '../repositoryAccess.js';

export async function run(args: string[]): Promise<ExitCode> {
  const { values, positionals, from } = parseCommand('init', args);
  expectPositionals('init', positionals, [], 0);
  const repo = repositoryUrl('init', values.repo, from('repo'));
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
  const created = await withStorage(repo, (storage) => Repository.init(storage, passphrase, init));
  const { config } = created;
  printLines(
    `created ${config.encrypted ? 'an encrypted' : 'an unencrypted'} repository ${shortId(config.id)} at ${isRepositoryName(repo) ? repo : parseRepositoryUrl(repo).display}` +
      ` (${config.compression} ${config.compressionLevel}, packs of ${formatBytes(config.packSize)})`,
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

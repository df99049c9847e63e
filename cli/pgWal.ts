// `meridian pg wal-push PATH` and `meridian pg wal-fetch NAME PATH` in direct mode: this process
// opens the repository itself, stores or reads one WAL file, and closes it.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fetchWal, pushWal } from '../core/walArchive.js';
import { clusterOption, expectPositionals, parseCommand, repositoryPassphrase, repositoryUrl } from './args.js';
import { EXIT, ExitCode } from './exitCodes.js';
import { printLines } from './output.js';
import { withRepository } from './repositoryAccess.js';

/** Exits 0 only once the WAL file is stored (or was already, with the same content). */
export async function walPush(args: string[]): Promise<ExitCode> {
  const { target, positionals } = walTarget(args);
  const [file] = expectPositionals('pg', positionals, ['PATH'], 1);
  const bytes = await fs.readFile(file!);
  const outcome = await withRepository(target.url, target.passphrase, (repo) => pushWal(repo, { cluster: target.cluster, walName: path.basename(file!), bytes }));
  printLines(`${path.basename(file!)}: ${outcome}`);
  return EXIT.ok;
}

/** Exits 0 with the file written to PATH, 1 when it is not archived; cli/main.ts makes any error exit 126. */
export async function walFetch(args: string[]): Promise<ExitCode> {
  const { target, positionals } = walTarget(args);
  const [walName, destination] = expectPositionals('pg', positionals, ['NAME', 'PATH'], 2);
  const bytes = await withRepository(target.url, target.passphrase, (repo) => fetchWal(repo, { cluster: target.cluster, walName: walName! }));
  if (!bytes) return EXIT.failed;
  // Written beside PATH and renamed: recovery never reads a partly written file.
  const temp = `${destination!}.meridian-tmp`;
  await fs.writeFile(temp, bytes);
  await fs.rename(temp, destination!);
  return EXIT.ok;
}

function walTarget(args: string[]) {
  const { values, positionals, from } = parseCommand('pg', args);
  const cluster = clusterOption(values.cluster);
  const url = repositoryUrl('pg', values.repo, from('repo'));
  return { target: { url, passphrase: repositoryPassphrase(url, values['password-file']), cluster }, positionals };
}

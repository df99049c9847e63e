// `meridian key add|list|remove [ID]`: manages the key files of an encrypted repository directly
// on its storage. `add` takes the new passphrase from MERIDIAN_NEW_PASSWORD or --new-password-file.

import type { Repository } from '../../core/repository.js';
import { expectPositionals, parseCommand, passwordFromFile, repositoryPassphrase, repositoryUrl } from '../args.js';
import { EXIT, ExitCode, usageError } from '../exitCodes.js';
import { formatTable, formatTime, printLines, shortId } from '../output.js';
import { withRepository } from '../repositoryAccess.js';

type KeyAction = (repository: Repository) => Promise<string[]>;

export async function run(args: string[]): Promise<ExitCode> {
  const { values, positionals, from } = parseCommand('key', args);
  const [action, id] = expectPositionals('key', positionals, ['add|list|remove', 'ID'], 1);
  const act = keyAction(action!, id, values['new-password-file']);
  const repo = repositoryUrl('key', values.repo, from('repo'));
  printLines(...(await withRepository(repo, repositoryPassphrase(repo, values['password-file']), act)));
  return EXIT.ok;
}

/** What the action does, checked before the repository is opened. */
function keyAction(action: string, id: string | undefined, newPasswordFile: string | undefined): KeyAction {
  if (action !== 'remove' && id !== undefined) throw usageError(`key ${action} takes no ID (got '${id}')`);
  switch (action) {
    case 'add': {
      const passphrase = passwordFromFile(newPasswordFile) ?? process.env.MERIDIAN_NEW_PASSWORD;
      if (!passphrase) throw usageError('key add needs the new passphrase: set MERIDIAN_NEW_PASSWORD or use --new-password-file');
      return async (repository) => [`added key ${shortId((await repository.addKey(passphrase)).id)}`];
    }
    case 'list':
      return async (repository) => {
        const rows = (await repository.listKeys()).map((k) =>
          k.malformed ? [` ${shortId(k.id)}`, '(malformed key file)', '', ''] : [`${k.current ? '*' : ' '}${shortId(k.id)}`, formatTime(k.created), k.host, k.username],
        );
        return formatTable([' ID', 'CREATED', 'HOST', 'USER'], rows);
      };
    case 'remove':
      if (id === undefined) throw usageError('key remove needs the ID of the key to remove');
      return async (repository) => [`removed key ${shortId(await repository.removeKey(id))}`];
    default:
      throw usageError(`unknown key action '${action}': use add, list or remove`);
  }
}

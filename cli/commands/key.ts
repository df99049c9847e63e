// `meridian key add|list|remove [ID]`: manages the key files of an encrypted repository directly
// on its storage. `add` takes the new passphrase from MERIDIAN_NEW_PASSWORD or --new-password-file.
// `meridian key rotate`: starts a key rotation directly (a new key, the config sealed under it, the
// other key files deleted; the new key file under the new passphrase when one is given, else the
// current one), then runs its background half through the key-rotation workflow.

import { loadConfig } from '../../config/load.js';
import type { Repository } from '../../core/repository.js';
import { commandRepository } from '../../worker/workerConfig.js';
import { expectPositionals, integerValue, parseCommand, passwordFromFile, repositoryPassphrase, repositoryUrl } from '../args.js';
import { EXIT, ExitCode, usageError } from '../exitCodes.js';
import { runOperation } from '../operation.js';
import { count, formatBytes, formatDuration, formatTable, formatTime, notice, printJson, printLines, shortId } from '../output.js';
import { withRepository } from '../repositoryAccess.js';
import type { KeyRotationOutput } from '../../workflows/shared.js';

type KeyAction = (repository: Repository) => Promise<string[]>;

export async function run(args: string[]): Promise<ExitCode> {
  const { values, positionals, from } = parseCommand('key', args);
  const [action, id] = expectPositionals('key', positionals, ['add|list|remove|rotate', 'ID'], 1);
  const newPassphrase = passwordFromFile(values['new-password-file']) ?? process.env.MERIDIAN_NEW_PASSWORD;
  if (action === 'rotate') {
    if (id !== undefined) throw usageError(`key rotate takes no ID (got '${id}')`);
    const bytesPerSecond = integerValue('--bytes-per-second', values['bytes-per-second'], 1);
    const repo = repositoryUrl('key', values.repo, from('repo'));
    return rotate(repo, repositoryPassphrase(repo, values['password-file']), newPassphrase, { bytesPerSecond, json: values.json === true });
  }
  const act = keyAction(action!, id, newPassphrase);
  const repo = repositoryUrl('key', values.repo, from('repo'));
  printLines(...(await withRepository(repo, repositoryPassphrase(repo, values['password-file']), act)));
  return EXIT.ok;
}

/** What the action does, checked before the repository is opened. */
function keyAction(action: string, id: string | undefined, newPassphrase: string | undefined): KeyAction {
  if (action !== 'remove' && id !== undefined) throw usageError(`key ${action} takes no ID (got '${id}')`);
  switch (action) {
    case 'add': {
      if (!newPassphrase) throw usageError('key add needs the new passphrase: set MERIDIAN_NEW_PASSWORD or use --new-password-file');
      return async (repository) => [`added key ${shortId((await repository.addKey(newPassphrase)).id)}`];
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
      throw usageError(`unknown key action '${action}': use add, list, remove or rotate`);
  }
}

/** Starts (or carries on) a rotation, then waits for its workflow; the repository is opened by the new key file from then on. */
async function rotate(repo: string, passphrase: string | undefined, newPassphrase: string | undefined, options: { bytesPerSecond?: number; json: boolean }): Promise<ExitCode> {
  const keyPassphrase = newPassphrase ?? passphrase;
  if (!keyPassphrase) throw usageError('key rotate needs the passphrase of the repository (MERIDIAN_PASSWORD or --password-file)');
  const started = await withRepository(repo, passphrase, (repository) => repository.startRotation(keyPassphrase));
  noticeReplicaSets(repo);
  if (!options.json) {
    printLines(`key rotation: new key ${shortId(started.keyId)}${started.removedKeys.length ? `; deleted ${count(started.removedKeys.length, 'key file')} holding the old key (${started.removedKeys.map(shortId).join(', ')})` : ''}; sealing every file again`);
  }
  const { workflowId, result } = await runOperation('key-rotation', { repo, bytesPerSecond: options.bytesPerSecond }, { passphrase: keyPassphrase });
  if (options.json) printJson({ workflowId, ...result, startedKey: started.keyId, removedKeyFiles: [...started.removedKeys, ...result.removedKeyFiles] });
  else printLines(...rotationLines(result));
  return EXIT.ok;
}

/** Replicas are copies sealed under the old key: the sets of meridian.yaml that hold the repository are named, with what to do. */
function noticeReplicaSets(repo: string): void {
  const name = commandRepository(repo).name;
  if (name === undefined) return;
  for (const [set, entry] of Object.entries(loadConfig()?.config.replication ?? {})) {
    if (entry.primary !== name && !entry.replicas.includes(name)) continue;
    notice(`repository "${name}" is in replica set "${set}": its replicas hold the old key, and replication refuses them once the config is sealed anew; after the rotation, make fresh replicas with meridian init --replica-of`);
  }
}

function rotationLines(r: KeyRotationOutput): string[] {
  const files = Object.entries(r.files)
    .filter(([, n]) => n > 0)
    .map(([type, n]) => `${n} ${type}`);
  return [
    `sealed again: ${count(r.packs.repacked, 'pack')} repacked into ${r.packs.written} (${formatBytes(r.bytes.read)} read, ${formatBytes(r.bytes.written)} written), ${count(r.packs.deleted, 'unused pack')} deleted; files: ${files.length ? files.join(', ') : 'none'}; ${count(r.rounds, 'round')}`,
    `retired key destroyed: ${r.keyFile ? `key ${shortId(r.keyFile)} now opens the repository` : 'no retired key was left'}${r.removedKeyFiles.length ? `; deleted key ${count(r.removedKeyFiles.length, 'file')} ${r.removedKeyFiles.map(shortId).join(', ')}` : ''}; in ${formatDuration(r.durationMs)}`,
  ];
}

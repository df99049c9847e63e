// `meridian prune --repo URL [--max-unused PERCENT] [--dry-run]`: deletes the packs of data no
// snapshot uses and repacks partly used ones through the prune workflow (one per repository at
// a time: a second one exits 1 naming the running workflow). Also prints `forget --prune`'s prune.

import { numberValue, expectPositionals, parseCommand, repositoryPassphrase, repositoryUrl } from '../args.js';
import { EXIT, ExitCode } from '../exitCodes.js';
import { runOperation } from '../operation.js';
import { count, formatBytes, formatDuration, printJson, printLines } from '../output.js';
import type { PruneOutput } from '../../workflows/shared.js';

export async function run(args: string[]): Promise<ExitCode> {
  const { values, positionals, from } = parseCommand('prune', args);
  expectPositionals('prune', positionals, [], 0);
  const repo = repositoryUrl('prune', values.repo, from('repo'));
  const input = { repo, maxUnusedPercent: maxUnusedValue(values['max-unused']), dryRun: values['dry-run'] };
  const { workflowId, result } = await runOperation('prune', input, { passphrase: repositoryPassphrase(repo, values['password-file']) });
  if (values.json) printJson({ workflowId, ...result });
  else printLines(...pruneLines(result));
  return EXIT.ok;
}

/** --max-unused: a percentage from 0 to 100. */
export function maxUnusedValue(value: string | undefined): number | undefined {
  return numberValue('--max-unused', value?.replace(/%$/, ''), (n) => n >= 0 && n <= 100, 'a percentage from 0 to 100');
}

/** A prune's result in a few lines: packs, bytes, index files, what else it did. */
export function pruneLines(r: PruneOutput): string[] {
  const { packs, bytes } = r;
  const verb = r.dryRun ? 'dry run: would delete' : 'pruned: deleted';
  return [
    `${verb} ${count(packs.deleted, 'pack')}, repacked ${packs.repacked} (into ${count(packs.written, 'new pack')}), kept ${packs.kept}; ${formatBytes(bytes.freed)} ${r.dryRun ? 'to free' : 'freed'}`,
    `  bytes: ${formatBytes(bytes.deleted)} deleted, ${formatBytes(bytes.repacked)} repacked, ${formatBytes(bytes.kept)} kept, ${formatBytes(bytes.written)} written`,
    `  index: ${count(r.indexFiles.before, 'file')} → ${r.indexFiles.after}; ${count(r.leftoversRemoved, 'leftover')} of killed writers removed; ` +
      `waited for ${count(r.locksWaitedFor, 'lock')}; ${count(r.rescuedPacks, 'pack')} rescued for snapshots made meanwhile; in ${formatDuration(r.durationMs)}`,
  ];
}

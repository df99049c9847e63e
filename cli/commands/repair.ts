// `meridian repair index|snapshots --repo URL [--json]`: repairs a damaged repository through the
// repair workflows. `index` rebuilds the index from the pack headers; `snapshots` rewrites the
// snapshots that reference lost data (tagged "repaired"). Exits 1 when packs were unreadable.

import { expectPositionals, parseCommand, repositoryPassphrase, repositoryUrl } from '../args.js';
import { EXIT, ExitCode, usageError } from '../exitCodes.js';
import { runOperation } from '../operation.js';
import { count, formatDuration, printJson, printLines, shortId } from '../output.js';

export async function run(args: string[]): Promise<ExitCode> {
  const { values, positionals, from } = parseCommand('repair', args);
  const [what] = expectPositionals('repair', positionals, ['index|snapshots'], 1);
  if (what !== 'index' && what !== 'snapshots') throw usageError(`repair ${what}: expected 'index' or 'snapshots'; see 'meridian help repair'`);
  const repo = repositoryUrl('repair', values.repo, from('repo'));
  const run = { passphrase: repositoryPassphrase(repo, values['password-file']), json: values.json === true };
  return what === 'index' ? repairIndex(repo, run) : repairSnapshots(repo, run);
}

type RunOptions = { passphrase: string | undefined; json: boolean };

async function repairIndex(repo: string, run: RunOptions): Promise<ExitCode> {
  const { workflowId, result: r } = await runOperation('repair-index', { repo }, run);
  const { durationMs, ...result } = r;
  if (run.json) {
    printJson({ workflowId, ...result, durationMs });
  } else {
    const unlisted = r.packsUnreadable - r.unreadable.length;
    printLines(
      ...r.unreadable.map((u) => `unreadable: pack ${shortId(u.pack)}: ${u.reason}`),
      ...(unlisted > 0 ? [`unreadable: and ${count(unlisted, 'more pack')}`] : []),
      `rebuilt the index: ${count(r.packsRead, 'pack')} read, ${count(r.blobsIndexed, 'blob')} indexed, ${count(r.packsUnreadable, 'pack')} unreadable; ` +
        `${count(r.indexFilesWritten, 'index file')} written, ${r.indexFilesRemoved} removed in ${formatDuration(durationMs)}`,
    );
  }
  return r.packsUnreadable > 0 ? EXIT.failed : EXIT.ok;
}

async function repairSnapshots(repo: string, run: RunOptions): Promise<ExitCode> {
  const { workflowId, result: r } = await runOperation('repair-snapshots', { repo }, run);
  const { durationMs, ...result } = r;
  if (run.json) {
    printJson({ workflowId, ...result, durationMs });
  } else {
    const unreadable = r.snapshotsUnreadable > 0 ? `; ${count(r.snapshotsUnreadable, 'snapshot file')} unreadable, left in place` : '';
    printLines(
      ...r.repaired.map((s) => `repaired: snapshot ${shortId(s.original)} → ${shortId(s.replacement)}`),
      `checked ${count(r.snapshotsChecked, 'snapshot')}: ${r.snapshotsRepaired} repaired (${count(r.filesTrimmed, 'file')} lost chunks, ` +
        `${count(r.dirsEmptied, 'directory', 'directories')} emptied)${unreadable} in ${formatDuration(durationMs)}`,
    );
  }
  return r.snapshotsUnreadable > 0 ? EXIT.failed : EXIT.ok;
}

// `meridian snapshots`: lists a repository's snapshots, oldest first, read directly from it.

import { listSnapshots, snapshotSummary } from '../../core/snapshots.js';
import { expectPositionals, parseCommand, repositoryPassphrase, repositoryUrl } from '../args.js';
import { EXIT, ExitCode } from '../exitCodes.js';
import { count, formatBytes, formatTable, formatTime, printJson, printLines, shortId } from '../output.js';
import { withRepository } from '../repositoryAccess.js';

export async function run(args: string[]): Promise<ExitCode> {
  const { values, positionals, from } = parseCommand('snapshots', args);
  expectPositionals('snapshots', positionals, [], 0);
  const repo = repositoryUrl('snapshots', values.repo, from('repo'));
  const snapshots = await withRepository(repo, repositoryPassphrase(repo, values['password-file']), listSnapshots);
  const rows = snapshots.map(snapshotSummary);
  if (values.json) {
    printJson(rows);
  } else if (rows.length === 0) {
    printLines('no snapshots');
  } else {
    const table = rows.map((s) => [shortId(s.id), formatTime(s.time), s.host, s.type, String(s.files), formatBytes(s.bytes), s.tags.join(','), s.source]);
    printLines(...formatTable(['ID', 'TIME', 'HOST', 'TYPE', 'FILES', 'SIZE', 'TAGS', 'SOURCE'], table), count(rows.length, 'snapshot'));
  }
  return EXIT.ok;
}

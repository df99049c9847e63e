// `meridian snapshots`: lists a repository's snapshots, oldest first, read directly from it; with
// --at T --source S, which snapshot and journal segments a restore of S as of T uses.

import { listSnapshots, snapshotSummary } from '../../core/snapshots.js';
import { expectPositionals, parseCommand, repositoryPassphrase, repositoryUrl } from '../args.js';
import { EXIT, ExitCode } from '../exitCodes.js';
import { count, formatBytes, formatTable, formatTime, printJson, printLines, shortId } from '../output.js';
import { withRepository } from '../repositoryAccess.js';
import { sourceOption, zonedTimeOption } from '../timeArgs.js';

export async function run(args: string[]): Promise<ExitCode> {
  const { values, positionals, from } = parseCommand('snapshots', args);
  expectPositionals('snapshots', positionals, [], 0);
  const repo = repositoryUrl('snapshots', values.repo, from('repo'));
  if (values.at !== undefined || values.source !== undefined) return showRestorePlan(repo, values);
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

/** The restore engine (core/journalRestore.ts, with the restorer, xattrs and decoder threads) is loaded only for a plan. */
async function showRestorePlan(repo: string, values: { at?: string; source?: string; json?: boolean; 'password-file'?: string }): Promise<ExitCode> {
  const [{ staleFiles }, { restoreAtSummary }] = await Promise.all([import('../../core/journalRestore.js'), import('../../core/restoreAtSummary.js')]);
  const at = zonedTimeOption('snapshots', '--at', values.at);
  const source = sourceOption('snapshots', values.source);
  const plan = await withRepository(repo, repositoryPassphrase(repo, values['password-file']), (r) => restoreAtSummary(r, { ...source, at }));
  if (values.json) {
    printJson(plan);
    return EXIT.ok;
  }
  const s = plan.snapshot;
  const stale = staleFiles(plan.segments);
  const segments = plan.segments.map((g) => [g.id.slice(0, 8), formatTime(g.from), formatTime(g.until), String(g.changed), String(g.deleted), g.rescan ?? '']);
  printLines(
    `${source.source} as of ${plan.at}: snapshot ${shortId(s.id)} of ${formatTime(s.time)} (${s.host}, ${count(s.files, 'file')}, ${formatBytes(s.bytes)}), then ${count(plan.segments.length, 'journal segment')}`,
    ...(segments.length > 0 ? formatTable(['SEGMENT', 'FROM', 'UNTIL', 'CHANGED', 'DELETED', 'RESCAN'], segments) : []),
    `covered: ${plan.covered.from} to ${plan.covered.until}`,
    ...(stale === undefined ? [] : [`warning: ${stale}`]),
  );
  return EXIT.ok;
}

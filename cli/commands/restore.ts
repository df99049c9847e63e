// `meridian restore SNAPSHOT|latest --target DIR`: restores a snapshot (or part of it) into a
// directory through the restore workflow (with --at, a source as of a time: cli/commands/restoreAt.ts). Files whose data is damaged are listed (and left out
// of the target) while everything intact is restored; then the command exits 1.

import path from 'node:path';
import { expectPositionals, parseCommand, repositoryPassphrase, repositoryUrl, requireOption } from '../args.js';
import { EXIT, ExitCode, usageError } from '../exitCodes.js';
import { runOperation } from '../operation.js';
import { restoreAtTime } from './restoreAt.js';
import { count, formatBytes, formatDuration, printJson, printLines, shortId } from '../output.js';

export async function run(args: string[]): Promise<ExitCode> {
  const { values, positionals, from } = parseCommand('restore', args);
  if (values.at !== undefined) {
    expectPositionals('restore', positionals, [], 0);
    if (values.include || values.exclude) throw usageError("--include and --exclude do not go with --at; see 'meridian help restore'");
    return restoreAtTime(values, from('repo'));
  }
  if (values.source !== undefined) throw usageError("--source goes with --at; see 'meridian help restore'");
  const [snapshot] = expectPositionals('restore', positionals, ['SNAPSHOT'], 1);
  const repo = repositoryUrl('restore', values.repo, from('repo'));
  const target = path.resolve(requireOption('restore', '--target', values.target));
  const input = { repo, snapshot: snapshot!, target, include: values.include, exclude: values.exclude };
  const passphrase = repositoryPassphrase(repo, values['password-file']);
  const { workflowId, result: r } = await runOperation('restore', input, { passphrase });
  if (values.json) {
    printJson({ snapshotId: r.snapshotId, workflowId, files: r.files, bytes: r.bytes, filesDamaged: r.filesDamaged, damaged: r.damaged, warnings: r.warnings, durationMs: r.durationMs });
  } else {
    const skipped = r.filesSkipped ? ` (${r.filesSkipped} already in place)` : '';
    const unlisted = r.filesDamaged - r.damaged.length;
    printLines(
      ...r.damaged.map((d) => `damaged: ${d.path}: ${d.reason}`),
      ...(unlisted > 0 ? [`damaged: and ${unlisted} more`] : []),
      ...r.warnings.map((w) => `warning: ${w}`),
      `restored snapshot ${shortId(r.snapshotId)} to ${target}: ${count(r.files, 'file')}${skipped}, ${formatBytes(r.bytes)} in ${formatDuration(r.durationMs)}` +
        (r.filesDamaged > 0 ? `; ${r.filesDamaged} damaged, not restored` : ''),
    );
  }
  return r.filesDamaged > 0 ? EXIT.failed : EXIT.ok;
}

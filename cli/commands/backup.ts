// `meridian backup PATH`: backs a directory up as a new snapshot through the backup workflow; an
// entry it could not read is a warning on stderr, and such an incomplete snapshot exits 3.

import path from 'node:path';
import { BACKUP_TYPES } from '../../core/optionChoices.js';
import { enumValue, expectPositionals, parseCommand, repositoryPassphrase, repositoryUrl } from '../args.js';
import { SNAPSHOT_TIME_FORMAT, parseSnapshotTime } from '../../core/snapshotTime.js';
import { EXIT, ExitCode, usageError } from '../exitCodes.js';
import { runOperation } from '../operation.js';
import { count, formatBytes, formatDuration, printJson, printLines, shortId, warning } from '../output.js';

/** --time, sent to the worker as UTC: a time without a zone is this shell's local time. */
function snapshotTime(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const time = parseSnapshotTime(value);
  if (!time) throw usageError(`--time must be ${SNAPSHOT_TIME_FORMAT} (got "${value}")`);
  return time.toISOString();
}

export async function run(args: string[]): Promise<ExitCode> {
  const { values, positionals, from } = parseCommand('backup', args);
  const [source] = expectPositionals('backup', positionals, ['PATH'], 1);
  const repo = repositoryUrl('backup', values.repo, from('repo'));
  const input = {
    repo,
    path: path.resolve(source!),
    type: enumValue('--type', values.type, BACKUP_TYPES),
    tags: values.tag,
    exclude: values.exclude,
    time: snapshotTime(values.time),
  };
  const passphrase = repositoryPassphrase(repo, values['password-file']);
  const { workflowId, result: r } = await runOperation('backup', input, { passphrase });
  for (const line of r.warnings) warning(line);
  if (r.suspectedRansomware) {
    warning(`suspected ransomware: ${r.suspectedRansomware.reasons.join('; ')}; forget holds the older snapshots of ${r.source} until \`meridian alerts ack ${shortId(r.snapshotId)}\``);
  }
  if (values.json) {
    const { snapshotId, type, parent, filesNew, filesChanged, filesUnmodified, filesSkipped, warnings, dirs, bytesRead, bytesAdded, bytesStored, durationMs, suspectedRansomware } = r;
    printJson({ snapshotId, workflowId, type, parent, filesNew, filesChanged, filesUnmodified, filesSkipped, warnings, dirs, bytesRead, bytesAdded, bytesStored, durationMs, ...(suspectedRansomware && { suspectedRansomware }) });
  } else {
    printLines(
      `snapshot ${shortId(r.snapshotId)} saved (${r.type}${r.parent ? ` on ${shortId(r.parent)}` : ''}) in ${formatDuration(r.durationMs)}`,
      `  files: ${r.filesNew} new, ${r.filesChanged} changed, ${r.filesUnmodified} unmodified; ${count(r.dirs, 'directory', 'directories')}`,
      `  data:  ${formatBytes(r.bytesRead)} read, ${formatBytes(r.bytesAdded)} added, ${formatBytes(r.bytesStored)} stored`,
      ...(r.filesSkipped > 0 ? [`  incomplete: ${count(r.filesSkipped, 'entry', 'entries')} could not be read and ${r.filesSkipped === 1 ? 'is' : 'are'} not in the snapshot`] : []),
    );
  }
  return r.filesSkipped > 0 ? EXIT.incomplete : EXIT.ok;
}


// `meridian restore --at ISO8601 --source NAME|PATH --target DIR`: restores a source as it was at
// a time (its newest snapshot then plus the change journal up to then) through the restore-at workflow.

import path from 'node:path';
import { repositoryPassphrase, repositoryUrl, requireOption } from '../args.js';
import { EXIT, ExitCode } from '../exitCodes.js';
import { runOperation } from '../operation.js';
import { count, formatBytes, formatDuration, printJson, printLines, shortId } from '../output.js';
import { sourceOption, zonedTimeOption } from '../timeArgs.js';

interface RestoreAtValues {
  repo?: string;
  target?: string;
  at?: string;
  source?: string;
  json?: boolean;
  'password-file'?: string;
}

export async function restoreAtTime(values: RestoreAtValues, repoFrom: string): Promise<ExitCode> {
  const repo = repositoryUrl('restore', values.repo, repoFrom);
  const target = path.resolve(requireOption('restore', '--target', values.target));
  const at = zonedTimeOption('restore', '--at', values.at).toISOString();
  const input = { repo, ...sourceOption('restore', values.source), at, target };
  const { workflowId, result: r } = await runOperation('restore-at', input, { passphrase: repositoryPassphrase(repo, values['password-file']) });
  if (values.json) {
    printJson({ snapshotId: r.snapshot, segments: r.segments, at: r.at, workflowId, files: r.files, bytes: r.bytes, filesDamaged: r.filesDamaged, damaged: r.damaged, warnings: r.warnings, durationMs: r.durationMs });
  } else {
    printLines(
      ...r.damaged.map((d) => `damaged: ${d.path}: ${d.reason}`),
      ...r.warnings.map((w) => `warning: ${w}`),
      `restored ${input.source} as of ${r.at} to ${target} (snapshot ${shortId(r.snapshot)} + ${count(r.segments, 'journal segment')}): ` +
        `${count(r.files, 'file')}, ${formatBytes(r.bytes)} in ${formatDuration(r.durationMs)}` +
        (r.filesDamaged > 0 ? `; ${r.filesDamaged} damaged, not restored` : ''),
    );
  }
  return r.filesDamaged > 0 ? EXIT.failed : EXIT.ok;
}

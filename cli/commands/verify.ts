// `meridian verify [SNAPSHOT]`: checks the repository (or one snapshot) at the quick, standard or
// deep level through the verify workflow; exits 1 when it finds damage.

import { VERIFY_LEVELS } from '../../core/checker.js';
import { enumValue, expectPositionals, numberValue, parseCommand, repositoryPassphrase, repositoryUrl } from '../args.js';
import { EXIT, ExitCode } from '../exitCodes.js';
import { runOperation } from '../operation.js';
import { count, formatBytes, formatDuration, printJson, printLines } from '../output.js';

export async function run(args: string[]): Promise<ExitCode> {
  const { values, positionals, from } = parseCommand('verify', args);
  const [snapshot] = expectPositionals('verify', positionals, ['SNAPSHOT'], 0);
  const repo = repositoryUrl('verify', values.repo, from('repo'));
  const input = {
    repo,
    snapshot,
    level: enumValue('--level', values.level, VERIFY_LEVELS),
    samplePercent: numberValue('--sample-percent', values['sample-percent'], (n) => n > 0 && n <= 100, 'a percentage above 0, at most 100'),
  };
  const passphrase = repositoryPassphrase(repo, values['password-file']);
  const { workflowId, result: r } = await runOperation('verify', input, { passphrase });
  if (values.json) {
    printJson({ workflowId, level: r.level, ok: r.ok, checked: r.checked, problems: r.problems });
  } else {
    const { snapshots, packs, blobs, bytes } = r.checked;
    const checked = `${count(snapshots, 'snapshot')}, ${count(packs, 'pack')}, ${count(blobs, 'blob')}, ${formatBytes(bytes)}`;
    printLines(
      ...r.problems.map((p) => `${p.kind}: ${p.message}`),
      `${r.level} verify ${r.ok ? 'found no problems' : `found ${count(r.problems.length, 'problem')}`} (checked ${checked} in ${formatDuration(r.durationMs)})`,
    );
  }
  return r.ok ? EXIT.ok : EXIT.failed;
}

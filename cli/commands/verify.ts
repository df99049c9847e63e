// `meridian verify [SNAPSHOT]`: checks the repository (or one snapshot) at the quick, standard or
// deep level through the verify workflow; exits 1 when it finds damage.

import { VERIFY_LEVELS } from '../../core/optionChoices.js';
import { parseSubset, PackSubset } from '../../core/packSubset.js';
import { enumValue, expectPositionals, numberValue, parseCommand, repositoryPassphrase, repositoryUrl } from '../args.js';
import { EXIT, ExitCode, usageError } from '../exitCodes.js';
import { runOperation } from '../operation.js';
import { count, formatBytes, formatDuration, printJson, printLines } from '../output.js';

export async function run(args: string[]): Promise<ExitCode> {
  const { values, positionals, from } = parseCommand('verify', args);
  const [snapshot] = expectPositionals('verify', positionals, ['SNAPSHOT'], 0);
  const repo = repositoryUrl('verify', values.repo, from('repo'));
  const subset = subsetValue(values.subset);
  const level = enumValue('--level', values.level, VERIFY_LEVELS);
  const samplePercent = numberValue('--sample-percent', values['sample-percent'], (n) => n > 0 && n <= 100, 'a percentage above 0, at most 100');
  if (subset && level !== undefined && level !== 'deep') throw usageError(`--subset reads pack data: use it with --level deep, or without --level (got --level ${level})`);
  if (subset && samplePercent !== undefined) throw usageError('--subset and --sample-percent cannot be combined: each chooses the packs to read');
  const input = { repo, snapshot, level, samplePercent, subset };
  const passphrase = repositoryPassphrase(repo, values['password-file']);
  const { workflowId, result: r } = await runOperation('verify', input, { passphrase });
  if (values.json) {
    printJson({ workflowId, level: r.level, ok: r.ok, checked: r.checked, problems: r.problems, ...(r.subset ? { subset: r.subset } : {}) });
  } else {
    const { snapshots, packs, blobs, bytes } = r.checked;
    const checked = `${count(snapshots, 'snapshot')}, ${count(packs, 'pack')}${r.subset ? ` (subset ${r.subset.n}/${r.subset.t})` : ''}, ${count(blobs, 'blob')}, ${formatBytes(bytes)}`;
    printLines(
      ...r.problems.map((p) => `${p.kind}: ${p.message}`),
      `${r.level} verify ${r.ok ? 'found no problems' : `found ${count(r.problems.length, 'problem')}`} (checked ${checked} in ${formatDuration(r.durationMs)})`,
    );
  }
  return r.ok ? EXIT.ok : EXIT.failed;
}

/** --subset n/T: 1 ≤ n ≤ T, whole numbers. */
function subsetValue(value: string | undefined): PackSubset | undefined {
  if (value === undefined) return undefined;
  const subset = parseSubset(value);
  if (!subset) throw usageError(`--subset must be n/T with whole numbers 1 ≤ n ≤ T, e.g. 1/7 (got "${value}")`);
  return subset;
}

// `meridian immutable status | maintain | rollback --to TIME`: an immutable repository's object
// versions (core/immutability.ts). status reads them directly and says what maintenance would do;
// maintain runs the maintenance workflow; rollback brings every file back to its version at a
// moment, directly on the bucket with this user's credentials (which need the maintenance role).
// The S3 SDK and the engine are loaded only by the actions that use them.

import { RepositoryError } from '../../core/errors.js';
import type { MaintenanceResult } from '../../core/immutability.js';
import { daysMs, type ImmutablePolicy } from '../../core/immutablePolicy.js';
import type { S3Versions } from '../../storage/s3Versions.js';
import { commandRepository } from '../../worker/workerConfig.js';
import type { ImmutableMaintenanceOutput } from '../../workflows/shared.js';
import { expectPositionals, parseCommand, repositoryPassphrase, repositoryUrl } from '../args.js';
import { EXIT, ExitCode, usageError } from '../exitCodes.js';
import { runOperation } from '../operation.js';
import { count, formatBytes, formatDuration, formatTime, printJson, printLines } from '../output.js';
import { zonedTimeOption } from '../timeArgs.js';

export async function run(args: string[]): Promise<ExitCode> {
  const { values, positionals, from } = parseCommand('immutable', args);
  const [action] = expectPositionals('immutable', positionals, ['status|maintain|rollback'], 1);
  if (action !== 'status' && action !== 'maintain' && action !== 'rollback') throw usageError(`unknown immutable action '${action}': use status, maintain or rollback`);
  if (action !== 'rollback' && (values.to !== undefined || values['dry-run'])) throw usageError('--to and --dry-run go with rollback');
  const repo = repositoryUrl('immutable', values.repo, from('repo'));
  if (action === 'maintain') {
    const { workflowId, result } = await runOperation('immutable-maintenance', { repo }, { passphrase: repositoryPassphrase(repo, values['password-file']) });
    if (values.json) printJson({ workflowId, ...result });
    else printLines(...maintenanceLines(result, false), `  in ${formatDuration(result.durationMs)}`);
    return EXIT.ok;
  }
  const configured = commandRepository(repo);
  if (action === 'status') {
    const { maintainImmutable } = await import('../../core/immutability.js');
    const status = await withVersions(configured.url, async (store, policy) => ({ policy, ...(await maintainImmutable(store, policy, { now: new Date(), dryRun: true })) }));
    if (values.json) printJson(status);
    else printLines(...maintenanceLines(status, true));
    return EXIT.ok;
  }
  if (configured.role === 'append-only') {
    throw new RepositoryError('refused', `a rollback replaces and hides files, so it needs the maintenance role; this configuration's role for ${repo} is append-only`);
  }
  const asOf = zonedTimeOption('immutable', '--to', values.to);
  const dryRun = values['dry-run'] === true;
  const outcome = await withVersions(configured.url, async (store, policy) => {
    const oldest = Date.now() - daysMs(policy.days);
    if (asOf.getTime() < oldest) {
      throw usageError(`--to ${asOf.toISOString()} is older than the ${policy.days} days every version is sure to be kept (from ${new Date(oldest).toISOString()}): a rollback there could be incomplete`);
    }
    const { rollbackImmutable } = await import('../../core/immutability.js');
    return rollbackImmutable(store, asOf, { dryRun });
  });
  if (values.json) printJson({ asOf: asOf.toISOString(), dryRun, ...outcome });
  else {
    printLines(
      `${dryRun ? 'dry run: would bring' : 'brought'} the repository back to ${formatTime(asOf.toISOString())}: ` +
        `${count(outcome.reinstated, 'file')} ${dryRun ? 'to reinstate' : 'reinstated'}, ${outcome.hidden} written since ${dryRun ? 'to hide' : 'hidden'}, ${outcome.unchanged} unchanged`,
    );
  }
  return EXIT.ok;
}

/** Opens the bucket's versions, refuses a bucket without Object Lock, and always closes. */
async function withVersions<T>(url: string, use: (store: S3Versions, policy: ImmutablePolicy) => Promise<T>): Promise<T> {
  const { openS3Versions } = await import('../../storage/s3Versions.js'); // the S3 SDK: not for maintain, which only starts a workflow
  const { requireImmutablePolicy } = await import('../../core/immutability.js');
  const store = openS3Versions(url);
  try {
    return await use(store, await requireImmutablePolicy(store));
  } finally {
    await store.close();
  }
}

/** A pass (or a status: what a pass would do) in a few lines. */
function maintenanceLines(r: MaintenanceResult & { policy: ImmutablePolicy } | ImmutableMaintenanceOutput, wouldBe: boolean): string[] {
  const { retained } = r;
  const still =
    retained.files === 0
      ? 'no old version is still locked'
      : `${count(retained.files, 'old version')} (${formatBytes(retained.bytes)}) still locked: deletable from ${formatTime(retained.deletableFrom!)} to ${formatTime(retained.deletableUntil!)}`;
  return [
    `immutable (${r.policy.mode}, ${r.policy.days} days): ${count(r.checked, 'current file')}; ${r.extended} ${wouldBe ? 'to extend' : 'extended'} to ${formatTime(r.extendedUntil)}`,
    `  old versions: ${count(r.purged.files, 'version')} (${formatBytes(r.purged.bytes)}) past their retention ${wouldBe ? 'to delete' : 'deleted'}; ${still}`,
  ];
}

// `meridian alerts [list] | ack SNAPSHOT`: the repository's ransomware alerts (core/ransomwareAlerts.ts),
// read directly from it, and their acknowledgment, which lifts the hold that keeps forget from
// removing the source's snapshots taken before the alert. Acknowledging needs the maintenance role.

import { RepositoryError } from '../../core/errors.js';
import { acknowledgeAlert, listAlerts, RansomwareAlert } from '../../core/ransomwareAlerts.js';
import { listSnapshots } from '../../core/snapshots.js';
import { commandRepository } from '../../worker/workerConfig.js';
import { expectPositionals, parseCommand, repositoryPassphrase, repositoryUrl } from '../args.js';
import { EXIT, ExitCode, usageError } from '../exitCodes.js';
import { cliIdentity } from '../identity.js';
import { count, formatTable, formatTime, printJson, printLines, shortId } from '../output.js';
import { withRepository } from '../repositoryAccess.js';

export async function run(args: string[]): Promise<ExitCode> {
  const { values, positionals, from } = parseCommand('alerts', args);
  const [action = 'list', ref] = expectPositionals('alerts', positionals, ['list|ack', 'SNAPSHOT'], 0);
  if (action !== 'list' && action !== 'ack') throw usageError(`unknown alerts action '${action}': use list or ack`);
  if (action === 'list' && ref !== undefined) throw usageError(`alerts list takes no SNAPSHOT (got '${ref}')`);
  if (action === 'ack' && ref === undefined) throw usageError('alerts ack needs the id of the snapshot whose alert to acknowledge');
  const repo = repositoryUrl('alerts', values.repo, from('repo'));
  if (action === 'ack' && commandRepository(repo).role === 'append-only') {
    throw new RepositoryError('refused', `acknowledging an alert lifts the hold on forget and prune, so it needs the maintenance role; this configuration's role for ${repo} is append-only`);
  }
  const passphrase = repositoryPassphrase(repo, values['password-file']);
  if (action === 'ack') {
    const alert = await withRepository(repo, passphrase, async (repository) => acknowledgeAlert(repository, await listSnapshots(repository), ref!, cliIdentity()));
    if (values.json) printJson(alert);
    else printLines(`acknowledged the alert of snapshot ${shortId(alert.snapshotId)} (${alert.acknowledged!.by}, ${formatTime(alert.acknowledged!.acknowledgedAt)}): forget no longer holds the snapshots of ${alert.source} before it`);
    return EXIT.ok;
  }
  const alerts = await withRepository(repo, passphrase, async (repository) => listAlerts(repository, await listSnapshots(repository)));
  if (values.json) printJson(alerts);
  else printLines(...alertLines(alerts));
  return EXIT.ok;
}

/** A table of the alerts, open first, then each alert's reasons. */
function alertLines(alerts: RansomwareAlert[]): string[] {
  if (alerts.length === 0) return ['no ransomware alerts'];
  const ordered = [...alerts.filter((a) => !a.acknowledged), ...alerts.filter((a) => a.acknowledged)];
  const status = (a: RansomwareAlert) => (a.acknowledged ? `acknowledged by ${a.acknowledged.by}` : 'OPEN: older snapshots held');
  const rows = ordered.map((a) => [shortId(a.snapshotId), formatTime(a.time), a.host, a.source, status(a)]);
  const reasons = ordered.flatMap((a) => [`${shortId(a.snapshotId)}:`, ...a.reasons.map((r) => `  ${r}`)]);
  const open = alerts.filter((a) => !a.acknowledged).length;
  return [...formatTable(['SNAPSHOT', 'TIME', 'HOST', 'SOURCE', 'STATUS'], rows), ...reasons, `${count(alerts.length, 'alert')}, ${open} open`];
}

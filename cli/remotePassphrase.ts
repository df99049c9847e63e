// A wrong-passphrase failure of an operation that a worker elsewhere ran: this process's
// passphrase (MERIDIAN_PASSWORD, --password-file) never travels in workflow inputs or API
// requests, so the error says that the worker went by its own configuration, not only "no key
// opens with this passphrase".

import { RepositoryError } from '../core/errors.js';

/** The error to raise for `failure` when it is a wrong passphrase, else undefined. `worker` names where it ran. */
export function remotePassphraseError(failure: { type?: string; message: string }, worker: string, cause?: unknown): RepositoryError | undefined {
  if (failure.type !== 'wrong-passphrase') return undefined;
  return new RepositoryError(
    'wrong-passphrase',
    `${failure.message.split('\n')[0]!.trim()} (${worker} uses its own passphrase configuration: its meridian.yaml or repositories.json, ` +
      'MERIDIAN_PASSWORD_FILE or MERIDIAN_PASSWORD; the MERIDIAN_PASSWORD and --password-file of this shell were not sent to it)',
    { cause },
  );
}

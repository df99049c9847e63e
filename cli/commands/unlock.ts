// `meridian unlock [--force]`: removes the stale locks of a repository (or every lock with
// --force) through the unlock workflow, and says which were removed and which kept, by whom
// (operation, host) and how old by this machine's clock.

import type { UnlockedLock } from '../../core/unlock.js';
import { expectPositionals, parseCommand, repositoryPassphrase, repositoryUrl } from '../args.js';
import { EXIT, ExitCode } from '../exitCodes.js';
import { runOperation } from '../operation.js';
import { count, printJson, printLines, shortId } from '../output.js';

export async function run(args: string[]): Promise<ExitCode> {
  const { values, positionals, from } = parseCommand('unlock', args);
  expectPositionals('unlock', positionals, [], 0);
  const repo = repositoryUrl('unlock', values.repo, from('repo'));
  const input = { repo, force: values.force === true };
  const { workflowId, result: r } = await runOperation('unlock', input, { passphrase: repositoryPassphrase(repo, values['password-file']) });
  if (values.json) {
    const { durationMs, ...result } = r;
    printJson({ workflowId, ...result, durationMs });
    return EXIT.ok;
  }
  const unlisted = (listed: number, total: number, what: string) => (total > listed ? [`${what}: and ${total - listed} more`] : []);
  printLines(
    ...r.removed.map((l) => `removed: ${describe(l)}`),
    ...unlisted(r.removed.length, r.removedCount, 'removed'),
    ...r.kept.map((l) => `kept: ${describe(l)}`),
    ...unlisted(r.kept.length, r.keptCount, 'kept'),
    `removed ${count(r.removedCount, 'lock')}, kept ${r.keptCount}`,
  );
  return EXIT.ok;
}

/** "3f2a…: backup on host-a (pid 12), refreshed 42 s ago: not refreshed for 60 s of watching". */
function describe(lock: UnlockedLock): string {
  const age = lock.ageSeconds === null ? '' : lock.ageSeconds >= 0 ? `, refreshed ${lock.ageSeconds} s ago` : `, refreshed ${-lock.ageSeconds} s in the future by this clock`;
  const who = lock.pid === null ? '' : ` ${lock.operation}${lock.exclusive ? ' (exclusive)' : ''} on ${lock.host} (pid ${lock.pid})${age}`;
  return `${shortId(lock.id)}${who}: ${lock.reason}`;
}

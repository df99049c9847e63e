// `meridian forget [SNAPSHOT...]`: forgets the snapshots a retention policy does not keep (the
// --keep-* options, --gfs, --max-age-days, --min-keep, --max-keep), group by group, or exactly the
// snapshots named, through the forget workflow. Prints, per group, the snapshots kept with their
// reasons and those removed (restic-like), or with --json one document of the same; --prune
// prunes the repository after, in the same workflow.

import { BUCKET_RULES, GROUP_BY, parseDuration, parseRetentionPolicy, RetentionPolicy, WITHIN_RULES } from '../../core/retention.js';
import { isTimeZone } from '../../core/snapshotTime.js';
import type { ForgetGroup } from '../../core/forget.js';
import { enumValue, integerValue, parseCommand, repositoryPassphrase, repositoryUrl } from '../args.js';
import { EXIT, ExitCode, usageError } from '../exitCodes.js';
import { runOperation } from '../operation.js';
import { count, formatTable, formatTime, printJson, printLines, shortId } from '../output.js';
import { maxUnusedValue, pruneLines } from './prune.js';

type ForgetValues = ReturnType<typeof parseCommand<'forget'>>['values'];

export async function run(args: string[]): Promise<ExitCode> {
  const { values, positionals, from } = parseCommand('forget', args);
  const repo = repositoryUrl('forget', values.repo, from('repo'));
  const policy = policyOf(values);
  for (const id of positionals) {
    if (!/^[0-9a-f]{4,64}$/.test(id)) throw usageError(`'${id}' is not a snapshot id (4 to 64 hex digits)`);
  }
  if (policy && positionals.length > 0) throw usageError("give either a policy (--keep-…, --gfs, --max-age-days, --max-keep) or SNAPSHOT ids, not both; see 'meridian help forget'");
  if (!policy && positionals.length === 0) throw usageError("nothing to forget: give a policy (--keep-…, --gfs, --max-age-days, --max-keep) or SNAPSHOT ids; see 'meridian help forget'");
  const policyOnly = (['group-by', 'timezone', 'allow-empty'] as const).filter((name) => values[name] !== undefined);
  if (!policy && policyOnly.length > 0) throw usageError(`--${policyOnly[0]} applies to a policy, not to SNAPSHOT ids`);
  if (values['max-unused'] !== undefined && !values.prune) throw usageError('--max-unused applies to --prune only');
  if (values.timezone !== undefined && !isTimeZone(values.timezone)) throw usageError(`--timezone "${values.timezone}" is not a time zone (an IANA name like Europe/Paris, or UTC)`);
  const input = {
    repo,
    ...(policy ? { policy } : { snapshots: positionals }),
    groupBy: enumValue('--group-by', values['group-by'], GROUP_BY),
    timezone: values.timezone,
    allowEmpty: values['allow-empty'],
    dryRun: values['dry-run'],
    ...(values.prune && { prune: { maxUnusedPercent: maxUnusedValue(values['max-unused']) } }),
  };
  const { workflowId, result: r } = await runOperation('forget', input, { passphrase: repositoryPassphrase(repo, values['password-file']) });
  if (values.json) {
    const groups = r.groups.map(({ key, keep, remove, kept, removed }) => ({ key, keep, remove: remove.map(({ id, time }) => ({ id, time })), kept, removed }));
    printJson({ groups, workflowId, dryRun: r.dryRun, kept: r.kept, removed: r.removed, truncated: r.truncated, ...(r.prune && { prune: r.prune }) });
    return EXIT.ok;
  }
  printLines(...r.groups.flatMap(groupLines));
  const done = r.dryRun ? `dry run: would forget ${count(r.removed, 'snapshot')} and keep ${r.kept}` : `forgot ${count(r.removed, 'snapshot')}, kept ${r.kept}`;
  printLines(`${done}${r.truncated > 0 ? ` (${count(r.truncated, 'snapshot')} not listed)` : ''}`, ...(r.prune ? pruneLines(r.prune) : []));
  return EXIT.ok;
}

/** The policy the options give, checked; undefined when they give none. */
function policyOf(values: ForgetValues): RetentionPolicy | undefined {
  const policy: Record<string, unknown> = {};
  const option = values as Record<string, string | undefined>;
  for (const rule of BUCKET_RULES) {
    const name = kebabCase(rule);
    const n = integerValue(`--${name}`, option[name], -1);
    if (n !== undefined) policy[rule] = n;
  }
  for (const rule of WITHIN_RULES) {
    const name = kebabCase(rule);
    const duration = option[name];
    if (duration === undefined) continue;
    try {
      parseDuration(duration);
    } catch (err) {
      throw usageError(`--${name}: ${(err as Error).message}`);
    }
    policy[rule] = duration;
  }
  if (values['keep-tag']) policy.keepTags = values['keep-tag'];
  if (values.gfs !== undefined) policy.gfs = gfsCounts(values.gfs);
  const limits = { minKeep: integerValue('--min-keep', values['min-keep'], 0), maxKeep: integerValue('--max-keep', values['max-keep'], 1), maxAgeDays: integerValue('--max-age-days', values['max-age-days'], 1) };
  for (const [rule, n] of Object.entries(limits)) if (n !== undefined) policy[rule] = n;
  const rules = Object.keys(policy).filter((rule) => rule !== 'minKeep');
  if (rules.length === 0) {
    if (policy.minKeep !== undefined) throw usageError('--min-keep needs a policy to hold back (a --keep-… option, --gfs, --max-age-days or --max-keep)');
    return undefined;
  }
  try {
    return parseRetentionPolicy(policy);
  } catch (err) {
    throw usageError((err as Error).message);
  }
}

/** `7,4,12,5` → daily 7, weekly 4, monthly 12, yearly 5. */
function gfsCounts(text: string): RetentionPolicy['gfs'] {
  const parts = text.split(',');
  const counts = parts.map((part) => (/^-?\d+$/.test(part.trim()) ? Number(part) : NaN));
  if (parts.length !== 4 || counts.some((n) => !Number.isSafeInteger(n) || n < -1)) {
    throw usageError(`--gfs must be four counts D,W,M,Y (daily, weekly, monthly, yearly; each -1 or more), e.g. 7,4,12,5 (got "${text}")`);
  }
  const [daily, weekly, monthly, yearly] = counts as [number, number, number, number];
  return { daily, weekly, monthly, yearly };
}

const kebabCase = (camel: string) => camel.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

/** A group as restic prints it: what it is, the snapshots kept with their reasons, those removed. */
function groupLines(group: ForgetGroup): string[] {
  const { host, source, tags } = group.key;
  const what = [host !== undefined && `host ${host}`, source !== undefined && `source ${source}`, tags !== undefined && `tags [${tags.join(',')}]`].filter(Boolean).join(', ');
  const of = what ? ` of ${what}` : '';
  const section = (verb: string, total: number, listed: ForgetGroup['keep']) =>
    total === 0
      ? []
      : [`${verb} ${count(total, 'snapshot')}${of}:`, ...formatTable(['ID', 'TIME', 'REASONS'], listed.map((s) => [shortId(s.id), formatTime(s.time), s.reasons.join(', ')])).map((line) => `  ${line}`)];
  return [...section('keep', group.kept, group.keep), ...section('remove', group.removed, group.remove), ''];
}

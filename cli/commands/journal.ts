// `meridian journal SOURCE [--repo NAME] [--interval 60s] [--exclude GLOB]... [--stop] [--json]`: starts
// (or with --stop stops) the file-set journal of a source (workflows/journal.ts) on the configured
// Temporal cluster, or on the local dev server where a `meridian server` polls. SOURCE is a source name of
// meridian.yaml (its repository, host, task queue, excludes and journal interval) or a directory with --repo (and --exclude).
// Starting a journal that runs changes nothing; stopping waits until it wrote its last segment.

import path from 'node:path';
import { loadConfig } from '../../config/load.js';
import { DurationMs } from '../../config/schema.js';
import { journalIdOf, journalSettings, startJournal, stopJournal } from '../../schedules/journalWorkflows.js';
import { DEFAULT_JOURNAL_INTERVAL_SECONDS, type JournalInput } from '../../workflows/journalDefs.js';
import { expectPositionals, parseCommand, repositoryUrl } from '../args.js';
import { EXIT, ExitCode, usageError } from '../exitCodes.js';
import { notice, printJson, printLines } from '../output.js';
import { withTemporalClient } from '../temporal.js';
import { temporalSettings } from '../temporalSettings.js';

export async function run(args: string[]): Promise<ExitCode> {
  const { values, positionals, from } = parseCommand('journal', args);
  const [source] = expectPositionals('journal', positionals, ['SOURCE'], 1);
  const settings = journalOf(source!, { repo: values.repo, repoFrom: from('repo'), interval: values.interval, excludes: values.exclude ?? [] });
  const workflowId = journalIdOf(settings);
  const temporal = temporalSettings();
  if (!temporal.cluster) notice(`no Temporal address is configured: the journal runs on the local dev server under MERIDIAN_HOME while a \`meridian server\` polls task queue ${temporal.taskQueue} there`);
  if (values.stop) {
    const stopped = await withTemporalClient((client) => stopJournal(client, workflowId));
    if (values.json) printJson({ workflowId, stopped });
    else printLines(stopped ? `journal ${workflowId} stopped` : `journal ${workflowId} was not running`);
    return stopped ? EXIT.ok : EXIT.incomplete;
  }
  await withTemporalClient((client) => startJournal(client, temporal.taskQueue, settings));
  if (values.json) printJson({ workflowId, ...settings });
  else printLines(`journal ${workflowId} running: a segment every ${settings.intervalSeconds}s (stop it with \`meridian journal ${source} --stop\`)`);
  return EXIT.ok;
}

interface JournalOptions {
  repo: string | undefined;
  repoFrom: string;
  interval: string | undefined;
  excludes: string[];
}

/** The journal's settings: a source name of meridian.yaml, else a directory with --repo and --exclude; --interval overrides. */
function journalOf(source: string, options: JournalOptions): JournalInput {
  const intervalSeconds = options.interval === undefined ? undefined : intervalOf(options.interval);
  const config = loadConfig()?.config;
  if (config && Object.hasOwn(config.sources, source)) {
    const named = journalSettings(config, source);
    if (options.repo !== undefined && options.repo !== named.repo) throw usageError(`source ${source} goes to repository ${named.repo} in meridian.yaml, not ${options.repo}`);
    if (options.excludes.length > 0) throw usageError(`source ${source} takes its excludes from meridian.yaml (sources.${source}.exclude): --exclude is for a directory`);
    return intervalSeconds === undefined ? named : { ...named, intervalSeconds };
  }
  return {
    repo: repositoryUrl('journal', options.repo, options.repoFrom),
    source: path.resolve(source),
    ...(options.excludes.length > 0 ? { excludes: options.excludes } : {}),
    intervalSeconds: intervalSeconds ?? DEFAULT_JOURNAL_INTERVAL_SECONDS,
  };
}

function intervalOf(text: string): number {
  const parsed = DurationMs.safeParse(text);
  if (!parsed.success || parsed.data < 1000 || parsed.data % 1000 !== 0) throw usageError(`--interval must be whole seconds of at least 1s, such as 2s, 60s or 5m (got "${text}")`);
  return parsed.data / 1000;
}

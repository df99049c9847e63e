// Parsing the text of `meridian.yaml`: its YAML, validated against config/schema.ts, then its cross
// references (a source's repository, a schedule's source, policy or repository, a failover's replica
// set and regions, every `notify` list's notification channels, an SLA's sources, repositories and
// runbooks). Relative paths in the file (passwordFile, a source's path, a local repository URL) are
// taken from the file's own directory. Loaded by config/load.ts only when there is a file to parse:
// yaml and the zod schema cost every command ~0.1 s to load.

import { immutableScheduleName } from '../schedules/names.js';
import path from 'node:path';
import { Document, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { parseRepositoryUrl } from '../storage/open.js';
import { configError } from './configError.js';
import type { LoadedConfig } from './load.js';
import { isScrubSchedule, MeridianConfig, MeridianConfigSchema, NotificationChannel } from './schema.js';
import { RUNBOOK_TEMPLATES } from '../runbooks/templates/index.js';

/** A problem found in a configuration: where (key path) and what. */
export interface ConfigProblem {
  keyPath: readonly PropertyKey[];
  message: string;
}

/** Parses and validates the text of a configuration file, keeping the line of every key. */
export function readConfigText(text: string, file: string): LoadedConfig {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const lineOf = (keyPath: readonly PropertyKey[]) => lineOfPath(document, keyPath, (offset) => lineCounter.linePos(offset).line);
  const syntax = document.errors[0];
  if (syntax) throw configError(file, lineCounter.linePos(syntax.pos[0]).line, [], syntax.message.split('\n')[0]!);
  const parsed = MeridianConfigSchema.safeParse(document.toJS() ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    // Unknown keys are reported on their parent; point at the key itself.
    const keyPath = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
    throw configError(file, lineOf(keyPath), keyPath, issue.message);
  }
  const config = resolvePaths(parsed.data, path.dirname(path.resolve(file)));
  const problem = referenceProblems(config)[0];
  if (problem) throw configError(file, lineOf(problem.keyPath), problem.keyPath, problem.message);
  return { file, config, lineOf };
}

/**
 * The names the file refers to that it does not define, in file order: a source's repository, a
 * schedule's source, policy or repository; a replica set's repositories (each in one set at most);
 * repository URLs that do not parse; a failover's replica set and regions (failoverProblems).
 */
export function referenceProblems(config: MeridianConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const refer = (keyPath: PropertyKey[], name: string | undefined, section: 'repositories' | 'sources' | 'policies', what: string) => {
    if (name === undefined || Object.hasOwn(config[section], name)) return;
    const known = Object.keys(config[section]);
    const list = known.length === 0 ? `none are defined` : `known: ${known.join(', ')}`;
    problems.push({ keyPath, message: `no ${what} named "${name}" in ${section} (${list})` });
  };
  for (const [name, repository] of Object.entries(config.repositories)) {
    try {
      parseRepositoryUrl(repository.url);
    } catch (err) {
      problems.push({ keyPath: ['repositories', name, 'url'], message: (err instanceof Error ? err.message : String(err)).replace(/^\[storage\] /, '') });
    }
  }
  for (const [name, source] of Object.entries(config.sources)) refer(['sources', name, 'repository'], source.repository, 'repositories', 'repository');
  for (const [name, schedule] of Object.entries(config.schedules)) {
    if (isScrubSchedule(schedule)) {
      refer(['schedules', name, 'repository'], schedule.repository, 'repositories', 'repository');
      continue;
    }
    refer(['schedules', name, 'source'], schedule.source, 'sources', 'source');
    refer(['schedules', name, 'policy'], schedule.policy, 'policies', 'policy');
  }
  const memberOf = new Map<string, string>();
  for (const [name, set] of Object.entries(config.replication)) {
    const members: [PropertyKey[], string][] = [[['replication', name, 'primary'], set.primary], ...set.replicas.map((r, i): [PropertyKey[], string] => [['replication', name, 'replicas', i], r])];
    for (const [keyPath, repository] of members) {
      refer(keyPath, repository, 'repositories', 'repository');
      const other = memberOf.get(repository);
      if (other !== undefined) problems.push({ keyPath, message: `repository "${repository}" is already in replica set "${other}"; a repository belongs to one set` });
      memberOf.set(repository, name);
    }
    if (Object.hasOwn(config.schedules, `replication-${name}`)) {
      problems.push({ keyPath: ['replication', name], message: `the schedule name "replication-${name}" is taken by this set's own Schedule; rename that schedule` });
    }
  }
  for (const [name, repository] of Object.entries(config.repositories)) {
    if (repository.immutable && Object.hasOwn(config.schedules, immutableScheduleName(name))) {
      problems.push({ keyPath: ['repositories', name, 'immutable'], message: `the schedule name "${immutableScheduleName(name)}" is taken by this repository's maintenance Schedule; rename that schedule` });
    }
  }
  problems.push(...failoverProblems(config), ...notificationProblems(config), ...slaProblems(config));
  return problems;
}

/**
 * An SLA's references: its sources or repositories exist (a repository with no source of this
 * file would leave it watching nothing), and its runbooks are meridian.yaml's or built-in templates.
 */
function slaProblems(config: MeridianConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const singular = { sources: 'source', repositories: 'repository', runbooks: 'runbook' } as const;
  const missing = (keyPath: PropertyKey[], name: string, section: keyof typeof singular, known: string[]) =>
    problems.push({ keyPath, message: `no ${singular[section]} named "${name}" in ${section} (${known.length === 0 ? 'none are defined' : `known: ${known.join(', ')}`})` });
  const runbooks = [...Object.keys(config.runbooks), ...Object.keys(RUNBOOK_TEMPLATES)];
  for (const [name, sla] of Object.entries(config.slas)) {
    (sla.sources ?? []).forEach((source, i) => {
      if (!Object.hasOwn(config.sources, source)) missing(['slas', name, 'sources', i], source, 'sources', Object.keys(config.sources));
    });
    (sla.repositories ?? []).forEach((repository, i) => {
      if (!Object.hasOwn(config.repositories, repository)) missing(['slas', name, 'repositories', i], repository, 'repositories', Object.keys(config.repositories));
      else if (!Object.values(config.sources).some((source) => source.repository === repository)) problems.push({ keyPath: ['slas', name, 'repositories', i], message: `repository "${repository}" has no source in sources: this SLA would watch nothing` });
    });
    (sla.runbooks ?? []).forEach((runbook, i) => {
      if (!runbooks.includes(runbook)) missing(['slas', name, 'runbooks', i], runbook, 'runbooks', runbooks);
    });
  }
  return problems;
}

/**
 * Every `notify` list (a schedule's, an SLA's) names channels of `notifications`, and an email
 * channel gives its SMTP user and password files together or not at all.
 */
function notificationProblems(config: MeridianConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const known = Object.keys(config.notifications);
  const lists: [PropertyKey[], string[] | undefined][] = [
    ...Object.entries(config.schedules).map(([name, schedule]): [PropertyKey[], string[] | undefined] => [['schedules', name, 'notify'], schedule.notify]),
    ...Object.entries(config.slas).map(([name, sla]): [PropertyKey[], string[] | undefined] => [['slas', name, 'notify'], sla.notify]),
  ];
  for (const [keyPath, names] of lists) {
    (names ?? []).forEach((channel, i) => {
      if (Object.hasOwn(config.notifications, channel)) return;
      problems.push({ keyPath: [...keyPath, i], message: `no notification channel named "${channel}" in notifications (${known.length === 0 ? 'none are defined' : `known: ${known.join(', ')}`})` });
    });
  }
  for (const [name, channel] of Object.entries(config.notifications)) {
    if (channel.email && (channel.email.userFile === undefined) !== (channel.email.passwordFile === undefined)) {
      problems.push({ keyPath: ['notifications', name, 'email', channel.email.userFile === undefined ? 'passwordFile' : 'userFile'], message: 'give both userFile and passwordFile, or neither' });
    }
  }
  return problems;
}

/**
 * A failover entry's references: its replica set exists and has no other failover entry, each of
 * its regions is the `region` label of exactly one repository of that set, and each HTTP check
 * counts toward one of its regions.
 */
function failoverProblems(config: MeridianConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const monitorOf = new Map<string, string>();
  for (const [name, entry] of Object.entries(config.failover)) {
    const set = Object.hasOwn(config.replication, entry.replication) ? config.replication[entry.replication] : undefined;
    if (set === undefined) {
      const known = Object.keys(config.replication);
      problems.push({ keyPath: ['failover', name, 'replication'], message: `no replica set named "${entry.replication}" in replication (${known.length === 0 ? 'none are defined' : `known: ${known.join(', ')}`})` });
      continue;
    }
    const other = monitorOf.get(entry.replication);
    if (other !== undefined) problems.push({ keyPath: ['failover', name, 'replication'], message: `replica set "${entry.replication}" already has failover entry "${other}"; a set has one` });
    monitorOf.set(entry.replication, name);
    const members = [set.primary, ...set.replicas];
    const regions: [PropertyKey[], string][] = [[['failover', name, 'primaryRegion'], entry.primaryRegion], ...entry.secondaryRegions.map((r, i): [PropertyKey[], string] => [['failover', name, 'secondaryRegions', i], r])];
    for (const [keyPath, region] of regions) {
      const inRegion = members.filter((member) => config.repositories[member]?.region === region);
      if (inRegion.length === 1) continue;
      problems.push({
        keyPath,
        message: inRegion.length === 0
          ? `no repository of replica set "${entry.replication}" has region "${region}" (${members.map((m) => `${m}: ${config.repositories[m]?.region ?? 'no region'}`).join(', ')})`
          : `region "${region}" has ${inRegion.length} repositories of replica set "${entry.replication}" (${inRegion.join(', ')}); a region has one`,
      });
    }
    const names = regions.map(([, region]) => region);
    (entry.checks ?? []).forEach((check, i) => {
      if (!names.includes(check.region)) problems.push({ keyPath: ['failover', name, 'checks', i, 'region'], message: `region "${check.region}" is not one of this failover's regions (${names.join(', ')})` });
    });
  }
  return problems;
}


/** The file with its relative paths (password files, token files, source paths, local repository URLs) taken from `directory`. */
function resolvePaths(config: MeridianConfig, directory: string): MeridianConfig {
  const from = (p: string) => path.resolve(directory, p);
  const isUrl = (url: string) => /^[a-z][a-z0-9+]*:\/\//i.test(url);
  return {
    ...config,
    repositories: Object.fromEntries(
      Object.entries(config.repositories).map(([name, r]) => [
        name,
        { ...r, url: isUrl(r.url) ? r.url : from(r.url), ...(r.passwordFile !== undefined ? { passwordFile: from(r.passwordFile) } : {}) },
      ]),
    ),
    sources: Object.fromEntries(Object.entries(config.sources).map(([name, s]) => [name, { ...s, path: from(s.path) }])),
    notifications: Object.fromEntries(Object.entries(config.notifications).map(([name, n]) => [name, resolveChannelPaths(n, from)])),
    ...(config.api ? { api: { ...config.api, tokens: Object.fromEntries(Object.entries(config.api.tokens).map(([name, t]) => [name, { ...t, file: from(t.file) }])) } } : {}),
  };
}

/** A notification channel with its secret files taken from `from`. */
function resolveChannelPaths(channel: NotificationChannel, from: (p: string) => string): NotificationChannel {
  const { webhook, email } = channel;
  return {
    ...channel,
    ...(webhook ? { webhook: { ...webhook, secretFile: from(webhook.secretFile) } } : {}),
    ...(email
      ? { email: { ...email, ...(email.userFile !== undefined ? { userFile: from(email.userFile) } : {}), ...(email.passwordFile !== undefined ? { passwordFile: from(email.passwordFile) } : {}) } }
      : {}),
  };
}

/** The line of the deepest node of `keyPath` that exists: a mapping key's own line, a sequence item's line. */
function lineOfPath(document: Document, keyPath: readonly PropertyKey[], lineOf: (offset: number) => number): number | undefined {
  let node: unknown = document.contents;
  let line = isNode(node) && node.range ? lineOf(node.range[0]) : undefined;
  for (const key of keyPath) {
    if (isMap(node)) {
      const pair = node.items.find((item) => (isScalar(item.key) ? String(item.key.value) : String(item.key)) === String(key));
      if (!pair) break;
      if (isNode(pair.key) && pair.key.range) line = lineOf(pair.key.range[0]);
      node = pair.value;
    } else if (isSeq(node)) {
      node = node.items[Number(key)];
      if (isNode(node) && node.range) line = lineOf(node.range[0]);
    } else {
      break;
    }
  }
  return line;
}
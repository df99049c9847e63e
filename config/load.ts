// Reading `meridian.yaml`: where it is (`--config FILE`, else MERIDIAN_CONFIG, else
// `$MERIDIAN_HOME/meridian.yaml`), parsing its YAML, validating it against config/schema.ts, then
// its cross references (a source's repository, a schedule's source, policy or repository), and,
// on demand, its secrets (checkSecrets). Relative paths in the file (passwordFile, a source's
// path, a local repository URL) are taken from the file's own directory. Every error is one line
// naming the file, the line and the key path, and never a secret's value.

import fs from 'node:fs';
import path from 'node:path';
import { Document, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { RepositoryError } from '../core/errors.js';
import { parseRepositoryUrl } from '../storage/open.js';
import { meridianHome } from './home.js';
import { isScrubSchedule, MeridianConfig, MeridianConfigSchema } from './schema.js';

/** A validated configuration, with the file it came from and the line of any key path in it. */
export interface LoadedConfig {
  file: string;
  config: MeridianConfig;
  /** The line of a key path (of its deepest existing key), for errors found after loading. */
  lineOf: (keyPath: readonly PropertyKey[]) => number | undefined;
}

/** A problem found in a configuration: where (key path) and what. */
export interface ConfigProblem {
  keyPath: readonly PropertyKey[];
  message: string;
}

/** The configuration file this process uses: the flag's, else MERIDIAN_CONFIG, else $MERIDIAN_HOME/meridian.yaml (empty counts as unset). */
export function configFilePath(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(flag || env.MERIDIAN_CONFIG || path.join(meridianHome(env), 'meridian.yaml'));
}

/** A configuration error: one line, `FILE:LINE: key.path: what is wrong`; the CLI exits 2 on it. */
export function configError(file: string, line: number | undefined, keyPath: readonly PropertyKey[], message: string): RepositoryError {
  const where = line === undefined ? file : `${file}:${line}`;
  const key = keyPath.length > 0 ? `${keyPath.map(String).join('.')}: ` : '';
  return new RepositoryError('invalid-argument', `${where}: ${key}${message}`);
}

/** Parses and validates the text of a configuration file (`file` names it in errors). */
export function parseConfig(text: string, file: string): MeridianConfig {
  return readConfigText(text, file).config;
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

/** Reads and validates the configuration file; `undefined` when it does not exist and was not asked for by name. */
export function loadConfig(flag?: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig | undefined {
  const file = configFilePath(flag, env);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !flag && !env.MERIDIAN_CONFIG) return undefined;
    throw new RepositoryError('invalid-argument', `cannot read configuration file ${file}: ${code ?? 'error'}`);
  }
  return readConfigText(text, file);
}

/**
 * The names the file refers to that it does not define, in file order: a source's repository, a
 * schedule's source, policy or repository; a replica set's repositories (each in one set at most);
 * and repository URLs that do not parse.
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
  return problems;
}

/**
 * Checks that every secret the file names can be read: each `passwordFile` is a readable file and
 * each `passwordEnv` is set and not empty (in `env`). Throws the first problem as a configuration
 * error with the line of its key; the secret itself is never read into a message. `repositories`
 * limits the check to those names.
 */
export function checkSecrets(loaded: LoadedConfig, env: NodeJS.ProcessEnv = process.env, repositories?: readonly string[]): void {
  for (const [name, repository] of Object.entries(loaded.config.repositories)) {
    if (repositories && !repositories.includes(name)) continue;
    const problem = secretProblem(repository, env);
    if (problem === undefined) continue;
    const keyPath = ['repositories', name, repository.passwordFile !== undefined ? 'passwordFile' : 'passwordEnv'];
    throw configError(loaded.file, loaded.lineOf(keyPath), keyPath, problem);
  }
}

function secretProblem(repository: { passwordFile?: string; passwordEnv?: string }, env: NodeJS.ProcessEnv): string | undefined {
  if (repository.passwordFile !== undefined) {
    try {
      if (!fs.statSync(repository.passwordFile).isFile()) return `password file ${repository.passwordFile} is not a file`;
      fs.accessSync(repository.passwordFile, fs.constants.R_OK);
    } catch (err) {
      return `cannot read password file ${repository.passwordFile}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`;
    }
  }
  if (repository.passwordEnv !== undefined && !env[repository.passwordEnv]) return `environment variable ${repository.passwordEnv} is not set`;
  return undefined;
}

/** The file with its relative paths (password files, source paths, local repository URLs) taken from `directory`. */
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

// Command-line parsing (node:util parseArgs, strict, by the option descriptions of cli/usage.ts)
// into checked values: positionals, enums, numbers, repository URLs and the passphrase. Every
// problem becomes a usage error (exit 2) that names the option.

import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { assertClusterName } from '../core/pgCluster.js';
import { isRepositoryName, parseRepositoryUrl } from '../storage/open.js';
import { passphraseFor, readPasswordFile } from '../worker/passphrases.js';
import { loadRepositories } from '../worker/workerConfig.js';
import { usageError } from './exitCodes.js';
import type { OptionDescriptions } from './options.js';
import { COMMANDS, CommandName } from './usage.js';

/**
 * Parses a command's arguments by its option descriptions (cli/usage.ts). An option not given
 * takes the value of its environment variable, if set; `from(name)` says where a value came
 * from (`--repo` or `MERIDIAN_REPOSITORY`), for messages about it.
 */
export function parseCommand<C extends CommandName>(command: C, args: string[]): ParsedCommand<(typeof COMMANDS)[C]['options']> {
  const options: OptionDescriptions = COMMANDS[command].options;
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw usageError(`${describeParseError(err)}; see 'meridian help ${command}'`);
  }
  const fromEnvironment = new Map<string, string>();
  const values: Record<string, unknown> = parsed.values;
  for (const [name, option] of Object.entries(options)) {
    const value = option.env === undefined ? undefined : process.env[option.env];
    if (values[name] === undefined && value !== undefined && value !== '') {
      values[name] = value;
      fromEnvironment.set(name, option.env!);
    }
  }
  // --config FILE stands for MERIDIAN_CONFIG in this whole process: every reader of meridian.yaml
  // (repository names, passphrases, Temporal settings) goes by the environment.
  if (typeof values.config === 'string' && 'config' in options) process.env.MERIDIAN_CONFIG = path.resolve(values.config);
  const from = (name: string) => fromEnvironment.get(name) ?? `--${name}`;
  // The values are those of `options`, typed by the command's descriptions.
  return { values: values as ParsedCommand<(typeof COMMANDS)[C]['options']>['values'], positionals: parsed.positionals, from };
}

type OptionValue<D> = D extends { type: 'boolean' } ? boolean : D extends { multiple: true } ? string[] : string;

interface ParsedCommand<O extends OptionDescriptions> {
  values: { [K in keyof O]?: OptionValue<O[K]> };
  positionals: string[];
  /** Where the value of an option came from: `--name` or its environment variable. */
  from(name: keyof O & string): string;
}

function describeParseError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const option = /'(-[^' =]+)/.exec(message)?.[1];
  if (option && /pass(word|phrase)$/.test(option)) {
    return `${option} is not accepted: a passphrase never goes on the command line, set MERIDIAN_PASSWORD or use --password-file`;
  }
  const sentence = message.split('. ')[0]!;
  return sentence.charAt(0).toLowerCase() + sentence.slice(1);
}

/** The positionals, named in order; the first `required` of them must be there. */
export function expectPositionals(command: CommandName, given: string[], names: string[], required: number): string[] {
  if (given.length < required) throw usageError(`missing ${names[given.length]}; see 'meridian help ${command}'`);
  if (given.length > names.length) throw usageError(`unexpected argument '${given[names.length]}'; see 'meridian help ${command}'`);
  return given;
}

export function requireOption(command: CommandName, name: string, value: string | undefined): string {
  if (value === undefined || value === '') throw usageError(`${name} is required; see 'meridian help ${command}'`);
  return value;
}

/**
 * --repo (or MERIDIAN_REPOSITORY, named by `source`): required; a repository name (see
 * namesRepository) as it is; a relative local path is made absolute; the URL must parse.
 */
export function repositoryUrl(command: CommandName, value: string | undefined, source = '--repo'): string {
  if (value === undefined || value === '') throw usageError(`${source === '--repo' ? '--repo is required (or set MERIDIAN_REPOSITORY)' : `${source} is required`}; see 'meridian help ${command}'`);
  const given = value;
  if (namesRepository(command, given)) return given;
  const url = /^[a-z][a-z0-9+]*:\/\//i.test(given) ? given : path.resolve(given);
  try {
    parseRepositoryUrl(url);
  } catch (err) {
    throw usageError(`${source} ${given}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return url;
}

/**
 * A bare word is a repository name when this user's meridian.yaml or repositories.json names it, or when a remote
 * worker (TEMPORAL_ADDRESS, or the API server of MERIDIAN_API_URL) is to resolve it and nothing
 * here has that name (init creates a relative path); else it is a relative path.
 */
function namesRepository(command: CommandName, given: string): boolean {
  if (!isRepositoryName(given)) return false;
  if (loadRepositories().some((r) => r.name === given)) return true;
  const remote = Boolean(process.env.TEMPORAL_ADDRESS) || Boolean(process.env.MERIDIAN_API_URL);
  return command !== 'init' && remote && !fs.existsSync(given);
}

/** `pg --cluster` (or MERIDIAN_PG_CLUSTER), default main, by the one cluster-name rule of core/pgCluster.ts (a bad one exits 2). */
export function clusterOption(value: string | undefined): string {
  const cluster = value ?? 'main';
  assertClusterName(cluster);
  return cluster;
}

export function enumValue<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined || (allowed as readonly string[]).includes(value)) return value as T | undefined;
  throw usageError(`${name} must be one of ${allowed.join(', ')} (got "${value}")`);
}

/** A number option; `accept` says which values are valid and `expected` describes them. */
export function numberValue(name: string, value: string | undefined, accept: (n: number) => boolean, expected: string): number | undefined {
  if (value === undefined) return undefined;
  const n = value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(n) || !accept(n)) throw usageError(`${name} must be ${expected} (got "${value}")`);
  return n;
}

export function integerValue(name: string, value: string | undefined, min: number, max?: number): number | undefined {
  const expected = max === undefined ? `an integer of at least ${min}` : `an integer from ${min} to ${max}`;
  return numberValue(name, value, (n) => Number.isSafeInteger(n) && n >= min && n <= (max ?? n), expected);
}

/** The passphrase in a --password-file, if one was given. */
export function passwordFromFile(file: string | undefined): string | undefined {
  return file === undefined ? undefined : readPasswordFile(file);
}

/** The passphrase for a repository: --password-file, else the worker's sources (MERIDIAN_PASSWORD…). */
export function repositoryPassphrase(url: string, passwordFile: string | undefined): string | undefined {
  return passphraseFor(url, { passphrase: passwordFromFile(passwordFile) });
}

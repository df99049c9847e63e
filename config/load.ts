// Reading `meridian.yaml`: where it is (`--config FILE`, else MERIDIAN_CONFIG, else
// `$MERIDIAN_HOME/meridian.yaml`), its text parsed and validated by config/configText.ts (loaded
// only when there is a file: yaml and the zod schema cost ~0.1 s, and most commands run without
// one), and, on demand, its secrets (checkSecrets). Every error is one line naming the file, the
// line and the key path, and never a secret's value.

import fs from 'node:fs';
import path from 'node:path';
import { RepositoryError } from '../core/errors.js';
import { configError } from './configError.js';
import type * as ConfigText from './configText.js';
import { meridianHome } from './home.js';
import type { MeridianConfig } from './schema.js';

export { configError };

/** A validated configuration, with the file it came from and the line of any key path in it. */
export interface LoadedConfig {
  file: string;
  config: MeridianConfig;
  /** The line of a key path (of its deepest existing key), for errors found after loading. */
  lineOf: (keyPath: readonly PropertyKey[]) => number | undefined;
}

/** The configuration file this process uses: the flag's, else MERIDIAN_CONFIG, else $MERIDIAN_HOME/meridian.yaml (empty counts as unset). */
export function configFilePath(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(flag || env.MERIDIAN_CONFIG || path.join(meridianHome(env), 'meridian.yaml'));
}

/** Parses and validates the text of a configuration file (`file` names it in errors). */
export function parseConfig(text: string, file: string): MeridianConfig {
  return readConfigText(text, file).config;
}

/** Parses and validates the text of a configuration file, keeping the line of every key. */
export function readConfigText(text: string, file: string): LoadedConfig {
  return configText().readConfigText(text, file);
}

/** config/configText.ts, loaded on first use; synchronously, as loadConfig and its many callers are. */
function configText(): typeof ConfigText {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load: import() would make every reader of the file async
  return require('./configText.js') as typeof ConfigText;
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
 * Checks that every secret the file names can be read: each `passwordFile`, API token `file` and
 * notification channel secret file (webhook secretFile, SMTP userFile and passwordFile) is a
 * readable file and each `passwordEnv` is set and not empty (in `env`). Throws the first problem
 * as a configuration error with the line of its key; the secret itself is never read into a
 * message. `repositories` limits the check to those names (and skips the API tokens and channels).
 */
export function checkSecrets(loaded: LoadedConfig, env: NodeJS.ProcessEnv = process.env, repositories?: readonly string[]): void {
  const fail = (keyPath: PropertyKey[], problem: string) => {
    throw configError(loaded.file, loaded.lineOf(keyPath), keyPath, problem);
  };
  for (const [name, repository] of Object.entries(loaded.config.repositories)) {
    if (repositories && !repositories.includes(name)) continue;
    const problem = secretProblem(repository, env);
    if (problem !== undefined) fail(['repositories', name, repository.passwordFile !== undefined ? 'passwordFile' : 'passwordEnv'], problem);
  }
  if (repositories) return;
  for (const [name, token] of Object.entries(loaded.config.api?.tokens ?? {})) {
    const problem = fileProblem(token.file, 'token file');
    if (problem !== undefined) fail(['api', 'tokens', name, 'file'], problem);
  }
  for (const { keyPath, file, what } of notificationSecrets(loaded.config)) {
    const problem = fileProblem(file, what);
    if (problem !== undefined) fail(keyPath, problem);
  }
}

/** The secret files of the notification channels: key path, file, what it is. */
function notificationSecrets(config: MeridianConfig): { keyPath: PropertyKey[]; file: string; what: string }[] {
  const files: { keyPath: PropertyKey[]; file: string; what: string }[] = [];
  for (const [name, { webhook, email }] of Object.entries(config.notifications)) {
    if (webhook) files.push({ keyPath: ['notifications', name, 'webhook', 'secretFile'], file: webhook.secretFile, what: 'webhook secret file' });
    if (email?.userFile !== undefined) files.push({ keyPath: ['notifications', name, 'email', 'userFile'], file: email.userFile, what: 'SMTP user file' });
    if (email?.passwordFile !== undefined) files.push({ keyPath: ['notifications', name, 'email', 'passwordFile'], file: email.passwordFile, what: 'SMTP password file' });
  }
  return files;
}

function secretProblem(repository: { passwordFile?: string; passwordEnv?: string }, env: NodeJS.ProcessEnv): string | undefined {
  if (repository.passwordFile !== undefined) return fileProblem(repository.passwordFile, 'password file');
  if (repository.passwordEnv !== undefined && !env[repository.passwordEnv]) return `environment variable ${repository.passwordEnv} is not set`;
  return undefined;
}

/** Why the secret file `file` cannot be read (`what` names it in the message), else undefined; its content is never read. */
function fileProblem(file: string, what: string): string | undefined {
  try {
    if (!fs.statSync(file).isFile()) return `${what} ${file} is not a file`;
    fs.accessSync(file, fs.constants.R_OK);
  } catch (err) {
    return `cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`;
  }
  return undefined;
}

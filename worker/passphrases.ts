// The passphrases a process holds for repositories: a per-repository password file or environment
// variable named by meridian.yaml (passwordFile, passwordEnv) or a password file of
// `$MERIDIAN_HOME/repositories.json` (matched by name or by full location, endpoint included), else
// MERIDIAN_PASSWORD_FILE, else MERIDIAN_PASSWORD. Workflow inputs never carry them. Apart from
// worker/repositories.ts, so the CLI finds a passphrase without loading the repository engine.

import fs from 'node:fs';
import { RepositoryError } from '../core/errors.js';
import { ConfiguredRepository, findRepository, loadRepositories } from './workerConfig.js';

/** Reads a password file: its first line, without the line break. */
export function readPasswordFile(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new RepositoryError('invalid-argument', `cannot read password file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return text.split(/\r?\n/)[0] ?? '';
}

export interface PassphraseOptions {
  /** A passphrase given to this process (the CLI's --password-file); used for every repository. */
  passphrase?: string;
  env?: NodeJS.ProcessEnv;
}

/** The passphrase for a configured repository (or an unconfigured one: undefined). */
export function passphraseOf(repository: ConfiguredRepository | undefined, options: PassphraseOptions = {}): string | undefined {
  if (options.passphrase !== undefined) return options.passphrase;
  const env = options.env ?? process.env;
  if (repository?.passwordFile) return readPasswordFile(repository.passwordFile);
  if (repository?.passwordEnv) {
    const passphrase = env[repository.passwordEnv];
    if (!passphrase) throw new RepositoryError('invalid-argument', `environment variable ${repository.passwordEnv} (the passwordEnv of repository "${repository.name ?? repository.url}") is not set`);
    return passphrase;
  }
  if (env.MERIDIAN_PASSWORD_FILE) return readPasswordFile(env.MERIDIAN_PASSWORD_FILE);
  return env.MERIDIAN_PASSWORD;
}

/** The passphrase for a repository name or URL, looked up in meridian.yaml and repositories.json by name or full location. */
export function passphraseFor(reference: string, options: PassphraseOptions = {}): string | undefined {
  if (options.passphrase !== undefined) return options.passphrase;
  return passphraseOf(findRepository(loadRepositories(options.env), reference), options);
}

// Resolves repository URLs to open repositories with passphrases the worker holds: a
// per-repository password file from `$MERIDIAN_HOME/repositories.json`, else
// MERIDIAN_PASSWORD_FILE, else MERIDIAN_PASSWORD. Workflow inputs never carry them.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { RepositoryResolver } from '../activities/index.js';
import { RepositoryError } from '../core/errors.js';
import { Repository } from '../core/repository.js';
import { openStorage, parseRepositoryUrl } from '../storage/open.js';

const RepositoriesFileSchema = z.record(z.string(), z.object({ passwordFile: z.string() }));

export function meridianHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.MERIDIAN_HOME ?? path.join(os.homedir(), '.meridian');
}

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

export interface ResolverOptions {
  /** A passphrase given to this process (the CLI's --password-file); used for every repository. */
  passphrase?: string;
  env?: NodeJS.ProcessEnv;
}

export function passphraseFor(url: string, options: ResolverOptions = {}): string | undefined {
  if (options.passphrase !== undefined) return options.passphrase;
  const env = options.env ?? process.env;
  const configured = perRepositoryPasswordFile(url, env);
  if (configured) return readPasswordFile(configured);
  if (env.MERIDIAN_PASSWORD_FILE) return readPasswordFile(env.MERIDIAN_PASSWORD_FILE);
  return env.MERIDIAN_PASSWORD;
}

function perRepositoryPasswordFile(url: string, env: NodeJS.ProcessEnv): string | undefined {
  const file = path.join(meridianHome(env), 'repositories.json');
  if (!fs.existsSync(file)) return undefined;
  const parsed = RepositoriesFileSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) throw new RepositoryError('invalid-argument', `${file} is malformed: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const wanted = parseRepositoryUrl(url).display;
  return Object.entries(parsed.data).find(([key]) => parseRepositoryUrl(key).display === wanted)?.[1].passwordFile;
}

export function createRepositoryResolver(options: ResolverOptions = {}): RepositoryResolver {
  return {
    async open(url: string): Promise<Repository> {
      const storage = await openStorage(url);
      return Repository.open(storage, passphraseFor(url, options));
    },
  };
}

// The named API tokens of meridian.yaml (`api: { tokens: { <name>: { file } } }`), read for
// `meridian server`: each file's first line is the token. Errors name the token and its file,
// never the content; two names with one token are refused (the identity would be ambiguous), and
// so is a token named `admin`, the identity of the anonymous MERIDIAN_API_TOKEN.

import fs from 'node:fs';
import { RepositoryError } from '../core/errors.js';
import type { ApiSettings } from '../config/schema.js';
import { ADMIN_IDENTITY } from './auth.js';

/** name → token. */
export function readApiTokens(api: ApiSettings | undefined, adminToken = ''): Record<string, string> {
  const tokens: Record<string, string> = {};
  const owner = new Map<string, string>(adminToken !== '' ? [[adminToken, 'MERIDIAN_API_TOKEN']] : []);
  for (const [name, { file }] of Object.entries(api?.tokens ?? {})) {
    if (name === ADMIN_IDENTITY) throw new RepositoryError('invalid-argument', `API token "${name}" (${file}): the name ${ADMIN_IDENTITY} is the identity of MERIDIAN_API_TOKEN; give this token another name`);
    const token = readTokenFile(file, `API token "${name}"`);
    const other = owner.get(token);
    if (other !== undefined) throw new RepositoryError('invalid-argument', `API token "${name}" (${file}) is the same token as ${other}; each identity needs its own`);
    owner.set(token, `API token "${name}"`);
    tokens[name] = token;
  }
  return tokens;
}

/** The first line of a token file, trimmed; `what` names its use in the one-line errors (never the content). */
export function readTokenFile(file: string, what: string): string {
  let token: string;
  try {
    token = (fs.readFileSync(file, 'utf8').split(/\r?\n/)[0] ?? '').trim();
  } catch (err) {
    throw new RepositoryError('invalid-argument', `cannot read the token file ${file} of ${what}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (token === '') throw new RepositoryError('invalid-argument', `the token file ${file} of ${what} is empty`);
  return token;
}

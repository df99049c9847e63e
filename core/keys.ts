// Key files (`keys/<id>`): the repository's master keys sealed under a key derived from a
// passphrase with scrypt. The scrypt parameters are stored in the file, so they can be raised
// later without breaking existing keys; every key file opens the same master keys.

import { createHash, randomBytes, scrypt } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { base64, Check, integer, listOf, object, oneOf, string } from './jsonShape.js';
import { MasterKeys, open, randomId, seal } from './crypto.js';
import { RepositoryError } from './errors.js';

export interface KeyFileInfo {
  id: string;
  created: string;
  host: string;
  username: string;
}

const DEFAULT_SCRYPT_N = 2 ** 15;
const SCRYPT_R = 8;
const SCRYPT_P = 1;

/** 32 bytes in base64. */
const masterKey: Check = (v) => base64(v) ?? (Buffer.from(v as string, 'base64').length === 32 ? undefined : 'must be a key of 32 bytes');
const powerOfTwo: Check = (v) => integer(2)(v) ?? (Number.isInteger(Math.log2(v as number)) ? undefined : 'must be a power of two');

interface KeyFile {
  version: 1;
  kdf: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
  created: string;
  host: string;
  username: string;
  data: string;
}

const keyFileFields = object({
  version: oneOf(1),
  kdf: oneOf('scrypt'),
  N: powerOfTwo,
  r: integer(1, 32),
  p: integer(1, 16),
  salt: base64,
  created: string,
  host: string,
  username: string,
  data: base64,
});

/** Bounds keep a damaged or hostile key file from asking for absurd amounts of memory or time. */
const keyFile: Check = (v) => keyFileFields(v) ?? (128 * (v as KeyFile).N * (v as KeyFile).r <= 2 ** 30 ? undefined : 'scrypt parameters must need at most 1 GiB of memory');

// `retired`: the encryption keys of before a key rotation still under way (core/crypto.ts).
const masterKeys = object({ encryption: masterKey, mac: masterKey }, { retired: listOf(masterKey, 0, 16) });

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return undefined;
  }
}

// A worker opens the same repositories again and again: scrypt (~90 ms at the default cost) runs
// once per passphrase and key file in a process. The cache is keyed by a hash, never the passphrase.
const derivedKeys = new Map<string, Promise<Uint8Array>>();
const MAX_DERIVED_KEYS = 64;

function deriveKey(passphrase: string, salt: Uint8Array, N: number, r: number, p: number): Promise<Uint8Array> {
  const cacheKey = createHash('sha256').update(JSON.stringify([passphrase, Buffer.from(salt).toString('base64'), N, r, p])).digest('hex');
  const cached = derivedKeys.get(cacheKey);
  if (cached) return cached;
  // scrypt needs 128 * N * r bytes; allow that plus headroom over Node's 32 MiB default.
  const maxmem = 256 * N * r + 32 * 1024 * 1024;
  const derived = new Promise<Uint8Array>((resolve, reject) => {
    scrypt(passphrase, salt, 32, { N, r, p, maxmem }, (error, key) => (error ? reject(error) : resolve(key)));
  });
  if (derivedKeys.size >= MAX_DERIVED_KEYS) derivedKeys.delete(derivedKeys.keys().next().value!);
  derivedKeys.set(cacheKey, derived);
  derived.catch(() => derivedKeys.delete(cacheKey));
  return derived;
}

function currentUsername(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? ''; // no passwd entry for this uid (some containers)
  }
}

function decodeKeyFile(bytes: Uint8Array): KeyFile {
  const value = parseJson(bytes);
  const problem = keyFile(value);
  if (problem !== undefined) {
    throw new RepositoryError('not-a-repository', '[repository] a key file is malformed', { cause: new Error(problem) });
  }
  return value as KeyFile;
}

export async function createKeyFile(
  master: MasterKeys,
  passphrase: string,
  options?: { scryptN?: number },
): Promise<{ id: string; bytes: Uint8Array; info: KeyFileInfo }> {
  const N = options?.scryptN ?? DEFAULT_SCRYPT_N;
  const salt = randomBytes(32);
  const derived = await deriveKey(passphrase, salt, N, SCRYPT_R, SCRYPT_P);
  const base64Key = (key: Uint8Array) => Buffer.from(key).toString('base64');
  const secret = JSON.stringify({
    encryption: base64Key(master.encryption),
    mac: base64Key(master.mac),
    ...(master.retired?.length && { retired: master.retired.map(base64Key) }),
  });
  const info: KeyFileInfo = {
    id: randomId(),
    created: new Date().toISOString(),
    host: hostname(),
    username: currentUsername(),
  };
  const file: KeyFile = {
    version: 1,
    kdf: 'scrypt',
    N,
    r: SCRYPT_R,
    p: SCRYPT_P,
    salt: salt.toString('base64'),
    created: info.created,
    host: info.host,
    username: info.username,
    data: Buffer.from(seal(derived, Buffer.from(secret, 'utf8'))).toString('base64'),
  };
  return { id: info.id, bytes: Buffer.from(JSON.stringify(file), 'utf8'), info };
}

export function parseKeyFile(bytes: Uint8Array, id: string): KeyFileInfo {
  const { created, host, username } = decodeKeyFile(bytes);
  return { id, created, host, username };
}

export async function unlockKeyFile(bytes: Uint8Array, passphrase: string): Promise<MasterKeys> {
  const file = decodeKeyFile(bytes);
  const derived = await deriveKey(passphrase, Buffer.from(file.salt, 'base64'), file.N, file.r, file.p);
  let secret: Uint8Array;
  try {
    secret = open(derived, Buffer.from(file.data, 'base64'), 'key');
  } catch (cause) {
    throw new RepositoryError('wrong-passphrase', '[repository] the passphrase does not open this key', { cause });
  }
  const value = parseJson(secret);
  const problem = masterKeys(value);
  if (problem !== undefined) {
    throw new RepositoryError('not-a-repository', '[repository] a key file holds malformed master keys', { cause: new Error(problem) });
  }
  const { encryption, mac, retired } = value as { encryption: string; mac: string; retired?: string[] };
  const key = (text: string) => Buffer.from(text, 'base64');
  return retired?.length ? { encryption: key(encryption), mac: key(mac), retired: retired.map(key) } : { encryption: key(encryption), mac: key(mac) };
}

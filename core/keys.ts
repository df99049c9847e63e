// Key files (`keys/<id>`): the repository's master keys sealed under a key derived from a
// passphrase with scrypt. The scrypt parameters are stored in the file, so they can be raised
// later without breaking existing keys; every key file opens the same master keys.

import { createHash, randomBytes, scrypt } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { z } from 'zod';
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

const base64 = z.base64();
const masterKey = base64.transform((text) => Buffer.from(text, 'base64')).refine((key) => key.length === 32);

// Bounds keep a damaged or hostile key file from asking for absurd amounts of memory or time.
const KeyFileSchema = z
  .object({
    version: z.literal(1),
    kdf: z.literal('scrypt'),
    N: z.int().min(2).refine((n) => Number.isInteger(Math.log2(n)), 'N must be a power of two'),
    r: z.int().min(1).max(32),
    p: z.int().min(1).max(16),
    salt: base64,
    created: z.string(),
    host: z.string(),
    username: z.string(),
    data: base64,
  })
  .refine((f) => 128 * f.N * f.r <= 2 ** 30, 'scrypt parameters must need at most 1 GiB of memory');
type KeyFile = z.infer<typeof KeyFileSchema>;

// `retired`: the encryption keys of before a key rotation still under way (core/crypto.ts).
const MasterKeysSchema = z.object({ encryption: masterKey, mac: masterKey, retired: z.array(masterKey).max(16).optional() });

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
  const parsed = KeyFileSchema.safeParse(parseJson(bytes));
  if (!parsed.success) {
    throw new RepositoryError('not-a-repository', '[repository] a key file is malformed', { cause: parsed.error });
  }
  return parsed.data;
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
  const keys = MasterKeysSchema.safeParse(parseJson(secret));
  if (!keys.success) {
    throw new RepositoryError('not-a-repository', '[repository] a key file holds malformed master keys', {
      cause: keys.error,
    });
  }
  const { retired, ...current } = keys.data;
  return retired?.length ? { ...current, retired } : current;
}

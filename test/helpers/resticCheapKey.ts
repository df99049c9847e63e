// Makes a throwaway restic 0.14 test repository quick to open: `restic init` calibrates scrypt to
// about 0.3 s of CPU, paid again by every restic command. This rewrites the repository's only key
// file to hold the same master key under cheap scrypt parameters (restic's key format: scrypt →
// AES-256-CTR key ‖ Poly1305-AES key, sealed as nonce ‖ ciphertext ‖ MAC). Tests only. Also opens
// the master key and seals files with it, so a test or bench can write restic snapshot files
// (bench/resticHistory.ts: 10,000 of them in seconds instead of 10,000 `restic backup` runs).

import { createCipheriv, createDecipheriv, createHash, randomBytes, scryptSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

interface ResticKeyFile {
  created: string;
  username: string;
  hostname: string;
  kdf: string;
  N: number;
  r: number;
  p: number;
  salt: string;
  data: string;
}

const CHEAP = { N: 1024, r: 8, p: 1 };

export function cheapenResticKey(repository: string, password: string): void {
  const keysDir = path.join(repository, 'keys');
  const [name, ...others] = fs.readdirSync(keysDir);
  if (!name || others.length > 0) throw new Error(`expected one key file in ${keysDir}`);
  const key = JSON.parse(fs.readFileSync(path.join(keysDir, name), 'utf8')) as ResticKeyFile;
  const masterKey = open(Buffer.from(key.data, 'base64'), derive(password, Buffer.from(key.salt, 'base64'), key));

  const salt = randomBytes(64);
  const cheap: ResticKeyFile = { ...key, ...CHEAP, salt: salt.toString('base64'), data: seal(masterKey, derive(password, salt, CHEAP)).toString('base64') };
  const bytes = Buffer.from(JSON.stringify(cheap));
  fs.writeFileSync(path.join(keysDir, createHash('sha256').update(bytes).digest('hex')), bytes);
  fs.rmSync(path.join(keysDir, name));
}

/** The repository's master key, opened with the password (its one key file). */
export function resticMasterKey(repository: string, password: string): UserKey {
  const keysDir = path.join(repository, 'keys');
  const [name] = fs.readdirSync(keysDir);
  const key = JSON.parse(fs.readFileSync(path.join(keysDir, name!), 'utf8')) as ResticKeyFile;
  const master = JSON.parse(open(Buffer.from(key.data, 'base64'), derive(password, Buffer.from(key.salt, 'base64'), key)).toString('utf8')) as { mac: { k: string; r: string }; encrypt: string };
  return { encryption: Buffer.from(master.encrypt, 'base64'), macK: Buffer.from(master.mac.k, 'base64'), macR: Buffer.from(master.mac.r, 'base64') };
}

/** A file of the repository (a snapshot, an index) opened with the master key. */
export function openResticFile(sealed: Buffer, key: UserKey): Buffer {
  return open(sealed, key);
}

/** A file of the repository sealed with the master key; its name is the SHA-256 of these bytes. */
export function sealResticFile(plaintext: Buffer, key: UserKey): Buffer {
  return seal(plaintext, key);
}

export interface UserKey {
  encryption: Buffer;
  macK: Buffer;
  macR: Buffer;
}

function derive(password: string, salt: Buffer, { N, r, p }: { N: number; r: number; p: number }): UserKey {
  const bytes = scryptSync(password, salt, 64, { N, r, p, maxmem: 512 * 1024 * 1024 });
  return { encryption: bytes.subarray(0, 32), macK: bytes.subarray(32, 48), macR: bytes.subarray(48, 64) };
}

function open(sealed: Buffer, key: UserKey): Buffer {
  const nonce = sealed.subarray(0, 16);
  const ciphertext = sealed.subarray(16, sealed.length - 16);
  if (!mac(ciphertext, nonce, key).equals(sealed.subarray(sealed.length - 16))) throw new Error('restic key: wrong password or not a restic 0.14 key');
  return createDecipheriv('aes-256-ctr', key.encryption, nonce).update(ciphertext);
}

function seal(plaintext: Buffer, key: UserKey): Buffer {
  const nonce = randomBytes(16);
  const ciphertext = createCipheriv('aes-256-ctr', key.encryption, nonce).update(plaintext);
  return Buffer.concat([nonce, ciphertext, mac(ciphertext, nonce, key)]);
}

/** Poly1305-AES: the polynomial over the message with r, plus AES-128_k(nonce), mod 2^128. */
function mac(message: Buffer, nonce: Buffer, key: UserKey): Buffer {
  const s = littleEndian(createCipheriv('aes-128-ecb', key.macK, null).setAutoPadding(false).update(nonce));
  const r = littleEndian(key.macR) & 0x0ffffffc0ffffffc0ffffffc0fffffffn;
  const prime = (1n << 130n) - 5n;
  let accumulator = 0n;
  for (let at = 0; at < message.length; at += 16) {
    const block = message.subarray(at, at + 16);
    accumulator = ((accumulator + littleEndian(block) + (1n << BigInt(8 * block.length))) * r) % prime;
  }
  const tag = (accumulator + s) & ((1n << 128n) - 1n);
  return Buffer.from(tag.toString(16).padStart(32, '0'), 'hex').reverse();
}

function littleEndian(bytes: Buffer): bigint {
  return BigInt(`0x${Buffer.from(bytes).reverse().toString('hex') || '0'}`);
}

// Repository cryptography: random master keys, AES-256-GCM sealing of every stored object, and
// keyed blob ids (HMAC-SHA-256, or plain SHA-256 in unencrypted repositories).

import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, randomFillSync } from 'node:crypto';
import { integrityError } from './errors.js';

/**
 * 32 bytes each. `retired`: the encryption keys in use before a key rotation, kept only until
 * every file sealed under them has been sealed again (core/keyRotation.ts); nothing is sealed
 * with them. Blob ids keep the same MAC key across a rotation, so deduplication carries on.
 */
export interface MasterKeys {
  encryption: Uint8Array;
  mac: Uint8Array;
  retired?: Uint8Array[];
}

const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;

export const SEAL_OVERHEAD = NONCE_LENGTH + TAG_LENGTH;
const SEAL_SLICE = 64 * 1024;

export function generateMasterKeys(): MasterKeys {
  return { encryption: randomBytes(32), mac: randomBytes(32) };
}

/**
 * AES-256-GCM; layout: 12-byte random nonce || ciphertext || 16-byte tag. Writes into `sealed`
 * when given (exactly plaintext.length + SEAL_OVERHEAD bytes), else into a new buffer.
 */
export function seal(key: Uint8Array, plaintext: Uint8Array, sealed: Uint8Array = Buffer.allocUnsafeSlow(plaintext.length + SEAL_OVERHEAD)): Uint8Array {
  if (sealed.length !== plaintext.length + SEAL_OVERHEAD) throw new Error(`seal: output of ${sealed.length} bytes for ${plaintext.length} bytes of plaintext`);
  const nonce = randomFillSync(sealed, 0, NONCE_LENGTH).subarray(0, NONCE_LENGTH);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  let at = NONCE_LENGTH;
  const put = (part: Uint8Array) => {
    sealed.set(part, at);
    at += part.length;
  };
  // In slices: cipher.update allocates its output, and many small same-sized allocations are
  // recycled by malloc where one per blob of up to 8 MiB would fragment the heap and grow RSS.
  for (let from = 0; from < plaintext.length; from += SEAL_SLICE) put(cipher.update(plaintext.subarray(from, from + SEAL_SLICE)));
  put(cipher.final());
  put(cipher.getAuthTag());
  return sealed;
}

/** Inverse of seal; any failure (short input, wrong key, altered byte) is an integrity error about `what`. */
export function open(key: Uint8Array, sealed: Uint8Array, what: string): Uint8Array {
  return Buffer.from(openReusing(key, sealed, what));
}

/**
 * open under a repository's keys: the current encryption key, then any retired by a rotation
 * still under way (a wrong key fails the tag, so a file sealed under one is never misread).
 */
export function openUnder(keys: MasterKeys, sealed: Uint8Array, what: string): Uint8Array {
  return Buffer.from(openReusingUnder(keys, sealed, what));
}

/** openReusing under a repository's keys, as openUnder. */
export function openReusingUnder(keys: MasterKeys, sealed: Uint8Array, what: string): Uint8Array {
  return openFirstKey(keys, sealed, what).plain;
}

/** openUnder, telling whether the current key opened it (a file a rotation has yet to seal again needs a retired one). */
export function openTelling(keys: MasterKeys, sealed: Uint8Array, what: string): { plain: Uint8Array; current: boolean } {
  const { plain, current } = openFirstKey(keys, sealed, what);
  return { plain: Buffer.from(plain), current };
}

/** openReusing under the first of the keys (current, then retired) that opens `sealed`; the current key's failure when none does. */
function openFirstKey(keys: MasterKeys, sealed: Uint8Array, what: string): { plain: Uint8Array; current: boolean } {
  try {
    return { plain: openReusing(keys.encryption, sealed, what), current: true };
  } catch (err) {
    for (const retired of keys.retired ?? []) {
      try {
        return { plain: openReusing(retired, sealed, what), current: false };
      } catch {
        // the next retired key, or the first failure
      }
    }
    throw err;
  }
}

/** Whether `sealed` opens under the current encryption key (one a rotation has yet to seal again does not). */
export function sealedUnderCurrentKey(keys: MasterKeys, sealed: Uint8Array): boolean {
  try {
    openReusing(keys.encryption, sealed, 'file');
    return true;
  } catch {
    return false;
  }
}

/** A sealed object sealed again under the current key (same length: a new nonce, the same plaintext). */
export function resealUnder(keys: MasterKeys, sealed: Uint8Array, what: string): Uint8Array {
  return seal(keys.encryption, openReusingUnder(keys, sealed, what));
}

// The output buffer of openReusing, grown to the largest object seen (one per thread).
let openOutput = Buffer.allocUnsafeSlow(0);

/**
 * open for a caller that consumes the result at once (restore writes it out): the plaintext
 * lands in a buffer that this thread's next call overwrites, deciphered in slices as seal does,
 * so no buffer per blob is allocated (the spent ones were what made a restore's RSS grow). The
 * result is returned only after the tag has been checked.
 */
export function openReusing(key: Uint8Array, sealed: Uint8Array, what: string): Uint8Array {
  try {
    if (sealed.length < SEAL_OVERHEAD) throw new Error(`${sealed.length} bytes is shorter than a sealed object`);
    const tagAt = sealed.length - TAG_LENGTH;
    if (openOutput.length < tagAt - NONCE_LENGTH) openOutput = Buffer.allocUnsafeSlow(tagAt - NONCE_LENGTH);
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE_LENGTH));
    decipher.setAuthTag(sealed.subarray(tagAt));
    let at = 0;
    for (let from = NONCE_LENGTH; from < tagAt; from += SEAL_SLICE) {
      at += decipher.update(sealed.subarray(from, Math.min(from + SEAL_SLICE, tagAt))).copy(openOutput, at);
    }
    at += decipher.final().copy(openOutput, at);
    return openOutput.subarray(0, at);
  } catch (cause) {
    throw integrityError(what, cause);
  }
}

/** Hex id of a blob: HMAC-SHA-256 under keys.mac, or plain SHA-256 when keys is null (unencrypted repository). */
export function blobId(keys: MasterKeys | null, data: Uint8Array): string {
  const hash = keys ? createHmac('sha256', keys.mac) : createHash('sha256');
  return hash.update(data).digest('hex');
}

/** 32 random bytes, hex. */
export function randomId(): string {
  return randomBytes(32).toString('hex');
}

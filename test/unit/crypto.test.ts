// Sealing and blob ids: AES-256-GCM round-trips and rejects any alteration or wrong key with an
// integrity error; blob ids are keyed HMACs (plain SHA-256 only without keys).

import { createHash, createHmac } from 'node:crypto';
import { blobId, generateMasterKeys, open, openReusing, randomId, seal, SEAL_OVERHEAD } from '../../core/crypto';
import { RepositoryError } from '../../core/errors';

const keys = generateMasterKeys();
const plaintext = Buffer.from('GeoTIFF tile 12/2048/1361 '.repeat(1000));

const expectIntegrityError = (attempt: () => unknown, what: string) => {
  expect(attempt).toThrow(RepositoryError);
  expect(attempt).toThrow(expect.objectContaining({ code: 'integrity', message: expect.stringContaining(what) }));
};

describe('master keys and ids', () => {
  it('generates distinct 32-byte keys', () => {
    const other = generateMasterKeys();
    expect(keys.encryption).toHaveLength(32);
    expect(keys.mac).toHaveLength(32);
    expect(Buffer.compare(keys.encryption, keys.mac)).not.toBe(0);
    expect(Buffer.compare(keys.encryption, other.encryption)).not.toBe(0);
  });

  it('makes random 64-hex-digit ids', () => {
    const a = randomId();
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(randomId()).not.toBe(a);
  });
});

describe('seal / open', () => {
  it('round-trips, with a fresh nonce each time', () => {
    const sealed = seal(keys.encryption, plaintext);
    expect(sealed.length).toBe(plaintext.length + SEAL_OVERHEAD);
    expect(SEAL_OVERHEAD).toBe(28);
    expect(Buffer.compare(open(keys.encryption, sealed, 'a pack'), plaintext)).toBe(0);
    const again = seal(keys.encryption, plaintext);
    expect(Buffer.compare(again.subarray(0, 12), sealed.subarray(0, 12))).not.toBe(0);
    expect(Buffer.compare(open(keys.encryption, again, 'a pack'), plaintext)).toBe(0);
  });

  it('does not leak the plaintext', () => {
    const sealed = Buffer.from(seal(keys.encryption, plaintext));
    expect(sealed.includes(Buffer.from('GeoTIFF tile'))).toBe(false);
  });

  it('round-trips an empty plaintext and a view into a larger buffer', () => {
    expect(open(keys.encryption, seal(keys.encryption, new Uint8Array(0)), 'x')).toHaveLength(0);
    const view = plaintext.subarray(100, 200);
    expect(Buffer.compare(open(keys.encryption, seal(keys.encryption, view), 'x'), view)).toBe(0);
  });

  it('rejects a flipped byte anywhere: nonce, ciphertext or tag', () => {
    const sealed = seal(keys.encryption, plaintext);
    for (const at of [0, 11, 12, 500, sealed.length - 17, sealed.length - 1]) {
      const damaged = Uint8Array.from(sealed);
      damaged[at]! ^= 0x01;
      expectIntegrityError(() => open(keys.encryption, damaged, 'pack 1234'), 'pack 1234');
    }
  });

  it('rejects a wrong key, truncation and short input', () => {
    const sealed = seal(keys.encryption, plaintext);
    expectIntegrityError(() => open(generateMasterKeys().encryption, sealed, 'index 9'), 'index 9');
    expectIntegrityError(() => open(keys.encryption, sealed.subarray(0, sealed.length - 1), 'index 9'), 'index 9');
    expectIntegrityError(() => open(keys.encryption, sealed.subarray(0, 27), 'index 9'), 'index 9');
    expectIntegrityError(() => open(keys.encryption, new Uint8Array(0), 'index 9'), 'index 9');
  });
});

describe('openReusing', () => {
  it('opens what open opens, across slice boundaries and growing and shrinking sizes', () => {
    for (const size of [0, 1, 64 * 1024, 64 * 1024 + 1, 200_000, 10, plaintext.length]) {
      const data = Buffer.alloc(size, size % 251);
      expect(Buffer.compare(openReusing(keys.encryption, seal(keys.encryption, data), 'x'), data)).toBe(0);
    }
  });

  it('refuses what open refuses, with the same integrity error', () => {
    const sealed = seal(keys.encryption, Buffer.alloc(200_000, 7));
    for (const at of [0, 12, 70_000, sealed.length - 1]) {
      const damaged = Uint8Array.from(sealed);
      damaged[at]! ^= 0x01;
      expectIntegrityError(() => openReusing(keys.encryption, damaged, 'blob abc'), 'blob abc');
    }
    expectIntegrityError(() => openReusing(generateMasterKeys().encryption, sealed, 'blob abc'), 'blob abc');
    expectIntegrityError(() => openReusing(keys.encryption, sealed.subarray(0, 27), 'blob abc'), 'blob abc');
  });
});

describe('blobId', () => {
  it('is HMAC-SHA-256 under the mac key', () => {
    const id = blobId(keys, plaintext);
    expect(id).toBe(createHmac('sha256', keys.mac).update(plaintext).digest('hex'));
    expect(blobId(keys, plaintext)).toBe(id);
    expect(blobId({ ...keys, mac: generateMasterKeys().mac }, plaintext)).not.toBe(id);
    expect(blobId({ ...keys, encryption: generateMasterKeys().encryption }, plaintext)).toBe(id);
    expect(id).not.toBe(createHash('sha256').update(plaintext).digest('hex'));
  });

  it('is plain SHA-256 without keys', () => {
    expect(blobId(null, Buffer.from('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

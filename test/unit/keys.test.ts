// Key files: the master keys wrapped under a scrypt-derived key. A passphrase opens them, a
// wrong one is reported as such, and damaged or malformed files are refused.

import { createKeyFile, parseKeyFile, unlockKeyFile } from '../../core/keys';
import { generateMasterKeys } from '../../core/crypto';
import { RepositoryError } from '../../core/errors';

const master = generateMasterKeys();
const scryptN = 2 ** 12;

const decode = (bytes: Uint8Array) => JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
const encode = (file: Record<string, unknown>) => Buffer.from(JSON.stringify(file));

async function expectCode(attempt: Promise<unknown>, code: string): Promise<void> {
  const error: unknown = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RepositoryError);
  expect(error).toMatchObject({ code });
}

describe('key files', () => {
  let created: Awaited<ReturnType<typeof createKeyFile>>;
  beforeAll(async () => {
    created = await createKeyFile(master, 'correct horse battery staple', { scryptN });
  });

  it('opens with the passphrase and gives back the master keys', async () => {
    const keys = await unlockKeyFile(created.bytes, 'correct horse battery staple');
    expect(Buffer.compare(keys.encryption, master.encryption)).toBe(0);
    expect(Buffer.compare(keys.mac, master.mac)).toBe(0);
  });

  it('stores the scrypt parameters and describes itself without the passphrase', () => {
    const file = decode(created.bytes);
    expect(file).toMatchObject({ version: 1, kdf: 'scrypt', N: scryptN, r: 8, p: 1 });
    expect(Buffer.from(file.salt as string, 'base64').length).toBeGreaterThanOrEqual(16);
    expect(created.id).toMatch(/^[0-9a-f]{64}$/);
    expect(created.info.id).toBe(created.id);
    expect(Date.parse(created.info.created)).not.toBeNaN();
    expect(parseKeyFile(created.bytes, 'k1')).toEqual({ ...created.info, id: 'k1' });
    const raw = Buffer.from(created.bytes).toString('utf8');
    expect(raw).not.toContain(Buffer.from(master.encryption).toString('base64'));
    expect(raw).not.toContain(Buffer.from(master.mac).toString('base64'));
  });

  it('uses N = 2^15 by default', async () => {
    const file = decode((await createKeyFile(master, 'pw')).bytes);
    expect(file.N).toBe(2 ** 15);
  });

  it('derives a different key every time (fresh salt)', async () => {
    const other = await createKeyFile(master, 'correct horse battery staple', { scryptN });
    expect(decode(other.bytes).salt).not.toBe(decode(created.bytes).salt);
    expect(other.id).not.toBe(created.id);
    const keys = await unlockKeyFile(other.bytes, 'correct horse battery staple');
    expect(Buffer.compare(keys.mac, master.mac)).toBe(0);
  });

  it('reports a wrong passphrase', async () => {
    await expectCode(unlockKeyFile(created.bytes, 'Correct horse battery staple'), 'wrong-passphrase');
    await expectCode(unlockKeyFile(created.bytes, ''), 'wrong-passphrase');
  });

  it('refuses a file whose sealed keys, salt or parameters were altered', async () => {
    const file = decode(created.bytes);
    const data = Buffer.from(file.data as string, 'base64');
    data[20]! ^= 0x80;
    const salt = Buffer.from(file.salt as string, 'base64');
    salt[0]! ^= 0x01;
    for (const tampered of [{ data: data.toString('base64') }, { salt: salt.toString('base64') }, { N: scryptN * 2 }]) {
      await expectCode(unlockKeyFile(encode({ ...file, ...tampered }), 'correct horse battery staple'), 'wrong-passphrase');
    }
  });

  it.each<[string, (file: Record<string, unknown>) => unknown]>([
    ['not JSON', () => 'not json {'],
    ['another version', (f) => ({ ...f, version: 2 })],
    ['another kdf', (f) => ({ ...f, kdf: 'argon2id' })],
    ['N not a power of two', (f) => ({ ...f, N: 3000 })],
    ['scrypt asking for too much memory', (f) => ({ ...f, N: 2 ** 24 })],
    ['data not base64', (f) => ({ ...f, data: '%%%' })],
    ['a missing field', ({ salt: _salt, ...f }) => f],
  ])('refuses a malformed file: %s', async (_, change) => {
    const changed = change(decode(created.bytes));
    const bytes = typeof changed === 'string' ? Buffer.from(changed) : encode(changed as Record<string, unknown>);
    expect(() => parseKeyFile(bytes, 'k')).toThrow(expect.objectContaining({ code: 'not-a-repository' }));
    await expectCode(unlockKeyFile(bytes, 'correct horse battery staple'), 'not-a-repository');
  });
});

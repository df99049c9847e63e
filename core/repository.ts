// Opening and creating repositories: the config file, key files (add, list, remove, and the
// start and end of a key rotation) and the sealing of repository files under the master keys.

import { createHash } from 'node:crypto';
import { blobId, generateMasterKeys, MasterKeys, openUnder, randomId, seal } from './crypto.js';
import { ConcurrentChangeError, RepositoryError, wrongPassphrase } from './errors.js';
import { integer, isObject, object, oneOf, string } from './jsonShape.js';
import { createKeyFile, KeyFileInfo, parseKeyFile, unlockKeyFile } from './keys.js';
import { buildConfig, InitOptions, REPOSITORY_VERSION, RepositoryConfig, RepositoryConfigShape } from './repositoryConfig.js';
import { FileType, isNotFound, Storage, StorageError, undefinedIfNotFound } from '../storage/storage.js';

// The config file's outer envelope. `meridian` is the repository format version (format 1 wrote 1
// there too), readable without a key, so another version is refused before any key is tried.
type ConfigEnvelope = { meridian: typeof REPOSITORY_VERSION; encrypted: false; config: unknown } | { meridian: typeof REPOSITORY_VERSION; encrypted: true; sealed: string };
const envelopeVersion = object({ meridian: integer(1) });
const plainEnvelope = object({ meridian: oneOf(REPOSITORY_VERSION), encrypted: oneOf(false) });
const sealedEnvelope = object({ meridian: oneOf(REPOSITORY_VERSION), encrypted: oneOf(true), sealed: string });

export interface SealedFile {
  name: string;
  stored: Uint8Array;
}

export interface KeyListing extends KeyFileInfo {
  current: boolean;
  /** A key file that cannot be parsed: listed (with empty fields) so that it can be removed. */
  malformed?: boolean;
}

export class Repository {
  private constructor(
    readonly storage: Storage,
    readonly config: RepositoryConfig,
    readonly keys: MasterKeys | null,
    private readonly currentKeyId: string | null,
    /** The config file as stored when the keys were read: a key rotation seals it anew. */
    private readonly configStored: Uint8Array | null = null,
  ) {}

  /** Creates a repository in empty storage; refuses storage that already holds one. */
  static async init(storage: Storage, passphrase: string | undefined, options: InitOptions = {}): Promise<Repository> {
    await storage.createLocation?.();
    if (await exists(storage)) {
      throw new RepositoryError('already-initialized', `[repository] ${storage.location} already holds a repository`);
    }
    const config = buildConfig(randomId(), randomId(), options);
    if (!config.encrypted && passphrase) {
      throw new RepositoryError('invalid-argument', `[repository] refusing to create an unencrypted repository at ${storage.location} while a passphrase is set: it could not be opened with that passphrase set; unset it`);
    }
    if (!config.encrypted) {
      await storage.put({ type: 'config', name: 'config' }, jsonBytes({ meridian: REPOSITORY_VERSION, encrypted: false, config }));
      return new Repository(storage, config, null, null);
    }
    if (!passphrase) throw new RepositoryError('wrong-passphrase', '[repository] an encrypted repository needs a passphrase');
    const keys = generateMasterKeys();
    const key = await createKeyFile(keys, passphrase);
    await storage.put({ type: 'keys', name: key.id }, key.bytes);
    const configStored = sealedConfig(config, keys);
    await storage.put({ type: 'config', name: 'config' }, configStored);
    return new Repository(storage, config, keys, key.id, configStored);
  }

  /** Opens an existing repository, trying every key file with the passphrase. */
  static async open(storage: Storage, passphrase: string | undefined): Promise<Repository> {
    let raw: Uint8Array;
    try {
      raw = await storage.get({ type: 'config', name: 'config' });
    } catch (err) {
      if (isNotFound(err)) throw notARepository(storage, err);
      throw err;
    }
    const outer = parseJson(raw);
    if (envelopeVersion(outer) === undefined) checkVersion(storage, (outer as { meridian: number }).meridian);
    const problem = (isObject(outer) && outer.encrypted === true ? sealedEnvelope : plainEnvelope)(outer);
    if (problem !== undefined) throw notARepository(storage, new Error(`the config file's envelope: ${problem}`));
    const envelope = outer as ConfigEnvelope;
    if (!envelope.encrypted) {
      await refuseDowngrade(storage, passphrase);
      return new Repository(storage, parseConfig(storage, envelope.config), null, null);
    }
    if (!passphrase) throw new RepositoryError('wrong-passphrase', `[repository] ${storage.location} is encrypted and needs a passphrase`);
    // A key file that cannot be read or parsed must not lock out the others: each is tried, and
    // the failures are reported only when no key opens.
    const failures: { name: string; err: unknown }[] = [];
    // A key file whose keys do not open the config is one a key rotation has yet to delete (it
    // was interrupted after sealing the config again): the new key file is among the others.
    for await (const entry of storage.list('keys')) {
      let keys: MasterKeys;
      let plain: Uint8Array;
      try {
        keys = await unlockKeyFile(await storage.get({ type: 'keys', name: entry.name }), passphrase);
        plain = openUnder(keys, Buffer.from(envelope.sealed, 'base64'), 'repository config');
      } catch (err) {
        failures.push({ name: entry.name, err });
        continue;
      }
      return new Repository(storage, parseConfig(storage, parseJson(plain)), keys, entry.name, raw);
    }
    throw noKeyOpens(storage.location, failures);
  }

  get encrypted(): boolean {
    return this.keys !== null;
  }

  blobId(data: Uint8Array): string {
    return blobId(this.keys, data);
  }

  sealFile(plain: Uint8Array): Uint8Array {
    return this.keys ? seal(this.keys.encryption, plain) : plain;
  }

  openFile(stored: Uint8Array, what: string): Uint8Array {
    return this.keys ? openUnder(this.keys, stored, what) : stored;
  }

  /** Stores a JSON document sealed; its name is the SHA-256 of the stored bytes. */
  async saveJsonFile(type: FileType, value: unknown): Promise<string> {
    const file = this.sealJsonFile(value);
    await this.storage.put({ type, name: file.name }, file.stored);
    return file.name;
  }

  /** A JSON document's stored bytes (sealed) and its name, the SHA-256 of those bytes: the same in every replica. */
  sealJsonFile(value: unknown): SealedFile {
    return this.sealNamedFile(jsonBytes(value));
  }

  /** A file's stored bytes (sealed) and its name, the SHA-256 of those bytes. */
  sealNamedFile(plain: Uint8Array): SealedFile {
    const stored = this.sealFile(plain);
    return { name: createHash('sha256').update(stored).digest('hex'), stored };
  }

  /** Whether a key rotation is under way: files sealed under a retired key may remain (core/keyRotation.ts). */
  get rotating(): boolean {
    return (this.keys?.retired?.length ?? 0) > 0;
  }

  /**
   * Starts a key rotation, or carries on one that a crash interrupted: a new encryption key
   * (the old one retired, still opening what is not sealed again yet) in a new key file under
   * `passphrase`; the config sealed again under it; then every other key file deleted, since
   * each holds the old key. Returns the repository as opened by the new key file.
   */
  async startRotation(passphrase: string): Promise<{ repository: Repository; keyId: string; removedKeys: string[] }> {
    const keys = this.requireKeys();
    const next: MasterKeys = this.rotating ? keys : { encryption: generateMasterKeys().encryption, mac: keys.mac, retired: [keys.encryption] };
    const key = await createKeyFile(next, passphrase);
    await this.storage.put({ type: 'keys', name: key.id }, key.bytes);
    const configStored = sealedConfig(this.config, next);
    await this.storage.put({ type: 'config', name: 'config' }, configStored);
    const removedKeys = await this.removeKeyFiles(async (id) => id !== key.id);
    return { repository: new Repository(this.storage, this.config, next, key.id, configStored), keyId: key.id, removedKeys };
  }

  /**
   * Throws a ConcurrentChangeError (the operation starts over, opening the repository again) when
   * a key rotation began since this process read the keys: what it would seal now could be under
   * a key about to be destroyed. Locks call it once written, so a rotation either waits for the
   * lock or is seen by it; WAL pushes, which take none, call it before their put.
   */
  async assertKeysCurrent(): Promise<void> {
    if (!this.configStored) return; // unencrypted: no key to rotate
    const stored = await this.storage.get({ type: 'config', name: 'config' });
    if (Buffer.compare(Buffer.from(stored), Buffer.from(this.configStored)) === 0) return;
    throw new ConcurrentChangeError(`[repository] the keys of ${this.storage.location} were rotated since this process opened it; the operation will start over`);
  }

  /**
   * Ends a key rotation once nothing is sealed under a retired key: a key file under
   * `passphrase` without them, then every key file that this passphrase opens and that holds
   * them is deleted. The retired keys are then gone from the repository.
   */
  async finishRotation(passphrase: string): Promise<{ keyId: string | null; removedKeys: string[] }> {
    const { retired, ...current } = this.requireKeys();
    const key = retired?.length ? await createKeyFile(current, passphrase) : undefined;
    if (key) await this.storage.put({ type: 'keys', name: key.id }, key.bytes);
    const removedKeys = await this.removeKeyFiles(async (id, bytes) => {
      if (id === key?.id) return false;
      const held = await unlockKeyFile(bytes, passphrase).catch(() => undefined);
      return (held?.retired?.length ?? 0) > 0;
    });
    return { keyId: key?.id ?? null, removedKeys };
  }

  private async removeKeyFiles(condemned: (id: string, bytes: Uint8Array) => Promise<boolean>): Promise<string[]> {
    const names: string[] = [];
    for await (const entry of this.storage.list('keys')) names.push(entry.name);
    const removed: string[] = [];
    for (const name of names) {
      const bytes = await this.storage.get({ type: 'keys', name }).catch(undefinedIfNotFound);
      if (!bytes || !(await condemned(name, bytes))) continue;
      await this.storage.delete({ type: 'keys', name });
      removed.push(name);
    }
    return removed;
  }

  /** A file of the repository, opened and checked against a zod schema (or a hand-written check with the same safeParse). */
  async loadJsonFile<T>(type: FileType, name: string, schema: JsonShape<T>): Promise<T> {
    const stored = await this.storage.get({ type, name });
    const plain = this.openFile(stored, `${type} file ${name}`);
    const parsed = schema.safeParse(parseJson(plain));
    if (!parsed.success) {
      throw new RepositoryError('integrity', `[repository] ${type} file ${name} is malformed: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    }
    return parsed.data;
  }

  async addKey(passphrase: string): Promise<KeyFileInfo> {
    const keys = this.requireKeys();
    if (this.rotating) {
      throw new RepositoryError('invalid-argument', '[repository] a key rotation is under way: add keys once it has finished (the new key file would hold the retired key)');
    }
    const key = await createKeyFile(keys, passphrase);
    await this.storage.put({ type: 'keys', name: key.id }, key.bytes);
    return key.info;
  }

  async listKeys(): Promise<KeyListing[]> {
    const out: KeyListing[] = [];
    for await (const entry of this.storage.list('keys')) {
      try {
        const info = parseKeyFile(await this.storage.get({ type: 'keys', name: entry.name }), entry.name);
        out.push({ ...info, current: entry.name === this.currentKeyId });
      } catch (err) {
        if (!(err instanceof RepositoryError)) throw err;
        out.push({ id: entry.name, created: '', host: '', username: '', current: false, malformed: true });
      }
    }
    return out.sort((a, b) => a.created.localeCompare(b.created));
  }

  /** Removes a key file; refuses the key in use, so the repository always stays openable. */
  async removeKey(idOrPrefix: string): Promise<string> {
    this.requireKeys();
    const matches = (await this.listKeys()).filter((k) => k.id.startsWith(idOrPrefix));
    if (matches.length !== 1) {
      throw new RepositoryError('not-found', `[repository] ${matches.length === 0 ? 'no' : 'more than one'} key matches "${idOrPrefix}"`);
    }
    const key = matches[0]!;
    if (key.current) {
      throw new RepositoryError('invalid-argument', '[repository] refusing to remove the key that opened the repository; open it with another key first');
    }
    await this.storage.delete({ type: 'keys', name: key.id });
    return key.id;
  }

  private requireKeys(): MasterKeys {
    if (!this.keys) throw new RepositoryError('invalid-argument', '[repository] this repository is not encrypted and has no keys');
    return this.keys;
  }
}

async function exists(storage: Storage): Promise<boolean> {
  try {
    await storage.stat({ type: 'config', name: 'config' });
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/**
 * An unencrypted config is trusted only where nothing says the repository is encrypted. The
 * config of an encrypted repository is always sealed, so one in plain text next to key files was
 * put there by someone else; and a passphrase held for the repository (whatever its source: the
 * worker's MERIDIAN_PASSWORD applies to every repository) means it is meant to be encrypted.
 * Opening it anyway would let whoever can write the storage make backups store plaintext.
 */
async function refuseDowngrade(storage: Storage, passphrase: string | undefined): Promise<void> {
  let hasKeys = false;
  for await (const _ of storage.list('keys')) {
    hasKeys = true;
    break;
  }
  if (hasKeys) {
    throw new RepositoryError(
      'integrity',
      `[repository] ${storage.location} has key files but an unencrypted config: an encrypted repository's config is always sealed, so it was replaced; refusing to open it`,
    );
  }
  if (passphrase) {
    throw new RepositoryError(
      'wrong-passphrase',
      `[repository] ${storage.location} is not encrypted, but a passphrase is set for it; refusing to open it rather than store plaintext where encryption is expected (unset the passphrase to use an unencrypted repository)`,
    );
  }
}

/** Refuses a repository of another format version (older ones too: format 1 never held user data). */
function checkVersion(storage: Storage, version: unknown): void {
  if (version === REPOSITORY_VERSION) return;
  throw new RepositoryError(
    'not-a-repository',
    `[repository] ${storage.location} uses repository format version ${String(version)}; this meridian reads version ${REPOSITORY_VERSION}`,
  );
}

function parseConfig(storage: Storage, value: unknown): RepositoryConfig {
  if (isObject(value)) checkVersion(storage, value.version);
  const parsed = RepositoryConfigShape.safeParse(value);
  if (!parsed.success) throw notARepository(storage, new Error(`the repository config: ${parsed.error.issues[0]!.message}`));
  return parsed.data;
}

/** What loadJsonFile checks a file with: a zod schema's safeParse, or one written to match it. */
export interface JsonShape<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: readonly { message: string }[] } };
}

/** Why no key file opened: a transient storage error (worth retrying), a wrong passphrase, or damaged key files. */
function noKeyOpens(location: string, failures: { name: string; err: unknown }[]): Error {
  const transient = failures.find(({ err }) => err instanceof StorageError && err.kind === 'transient');
  if (transient) return transient.err as Error;
  const damaged = failures.filter(({ err }) => !(err instanceof RepositoryError && err.code === 'wrong-passphrase'));
  if (damaged.length === 0) return wrongPassphrase(location);
  const named = damaged.map(({ name, err }) => (err instanceof StorageError ? `unreadable key file ${name} (${err.message})` : `malformed key file ${name}`)).join('; ');
  const code = damaged.length < failures.length ? 'wrong-passphrase' : 'integrity';
  return new RepositoryError(code, `[repository] no key of ${location} opens with this passphrase; ${named}`, { cause: damaged[0]!.err });
}

function notARepository(storage: Storage, cause: unknown): RepositoryError {
  return new RepositoryError('not-a-repository', `[repository] ${storage.location} is not a Meridian repository`, { cause });
}

/** The config file of an encrypted repository: its config sealed under the current key. */
function sealedConfig(config: RepositoryConfig, keys: MasterKeys): Uint8Array {
  const sealed = Buffer.from(seal(keys.encryption, jsonBytes(config))).toString('base64');
  return jsonBytes({ meridian: REPOSITORY_VERSION, encrypted: true, sealed });
}

export function jsonBytes(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value));
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    return undefined;
  }
}

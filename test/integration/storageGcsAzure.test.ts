// The Google Cloud Storage and Azure Blob backends against real servers (fake-gcs-server and
// Azurite, started by globalSetup): the conformance and append-only suites, bucket/container creation, error
// classes and messages (missing bucket or container, wrong key, unreachable or silent server),
// and objects above 16 MiB (resumable and block uploads) with exact ranged reads.

import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { createAzureStorage } from '../../storage/azure';
import { AzureConfig, GcsConfig } from '../../storage/config';
import { createGcsStorage } from '../../storage/gcs';
import { withRetry } from '../../storage/retry';
import { Handle, Storage, StorageError } from '../../storage/storage';
import { describeStorageConformance } from '../storage/conformance';
import { describeAppendOnly } from '../storage/appendOnlyConformance';
import { openStorageFromConfig } from '../../storage/open';
import { runMeridian } from '../helpers/meridianCli';
import { pseudoRandomBytes, tempDir } from '../helpers/trees';

function serverEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run integration tests through jest, whose global setup starts the servers`);
  return value;
}

/** A bucket or container name no other test (or earlier run) uses: lowercase, digits, dashes. */
const uniqueName = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;

interface Backend {
  name: string;
  /** What the backend calls its bucket in messages. */
  noun: 'bucket' | 'container';
  config(location: string, prefix?: string): GcsConfig | AzureConfig;
  /** The endpoint of a server on this port (Azure's carries the account in the path). */
  endpointAt(port: number): string;
  create(config: GcsConfig | AzureConfig, idleTimeoutMs?: number): Storage;
}

const gcs: Backend = {
  name: 'gcs (fake-gcs-server)',
  noun: 'bucket',
  config: (bucket, prefix = '') => ({ type: 'gcs', bucket, prefix, endpoint: serverEnv('MERIDIAN_TEST_GCS_ENDPOINT') }),
  endpointAt: (port) => `http://127.0.0.1:${port}`,
  create: (config, idleTimeoutMs) => createGcsStorage(config as GcsConfig, { idleTimeoutMs }),
};

const azure: Backend = {
  name: 'azure (Azurite)',
  noun: 'container',
  config: (container, prefix = '') => ({ type: 'azure', account: 'devstoreaccount1', container, prefix, endpoint: serverEnv('MERIDIAN_TEST_AZURE_ENDPOINT') }),
  endpointAt: (port) => `http://127.0.0.1:${port}/devstoreaccount1`,
  create: (config, idleTimeoutMs) => createAzureStorage(config as AzureConfig, { idleTimeoutMs }),
};

const CONFIG: Handle = { type: 'config', name: 'config' };

/** The error a promise rejects with (fails the test if it resolves). */
async function failure(promise: Promise<unknown>): Promise<StorageError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(StorageError);
  return err as StorageError;
}

async function listAll(storage: Storage, type: Handle['type']): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of storage.list(type)) names.push(entry.name);
  return names;
}

/** A TCP server that accepts connections and never answers. */
async function blackHole(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe.each([gcs, azure])('$name', (backend) => {
  // One bucket or container for the suite, a fresh prefix per conformance test. Wrapped as
  // open.ts wraps every cloud backend (retries): fake-gcs-server drops the connection it
  // answered a 416 on, and the next request on it fails with a transient ECONNRESET.
  const location = uniqueName('shared');
  let created: Promise<void> | undefined;
  const ensureLocation = (storage: Storage) => (created ??= storage.createLocation!());
  let tests = 0;
  describeStorageConformance({
    name: backend.name,
    create: async () => {
      tests += 1;
      const storage = withRetry(backend.create(backend.config(location, `conformance/${tests}`)));
      await ensureLocation(storage);
      return storage;
    },
  });

  describeAppendOnly({
    name: backend.name,
    create: async () => {
      tests += 1;
      const config = backend.config(location, `append-only/${tests}`);
      const full = await openStorageFromConfig(config);
      await ensureLocation(full);
      return { appendOnly: await openStorageFromConfig(config, { appendOnly: true }), full };
    },
  });

  test(`createLocation creates a missing ${backend.noun} and is idempotent`, async () => {
    const name = uniqueName('created');
    const storage = backend.create(backend.config(name, 'repo'));
    await storage.createLocation!();
    await storage.createLocation!();
    await storage.put(CONFIG, Buffer.from('config'));
    expect(Buffer.from(await storage.get(CONFIG)).toString()).toBe('config');
    expect(await listAll(storage, 'config')).toEqual(['config']);
  });

  test(`a missing ${backend.noun} is a permanent error naming it, for every operation`, async () => {
    const name = uniqueName('missing');
    const storage = backend.create(backend.config(name, 'repo'));
    const calls: [string, () => Promise<unknown>][] = [
      ['get', () => storage.get(CONFIG)],
      ['stat', () => storage.stat(CONFIG)],
      ['put', () => storage.put(CONFIG, new Uint8Array(1))],
      ['delete', () => storage.delete(CONFIG)],
      ['list', () => listAll(storage, 'snapshots')],
    ];
    for (const [operation, call] of calls) {
      const err = await failure(call());
      expect(err.kind).toBe('permanent');
      expect(err.message).toContain(`${backend.noun} "${name}" does not exist`);
      expect(err.message).toContain(`(${operation} repo/`);
    }
  });

  test('an object above 16 MiB round-trips and ranged reads are exact', async () => {
    const storage = backend.create(backend.config(location, 'large'));
    await ensureLocation(storage);
    const data = pseudoRandomBytes(17 * 1024 * 1024 + 12_345, 7);
    const h: Handle = { type: 'data', name: `ab${'1'.repeat(62)}` };
    await storage.put(h, data);
    expect(await storage.stat(h)).toMatchObject({ size: data.length });
    expect(Buffer.from(await storage.get(h)).equals(data)).toBe(true);
    const block = 8 * 1024 * 1024;
    for (const [offset, length] of [[0, 1], [block - 100, 200], [2 * block - 1, 2], [1234, block + 5678], [data.length - 4096, 4096]] as const) {
      expect(Buffer.from(await storage.get(h, { offset, length })).equals(data.subarray(offset, offset + length))).toBe(true);
    }
    expect((await failure(storage.get(h, { offset: data.length - 10, length: 20 }))).message).toMatch(/past the end/);
  });

  test('an unreachable or silent server is a transient error, and a silent one does not hang', async () => {
    const closed = await blackHole();
    await closed.close();
    const refused = backend.create({ ...backend.config('unreachable'), endpoint: backend.endpointAt(closed.port) });
    expect(await failure(refused.stat(CONFIG))).toMatchObject({ kind: 'transient', message: expect.stringMatching(/unreachable \(ECONNREFUSED\)/) });

    const silent = await blackHole();
    try {
      const storage = backend.create({ ...backend.config('silent'), endpoint: backend.endpointAt(silent.port) }, 500);
      const started = Date.now();
      const errors = await Promise.all([storage.get(CONFIG), storage.put(CONFIG, new Uint8Array(1024)), listAll(storage, 'data')].map(failure));
      expect(Date.now() - started).toBeLessThan(10_000);
      for (const err of errors) expect(err).toMatchObject({ kind: 'transient', message: expect.stringContaining('no answer or progress for 0.5 s') });
    } finally {
      await silent.close();
    }
  });
});

describe('azure credentials', () => {
  const container = uniqueName('credentials');

  test('a connection string in the config works', async () => {
    const endpoint = serverEnv('MERIDIAN_TEST_AZURE_ENDPOINT');
    const connectionString = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${serverEnv('AZURE_STORAGE_KEY')};BlobEndpoint=${endpoint};`;
    const storage = createAzureStorage({ type: 'azure', account: 'devstoreaccount1', container, prefix: 'cs', connectionString });
    await storage.createLocation!();
    await storage.put(CONFIG, Buffer.from('via connection string'));
    expect(Buffer.from(await storage.get(CONFIG)).toString()).toBe('via connection string');
  });

  test('a wrong key is a permanent error naming account and container, never the key', async () => {
    const wrongKey = randomBytes(64).toString('base64');
    const storage = createAzureStorage({ ...(azure.config(container, 'cs') as AzureConfig), accountKey: wrongKey });
    for (const call of [() => storage.get(CONFIG), () => storage.stat(CONFIG), () => storage.createLocation!()]) {
      const err = await failure(call());
      expect(err.kind).toBe('permanent');
      expect(err.message).toMatch(/^\[storage:azure\] account "devstoreaccount1" refused the credentials for container "credentials-[^"]+" \(HTTP 403/);
      for (const secret of [wrongKey, serverEnv('AZURE_STORAGE_KEY'), 'SharedKey ']) expect(err.message).not.toContain(secret);
    }
  });
});

describe('gs:// with STORAGE_EMULATOR_HOST (the variable the GCS SDK documents for emulators)', () => {
  const endpoint = () => serverEnv('MERIDIAN_TEST_GCS_ENDPOINT');

  test.each([
    ['a URL', () => endpoint()],
    ['host:port', () => new URL(endpoint()).host],
    ['the SDK base URL', () => `${endpoint()}/storage/v1`],
  ])('meridian init creates the bucket and the repository opens, with the variable as %s', async (_, emulatorHost) => {
    const { MERIDIAN_PASSWORD: _p, MERIDIAN_PASSWORD_FILE: _f, ...inherited } = process.env;
    const env = { ...inherited, STORAGE_EMULATOR_HOST: emulatorHost() };
    const repo = `gs://${uniqueName('emulator')}/meridian`;
    const options = { cwd: tempDir('gcs-emulator'), env, timeoutMs: 60_000 };
    const init = await runMeridian(['init', '--repo', repo, '--no-encryption'], options);
    expect({ code: init.code, stderr: init.stderr }).toEqual({ code: 0, stderr: '' });
    expect(await runMeridian(['snapshots', '--repo', repo, '--json'], options)).toMatchObject({ code: 0, stdout: '[]\n' });
  });
});

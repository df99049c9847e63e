// Proves the shared Temporal dev server works: Meridian's search attributes are registered,
// ensureSearchAttributes is idempotent, the CLI's start-or-reuse keeps one server per folder, and
// that folder (MERIDIAN_HOME) and the server's database are private to their user.

import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureSearchAttributes, startDevServer } from '../../worker/devServer.js';
import { SEARCH_ATTRIBUTES } from '../../workflows/catalog.js';
import { temporalBinary } from '../../worker/temporalBinary.js';
import { testAddress, testConnection, type TestConnection } from '../helpers/temporal.js';

const KEYWORD = 2; // temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD

describe('Temporal dev server', () => {
  let temporal: TestConnection;
  beforeAll(async () => {
    temporal = await testConnection();
  });
  afterAll(async () => {
    await temporal.close();
  });

  it('has the Meridian search attributes registered on the default namespace', async () => {
    const { clientConnection, namespace } = temporal;
    const { customAttributes } = await clientConnection.operatorService.listSearchAttributes({ namespace });
    for (const name of Object.values(SEARCH_ATTRIBUTES)) expect(customAttributes[name]).toBe(KEYWORD);
    expect(await ensureSearchAttributes(clientConnection, namespace)).toEqual([]);
  });

  it('ensureSearchAttributes adds missing ones once and is idempotent', async () => {
    const { clientConnection } = temporal;
    const namespace = `meridian-sa-${Date.now().toString(36)}`;
    const create = ['operator', 'namespace', 'create', '--namespace', namespace, '--address', testAddress()];
    execFileSync(temporalBinary(), create, { stdio: 'ignore' });
    const all = Object.values(SEARCH_ATTRIBUTES);
    expect((await ensureSearchAttributes(clientConnection, namespace)).sort()).toEqual([...all].sort());
    expect(await ensureSearchAttributes(clientConnection, namespace)).toEqual([]);
    const { customAttributes } = await clientConnection.operatorService.listSearchAttributes({ namespace });
    for (const name of all) expect(customAttributes[name]).toBe(KEYWORD);
  });

  it('starts a persistent server once per state folder and reuses it', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'meridian-home-'));
    const first = await startDevServer({ stateDir });
    try {
      expect(first.reused).toBe(false);
      expect(existsSync(path.join(stateDir, 'temporal.db'))).toBe(true);
      const second = await startDevServer({ stateDir });
      expect(second).toMatchObject({ reused: true, pid: first.pid, address: first.address });
      expect(JSON.parse(readFileSync(path.join(stateDir, 'temporal.json'), 'utf8'))).toMatchObject({
        pid: first.pid,
        address: first.address,
      });
    } finally {
      await first.stop();
    }
    expect(existsSync(path.join(stateDir, 'temporal.json'))).toBe(false);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('creates the state folder 0700 and the database 0600, and tightens looser ones it finds', async () => {
    const parent = mkdtempSync(path.join(os.tmpdir(), 'meridian-private-'));
    const stateDir = path.join(parent, 'home');
    const mode = (file: string) => statSync(file).mode & 0o777;
    /** Every file of the server in the folder (database, its -wal/-shm, log, state) with its mode. */
    const modes = () => Object.fromEntries(readdirSync(stateDir).map((name) => [name, mode(path.join(stateDir, name))]));
    const db = path.join(stateDir, 'temporal.db');
    try {
      const fresh = await startDevServer({ stateDir });
      try {
        expect(mode(stateDir)).toBe(0o700);
        expect(modes()).toMatchObject({ 'temporal.db': 0o600, 'temporal.log': 0o600, 'temporal.json': 0o600 });
        expect(Object.values(modes()).every((m) => m === 0o600)).toBe(true);
      } finally {
        await fresh.stop();
      }
      chmodSync(stateDir, 0o755);
      chmodSync(db, 0o644);
      const again = await startDevServer({ stateDir });
      try {
        expect(again.reused).toBe(false);
        expect(mode(stateDir)).toBe(0o700);
        expect(mode(db)).toBe(0o600);
      } finally {
        await again.stop();
      }
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});

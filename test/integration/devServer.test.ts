// Proves the shared Temporal dev server works: Meridian's search attributes are registered,
// ensureSearchAttributes is idempotent, and the CLI's start-or-reuse keeps one server per folder.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
});

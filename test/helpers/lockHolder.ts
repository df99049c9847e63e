// Runs test/fixtures/lockHolder.js (from dist/) in a child process: a lock held by another
// process, live until the test kills it.

import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import path from 'node:path';

export interface LockHolderProcess {
  lockId: string;
  /** SIGKILL: the lock stays, refreshed by nobody. */
  kill(): Promise<void>;
}

export async function startLockHolder(env: { REPO: string; PASSPHRASE: string; OPERATION?: string; REFRESH_MS?: string }): Promise<LockHolderProcess> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [path.join(__dirname, '../../dist/test/fixtures/lockHolder.js')], {
    env: { ...process.env, ...env },
    stdio: 'pipe',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let out = '';
  let err = '';
  child.stderr.on('data', (data: Buffer) => (err += data.toString()));
  const lockId = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (data: Buffer) => {
      out += data.toString();
      const line = /^([0-9a-f]{64})\n/.exec(out);
      if (line) resolve(line[1]!);
    });
    child.once('exit', (code) => reject(new Error(`lock holder exited with ${code}: ${err}`)));
  });
  return {
    lockId,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

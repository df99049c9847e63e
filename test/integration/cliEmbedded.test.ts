// The `meridian` command on its embedded default: with TEMPORAL_ADDRESS unset, backup starts a
// local Temporal dev server whose state lives in MERIDIAN_HOME and does the work in-process;
// restore reuses that server, apply writes Schedules to it; `meridian server address` prints its
// address and `meridian server stop` stops it. At the end the server is stopped and no temporal
// process remains.

import { ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, renameSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { describeFailure } from '../../api/operations';
import { temporalBinary } from '../../worker/temporalBinary';
import { runMeridian } from '../helpers/meridianCli';
import { Client, Connection, WorkflowHandle } from '@temporalio/client';
import { describeTree, expectSameTree, pseudoRandomBytes, tempDir, writeTree } from '../helpers/trees';

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'meridian.js');
const execFileAsync = promisify(execFile);

let work: string;
let home: string;
let env: NodeJS.ProcessEnv;

async function meridian(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return execFileAsync(process.execPath, [bin, ...args], { cwd: work, env, timeout: 180_000 });
}

/** Pids of processes whose command line mentions `text` (Linux /proc). */
function processesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

/** Stops the dev server recorded in MERIDIAN_HOME: SIGTERM, SIGKILL after 10 s; resolves once it is gone. */
async function stopEmbeddedServer(stateDir = home): Promise<void> {
  let pid: number;
  try {
    pid = (JSON.parse(readFileSync(path.join(stateDir, 'temporal.json'), 'utf8')) as { pid: number }).pid;
  } catch {
    return; // never started
  }
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + 10_000;
  // By command line rather than kill(pid, 0), which a zombie would still answer.
  while (processesMentioning(stateDir).includes(pid)) {
    if (Date.now() > deadline) signal('SIGKILL');
    await sleep(200);
  }
}

beforeAll(() => {
  work = tempDir('cli-embedded');
  home = path.join(work, 'home');
  writeTree(path.join(work, 'source'), { smallFiles: 10, largeFiles: [2 * 1024 * 1024] });
  const { TEMPORAL_ADDRESS: _address, MERIDIAN_TASK_QUEUE: _queue, MERIDIAN_PASSWORD_FILE: _file, ...inherited } = process.env;
  env = { ...inherited, MERIDIAN_HOME: home, MERIDIAN_PASSWORD: 'embedded passphrase' };
});

afterAll(async () => {
  await stopEmbeddedServer();
  await stopEmbeddedServer(path.join(work, 'broken-home'));
  rmSync(work, { recursive: true, force: true });
});

describe('meridian without TEMPORAL_ADDRESS', () => {
  it('backup starts a dev server under MERIDIAN_HOME and restore reuses it', async () => {
    await meridian('init', '--repo', 'repo');

    const backup = await meridian('backup', 'source', '--repo', 'repo', '--json');
    expect(backup.stderr).toMatch(/^meridian: started a local Temporal dev server at 127\.0\.0\.1:\d+, Web UI http:\/\/127\.0\.0\.1:\d+; its state is kept in /);
    const { snapshotId } = JSON.parse(backup.stdout) as { snapshotId: string };
    const server = JSON.parse(readFileSync(path.join(home, 'temporal.json'), 'utf8')) as { pid: number; address: string };
    expect(processesMentioning(home)).toContain(server.pid);

    const restore = await meridian('restore', 'latest', '--repo', 'repo', '--target', 'restored', '--json');
    expect(restore.stderr).toBe(''); // reused: no second server
    expect(JSON.parse(restore.stdout)).toMatchObject({ snapshotId });
    expectSameTree(describeTree(path.join(work, 'source')), path.join(work, 'restored'));
    expect(JSON.parse(readFileSync(path.join(home, 'temporal.json'), 'utf8'))).toEqual(server);
  });

  it('a repository name from MERIDIAN_HOME/repositories.json works on the embedded default and shows in the workflow id', async () => {
    writeFileSync(path.join(home, 'repositories.json'), JSON.stringify({ tiles: { url: path.join(work, 'repo') } }));
    const verify = JSON.parse((await meridian('verify', '--repo', 'tiles', '--level', 'quick', '--json')).stdout) as { workflowId: string; ok: boolean };
    expect(verify).toMatchObject({ workflowId: expect.stringMatching(/^verify:tiles:all:/) as string, ok: true });
  });

  it('apply writes the Schedules of meridian.yaml to the embedded server, saying where they run', async () => {
    const config = path.join(work, 'meridian.yaml');
    const file = (schedules: string) =>
      writeFileSync(config, `repositories: { gis: { url: ${path.join(work, 'repo')} } }\nsources: { tiles: { path: ${path.join(work, 'source')}, repository: gis } }\nschedules: ${schedules}\n`);
    file('{ embedded-hourly: { source: tiles, template: hourly } }');
    const applied = await meridian('apply', '--config', config, '--json');
    expect(applied.stderr).toMatch(/^meridian: no Temporal address is configured: the Schedules go to the local dev server under MERIDIAN_HOME, and run while a `meridian server` polls task queue meridian there\n$/);
    expect(JSON.parse(applied.stdout)).toMatchObject({ plan: [{ name: 'embedded-hourly', action: 'create' }], applied: true });
    const { address } = JSON.parse(readFileSync(path.join(home, 'temporal.json'), 'utf8')) as { address: string };
    const connection = await Connection.connect({ address });
    try {
      const schedule = await new Client({ connection }).schedule.getHandle('meridian:embedded-hourly').describe();
      expect(schedule.action).toMatchObject({ workflowType: 'scheduledBackupWorkflow', taskQueue: 'meridian' });
    } finally {
      await connection.close();
    }
    file('{}');
    expect(JSON.parse((await meridian('apply', '--config', config, '--json')).stdout)).toMatchObject({ plan: [{ name: 'embedded-hourly', action: 'delete' }] });
  });

  it('a backup of a replica set\'s primary: refused in sync mode (only a worker waits for replicas), done with a notice in async mode', async () => {
    const config = path.join(work, 'replicated.yaml');
    const file = (mode: string) =>
      writeFileSync(config, `repositories: { eu: { url: ${path.join(work, 'repo')} }, us: { url: ${path.join(work, 'replica')} } }\nreplication: { gis: { primary: eu, replicas: [us], mode: ${mode} } }\n`);
    file('sync');
    const refused = await meridian('backup', 'source', '--repo', 'eu', '--config', config).catch((err: { code: number; stderr: string }) => err);
    expect(refused).toMatchObject({ code: 2 });
    expect((refused as { stderr: string }).stderr).toBe(
      'meridian: repository "eu" is the primary of replica set "gis" (sync): its backups wait for the replicas, which only a meridian worker does; set TEMPORAL_ADDRESS to a cluster where meridian worker runs\n',
    );
    file('async');
    const done = await meridian('backup', 'source', '--repo', 'eu', '--config', config, '--json');
    expect(done.stderr).toContain('meridian: repository "eu" is the primary of replica set "gis": its replicas get this backup from the set\'s next replication pass, run by a meridian worker\n');
    expect(JSON.parse(done.stdout)).toMatchObject({ snapshotId: expect.any(String) as string });
  });

  /** Runs `meridian backup huge` (a 20 GiB sparse file: long enough to act in) and hands its running workflow to `act`. */
  async function duringHugeBackup(act: (cli: ChildProcess, exited: Promise<unknown[]>, handle: WorkflowHandle) => Promise<void>): Promise<void> {
    const source = path.join(work, 'huge');
    if (!existsSync(source)) {
      mkdirSync(source);
      writeFileSync(path.join(source, 'zeros.bin'), '');
      truncateSync(path.join(source, 'zeros.bin'), 20 * 1024 ** 3);
    }
    const cli = spawn(process.execPath, [bin, 'backup', 'huge', '--repo', 'repo'], { cwd: work, env, stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = once(cli, 'exit');
    const { address } = JSON.parse(readFileSync(path.join(home, 'temporal.json'), 'utf8')) as { address: string };
    const connection = await Connection.connect({ address });
    try {
      const client = new Client({ connection });
      const running = async () => {
        for await (const w of client.workflow.list({ query: `ExecutionStatus = 'Running'` })) if (w.taskQueue.includes(`-${cli.pid}-`)) return w;
        return undefined;
      };
      let workflow = await running();
      for (const started = Date.now(); !workflow; workflow = await running()) {
        if (Date.now() - started > 30_000) throw new Error('the backup workflow of the CLI never showed up as Running');
        await sleep(100);
      }
      await sleep(1000); // its activity is under way
      await act(cli, exited, client.workflow.getHandle(workflow.workflowId));
    } finally {
      await connection.close();
    }
  }

  it('a workflow left Running by a SIGKILLed CLI is terminated by the next CLI run', async () => {
    await duringHugeBackup(async (cli, exited, handle) => {
      cli.kill('SIGKILL');
      await exited;
      await sleep(1000);
      expect((await handle.describe()).status.name).toBe('RUNNING');

      const next = await meridian('verify', '--repo', 'repo', '--level', 'quick');
      expect(next.stderr).toBe(`meridian: terminated 1 workflow left running by a meridian process that is gone: ${handle.workflowId}\n`);
      expect((await handle.describe()).status.name).toBe('TERMINATED');
    });
  });

  it('Ctrl-C cancels the backup: its activity stops inside the file, the run ends canceled, no snapshot is saved', async () => {
    const snapshotsBefore = readdirSync(path.join(work, 'repo', 'snapshots')).length;
    await duringHugeBackup(async (cli, exited, handle) => {
      let stderr = '';
      cli.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
      cli.kill('SIGINT');
      const [code] = await exited;
      expect(code).not.toBe(0);
      expect(stderr).toContain(`canceling ${handle.workflowId}`);
      const description = await handle.describe();
      expect(description.status.name).toBe('CANCELLED');
      // The activity stopped before the run closed: its cancellation is in the history.
      const events = (await handle.fetchHistory()).events ?? [];
      expect(events.some((e) => e.activityTaskCanceledEventAttributes)).toBe(true);
    });
    expect(readdirSync(path.join(work, 'repo', 'snapshots'))).toHaveLength(snapshotsBefore);
  });

  // Any local user reaches the embedded dev server (no authentication) and can read the CLI's
  // private task queue there; the CLI's worker, holding the passphrase, serves its own workflow only.
  (process.getuid?.() === 0 ? it : it.skip)("another user's workflows on the CLI's task queue are refused, even one with the command's own input", async () => {
    const victim = tempDir('cli-embedded-victim');
    writeFileSync(path.join(victim, 'secret'), 'root only\n', { mode: 0o600 });
    await duringHugeBackup(async (cli, exited, handle) => {
      const { taskQueue } = await handle.describe();
      const { address } = JSON.parse(readFileSync(path.join(home, 'temporal.json'), 'utf8')) as { address: string };
      const asNobody = (type: string, input: object) => {
        const workflowId = `nobody-${type}-${process.pid}-${Date.now()}`;
        const args = ['workflow', 'start', '--address', address, '--task-queue', taskQueue, '--type', type, '--workflow-id', workflowId, '--input', JSON.stringify(input)];
        const run = spawnSync('runuser', ['-u', 'nobody', '--', temporalBinary(), ...args], { cwd: '/', env: { PATH: process.env.PATH, HOME: '/nonexistent' }, encoding: 'utf8' });
        expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
        return handle.client.getHandle(workflowId);
      };
      for (const foreign of [
        asNobody('restoreWorkflow', { repo: path.join(work, 'repo'), snapshot: 'latest', target: victim }),
        asNobody('backupWorkflow', { repo: path.join(work, 'repo'), path: path.join(work, 'huge') }),
      ]) {
        const failure = await foreign.result().then(() => undefined, describeFailure);
        expect(failure).toEqual({ type: 'refused', message: `[authority] refused workflow ${foreign.workflowId}: this worker belongs to a meridian CLI command and runs only that command's workflow` });
      }
      cli.kill('SIGINT');
      await exited;
    });
    expect({ text: readFileSync(path.join(victim, 'secret'), 'utf8'), mode: statSync(path.join(victim, 'secret')).mode & 0o777 }).toEqual({ text: 'root only\n', mode: 0o600 });
  });

  it('server address prints the running server\'s address; server stop stops it and frees its port; the next command starts a fresh one', async () => {
    const server = JSON.parse(readFileSync(path.join(home, 'temporal.json'), 'utf8')) as { pid: number; address: string; uiAddress: string };
    const address = await meridian('server', 'address');
    expect(address).toEqual({ stdout: `${server.address}\n`, stderr: `meridian: its Web UI is at ${server.uiAddress}\n` });

    const stop = await meridian('server', 'stop');
    expect(stop).toEqual({ stdout: '', stderr: `meridian: stopped the local Temporal dev server at ${server.address} (pid ${server.pid}); its state stays in ${home}\n` });
    expect(processesMentioning(home)).toEqual([]);
    expect(existsSync(path.join(home, 'temporal.json'))).toBe(false);
    const [host, port] = server.address.split(':');
    await expect(connectsTo(host!, Number(port))).resolves.toBe(false);
    expect((await meridian('server', 'stop')).stderr).toBe(`meridian: no local Temporal dev server is running under ${home}\n`);

    const next = await meridian('verify', '--repo', 'repo', '--level', 'quick');
    expect(next.stderr).toMatch(/^meridian: started a local Temporal dev server at /);
    const fresh = JSON.parse(readFileSync(path.join(home, 'temporal.json'), 'utf8')) as { pid: number };
    expect(fresh.pid).not.toBe(server.pid);
    expect(processesMentioning(home)).toContain(fresh.pid);
    expect((await meridian('server', 'stop')).stderr).toMatch(/^meridian: stopped the local Temporal dev server/);
  });

  it('leaves no temporal process running once the recorded server is stopped', async () => {
    await stopEmbeddedServer();
    expect(processesMentioning(home)).toEqual([]);
  });
});

/** Whether a TCP connection to host:port is accepted. */
function connectsTo(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('meridian when the embedded dev server cannot start', () => {
  it('a corrupt temporal.db exits 4 at once, naming the database and the log and how to recover; moving it away recovers', async () => {
    const brokenHome = path.join(work, 'broken-home');
    mkdirSync(brokenHome);
    const db = path.join(brokenHome, 'temporal.db');
    writeFileSync(db, pseudoRandomBytes(64 * 1024, 5));
    const brokenEnv = { ...env, MERIDIAN_HOME: brokenHome };
    const run = await runMeridian(['verify', '--repo', 'repo'], { cwd: work, env: brokenEnv, timeoutMs: 90_000 });
    expect(run).toMatchObject({ code: 4, stdout: '' });
    expect(run.stderr.split('\n')).toHaveLength(2); // one line
    expect(run.stderr).toMatch(/^meridian: cannot start the embedded Temporal dev server: .*file is not a database/);
    expect(run.stderr).toContain(`log: ${path.join(brokenHome, 'temporal.log')}; database: ${db}`);
    expect(run.stderr).toContain(`move it away (mv ${db} ${db}.broken)`);

    renameSync(db, `${db}.broken`);
    // -q: not even the notice of a dev server started (which this run does) on stderr.
    const recovered = await runMeridian(['verify', '--repo', 'repo', '--level', 'quick', '--json', '-q'], { cwd: work, env: brokenEnv, timeoutMs: 90_000 });
    await stopEmbeddedServer(brokenHome);
    expect(recovered).toMatchObject({ code: 0, stderr: '' });
  });
});

// `meridian server address` and `meridian server stop`: the local Temporal dev server kept under
// MERIDIAN_HOME (whatever TEMPORAL_ADDRESS says). `address` prints its frontend host:port, starting
// it when none runs, for the `temporal` CLI or a `meridian worker`; `stop` stops it (its history
// stays in MERIDIAN_HOME, and the next command that needs it starts it again).

import { stopRecordedServer } from '../../worker/devServer.js';
import { meridianHome } from '../../worker/workerConfig.js';
import { expectPositionals, parseCommand } from '../args.js';
import { EXIT, ExitCode, unavailableError } from '../exitCodes.js';
import { notice, printLines } from '../output.js';
import { startEmbeddedServer } from '../temporal.js';

export async function run(action: 'address' | 'stop', args: string[]): Promise<ExitCode> {
  const { positionals } = parseCommand('server', args);
  expectPositionals('server', positionals, [], 0);
  const home = meridianHome(process.env);
  if (action === 'address') {
    const server = await startEmbeddedServer(home);
    if (server.reused && server.uiAddress) notice(`its Web UI is at ${server.uiAddress}`);
    printLines(server.address);
    return EXIT.ok;
  }
  const stopped = await stopRecordedServer(home).catch((err: unknown) => {
    throw unavailableError(`cannot stop the local Temporal dev server under ${home}`, err);
  });
  notice(stopped ? `stopped the local Temporal dev server at ${stopped.address} (pid ${stopped.pid}); its state stays in ${home}` : `no local Temporal dev server is running under ${home}`);
  return EXIT.ok;
}

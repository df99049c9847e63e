// `meridian server [--port N]`: a worker plus the HTTP API, on the configured Temporal cluster or on the local
// dev server kept under MERIDIAN_HOME; runs until SIGINT or SIGTERM. Needs MERIDIAN_API_TOKEN.
// `meridian server address|stop` are about that local dev server alone (commands/embeddedServer.ts).

import { createApiApp } from '../../api/app.js';
import { loadConfig } from '../../config/load.js';
import { serveApi } from '../../api/serve.js';
import { configuredAuthority } from '../../worker/authority.js';
import { describeWorkerConfig, loadWorkerConfig } from '../../worker/workerConfig.js';
import { expectPositionals, integerValue, parseCommand, passwordFromFile } from '../args.js';
import { EXIT, ExitCode, unavailableError, usageError } from '../exitCodes.js';
import { notice } from '../output.js';
import { connectTemporal, describeTarget, withRuntime, startEmbeddedServer, temporalSettings } from '../temporal.js';

const DEFAULT_PORT = 8080;

export async function run(args: string[]): Promise<ExitCode> {
  const [action, ...rest] = args;
  if (action === 'address' || action === 'stop') return (await import('./embeddedServer.js')).run(action, rest);
  const { values, positionals, from } = parseCommand('server', args);
  expectPositionals('server', positionals, [], 0);
  const token = process.env.MERIDIAN_API_TOKEN;
  if (!token) throw usageError('MERIDIAN_API_TOKEN is not set: the HTTP API does not run without a bearer token');
  const port = integerValue(from('port'), values.port, 0, 65535) ?? DEFAULT_PORT;
  const settings = temporalSettings();
  const workerConfig = loadWorkerConfig();
  const authority = configuredAuthority(workerConfig, { passphrase: passwordFromFile(values['password-file']) });

  const embedded = settings.cluster ? undefined : await startEmbeddedServer(settings.home);
  const target = settings.cluster ?? { address: embedded!.address };
  return withRuntime('service', async () => {
    const temporal = await connectTemporal(target, settings.namespace);
    try {
      const api = await serveApi(createApiApp({ client: temporal.client, authority, token, taskQueue: settings.taskQueue, replication: loadConfig()?.config }), port).catch((err: unknown) => {
        throw unavailableError(`cannot serve the HTTP API on 127.0.0.1:${port}`, err);
      });
      try {
        const worker = await temporal.createWorker(settings.taskQueue, authority, workerConfig);
        const ui = embedded?.uiAddress ? `, Temporal Web UI on ${embedded.uiAddress}` : '';
        notice(`HTTP API on http://127.0.0.1:${api.port}${ui}`);
        notice(`worker ${describeWorkerConfig(workerConfig)}`);
        notice(`worker on task queue "${settings.taskQueue}" of Temporal at ${describeTarget(target)} (namespace ${settings.namespace}); stop with Ctrl-C`);
        await worker.run();
        notice('server stopped');
      } finally {
        await api.close();
      }
    } finally {
      await temporal.close();
    }
    return EXIT.ok;
  });
}

// `meridian server [--port N]`: a worker plus the HTTP API, on the configured Temporal cluster or on the local
// dev server kept under MERIDIAN_HOME; runs until SIGINT or SIGTERM. Needs MERIDIAN_API_TOKEN or
// named tokens in meridian.yaml (api.tokens). It listens on api.bind (default 127.0.0.1:8080; --port
// overrides the port) and serves GET /metrics there or on metrics.bind (metrics/serverMetrics.ts);
// metrics.temporalBind turns on the Temporal SDK's own metrics.
// `meridian server address|stop` are about that local dev server alone (commands/embeddedServer.ts).

import { createApiApp } from '../../api/app.js';
import { loadConfig } from '../../config/load.js';
import { parseBind, serveApi } from '../../api/serve.js';
import { readApiTokens } from '../../api/tokens.js';
import { metricsListener, metricsToken, startServerMetrics } from '../../metrics/serverMetrics.js';
import { configuredAuthority } from '../../worker/authority.js';
import { describeWorkerConfig, loadWorkerConfig } from '../../worker/workerConfig.js';
import { expectPositionals, integerValue, parseCommand, passwordFromFile } from '../args.js';
import { EXIT, ExitCode, unavailableError, usageError } from '../exitCodes.js';
import { notice } from '../output.js';
import { connectTemporal, withRuntime, startEmbeddedServer } from '../temporal.js';
import { describeTarget, temporalSettings } from '../temporalSettings.js';

const DEFAULT_PORT = 8080;

export async function run(args: string[]): Promise<ExitCode> {
  const [action, ...rest] = args;
  if (action === 'address' || action === 'stop') return (await import('./embeddedServer.js')).run(action, rest);
  const { values, positionals, from } = parseCommand('server', args);
  expectPositionals('server', positionals, [], 0);
  const token = process.env.MERIDIAN_API_TOKEN ?? '';
  const config = loadConfig()?.config;
  const tokens = readApiTokens(config?.api, token);
  if (!token && Object.keys(tokens).length === 0) throw usageError('MERIDIAN_API_TOKEN is not set and meridian.yaml names no api.tokens: the HTTP API does not run without a bearer token');
  const scrapeToken = metricsToken(config?.metrics);
  const bind = config?.api?.bind !== undefined ? parseBind(config.api.bind) : { host: '127.0.0.1', port: DEFAULT_PORT };
  const port = integerValue(from('port'), values.port, 0, 65535) ?? bind.port;
  const settings = temporalSettings();
  const workerConfig = loadWorkerConfig();
  const authority = configuredAuthority(workerConfig, { passphrase: passwordFromFile(values['password-file']) });

  const embedded = settings.cluster ? undefined : await startEmbeddedServer(settings.home);
  const target = settings.cluster ?? { address: embedded!.address };
  return withRuntime('service', async () => {
    const temporal = await connectTemporal(target, settings.namespace);
    try {
      const metrics = await startServerMetrics(temporal.client, config, scrapeToken).catch((err: unknown) => {
        throw unavailableError(`cannot serve /metrics on ${metricsListener(config?.metrics)}`, err);
      });
      const api = await serveApi(createApiApp({ client: temporal.client, authority, token, tokens, taskQueue: settings.taskQueue, replication: config, config, ...(metrics.onApi ? { metrics: metrics.onApi } : {}) }), port, bind.host).catch(async (err: unknown) => {
        await metrics.close();
        throw unavailableError(`cannot serve the HTTP API on ${bind.host}:${port}`, err);
      });
      try {
        const worker = await temporal.createWorker(settings.taskQueue, authority, workerConfig);
        const ui = embedded?.uiAddress ? `, Temporal Web UI on ${embedded.uiAddress}` : '';
        notice(`HTTP API on http://${bind.host}:${api.port}, web dashboard on http://${bind.host}:${api.port}/${ui}`);
        notice(`metrics on http://${metrics.own ? `${metrics.own.host}:${metrics.own.port}` : `${bind.host}:${api.port}`}/metrics${config?.metrics?.temporalBind ? `, Temporal SDK metrics on http://${config.metrics.temporalBind}/metrics` : ''}`);
        notice(`worker ${describeWorkerConfig(workerConfig)}`);
        notice(`worker on task queue "${settings.taskQueue}" of Temporal at ${describeTarget(target)} (namespace ${settings.namespace}); stop with Ctrl-C`);
        await worker.run();
        notice('server stopped');
      } finally {
        await api.close();
        await metrics.close();
      }
    } finally {
      await temporal.close();
    }
    return EXIT.ok;
  }, config?.metrics?.temporalBind);
}

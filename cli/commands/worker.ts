// `meridian worker`: a Meridian worker for the configured Temporal cluster (TEMPORAL_ADDRESS or a
// temporal.toml profile, with its TLS and API key), running until SIGINT or SIGTERM (then it
// finishes its tasks and stops). It serves only the repositories and roots of its own
// configuration (worker/workerConfig.ts: meridian.yaml, repositories.json, the roots); passphrases
// come from --password-file, meridian.yaml, $MERIDIAN_HOME/repositories.json or MERIDIAN_PASSWORD(_FILE).
// With meridian.yaml's metrics.bind it serves its own counters at /metrics (metrics/serverMetrics.ts),
// with metrics.temporalBind the Temporal SDK's metrics.

import { loadConfig } from '../../config/load.js';
import { metricsListener, metricsToken, startWorkerMetrics } from '../../metrics/serverMetrics.js';
import { configuredAuthority } from '../../worker/authority.js';
import { describeWorkerConfig, loadWorkerConfig } from '../../worker/workerConfig.js';
import { expectPositionals, parseCommand, passwordFromFile } from '../args.js';
import { EXIT, ExitCode, unavailableError, usageError } from '../exitCodes.js';
import { notice } from '../output.js';
import { connectTemporal, withRuntime } from '../temporal.js';
import { describeTarget, temporalSettings } from '../temporalSettings.js';

export async function run(args: string[]): Promise<ExitCode> {
  const { values, positionals } = parseCommand('worker', args);
  expectPositionals('worker', positionals, [], 0);
  const settings = temporalSettings();
  const { cluster } = settings;
  if (!cluster) throw usageError('TEMPORAL_ADDRESS is not set (nor a temporal.toml profile address): `meridian worker` serves an existing Temporal server (`meridian server` runs a local one)');
  const workerConfig = loadWorkerConfig();
  const authority = configuredAuthority(workerConfig, { passphrase: passwordFromFile(values['password-file']) });
  const metricsSettings = loadConfig()?.config.metrics;
  const scrapeToken = metricsToken(metricsSettings);
  return withRuntime('service', async () => {
    const temporal = await connectTemporal(cluster, settings.namespace);
    try {
      const metrics = await startWorkerMetrics(metricsSettings, scrapeToken).catch((err: unknown) => {
        throw unavailableError(`cannot serve /metrics on ${metricsListener(metricsSettings)}`, err);
      });
      try {
        const worker = await temporal.createWorker(settings.taskQueue, authority, workerConfig);
        notice(`worker ${describeWorkerConfig(workerConfig)}`);
        if (metrics.own) notice(`metrics on http://${metrics.own.host}:${metrics.own.port}/metrics`);
        notice(`worker ready on task queue "${settings.taskQueue}" of ${describeTarget(cluster)} (namespace ${settings.namespace}); stop it with Ctrl-C`);
        await worker.run();
        notice('worker stopped');
      } finally {
        await metrics.close();
      }
    } finally {
      await temporal.close();
    }
    return EXIT.ok;
  }, metricsSettings?.temporalBind);
}

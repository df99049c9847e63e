// The Temporal connection settings of the CLI and its workers, read the way the `temporal` CLI
// reads them (TEMPORAL_* variables and temporal.toml profiles, through @temporalio/envconfig), with
// the `temporal` section of meridian.yaml standing in for unset variables. Loads no Temporal client.

import type { Metadata, TLSConfig } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { loadConfig } from '../config/load.js';
import { meridianHome } from '../worker/workerConfig.js';
import { DEFAULT_TASK_QUEUE } from '../workflows/taskQueue.js';
import { usageError } from './exitCodes.js';

/** How to reach a Temporal frontend: what both the client and the workers' native connection take. */
export interface TemporalTarget {
  /** host:port */
  address: string;
  /** true: TLS with the system's roots; an object: a CA, a server name, a client certificate. */
  tls?: TLSConfig | boolean;
  /** Sent as `authorization: Bearer …` on every call (and implies TLS). */
  apiKey?: string;
  /** Extra gRPC headers (TEMPORAL_GRPC_META_*, a profile's grpc_meta). */
  metadata?: Metadata;
}

export interface TemporalSettings {
  /** The configured cluster; undefined (no address configured) selects the embedded dev server. */
  cluster?: TemporalTarget;
  namespace: string;
  taskQueue: string;
  home: string;
}

/**
 * Reads the connection settings the way the `temporal` CLI does: the profile TEMPORAL_PROFILE
 * names (else "default") of the temporal.toml at TEMPORAL_CONFIG_FILE (else the user's config
 * folder), overridden by TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*
 * and TEMPORAL_GRPC_META_*. An empty variable counts as unset. The `temporal` section of
 * meridian.yaml (address, namespace, taskQueue) stands in for TEMPORAL_ADDRESS,
 * TEMPORAL_NAMESPACE and MERIDIAN_TASK_QUEUE when they are unset.
 */
export function temporalSettings(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  const fromFile = loadConfig(undefined, env)?.config.temporal ?? {};
  const fileVariables = Object.entries({ TEMPORAL_ADDRESS: fromFile.address, TEMPORAL_NAMESPACE: fromFile.namespace }).filter((entry): entry is [string, string] => !!entry[1]);
  const setVariables = { ...Object.fromEntries(fileVariables), ...Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => !!entry[1])) };
  let config: ReturnType<typeof loadClientConnectConfig>;
  try {
    config = loadClientConnectConfig({ overrideEnvVars: setVariables });
  } catch (err) {
    const file = setVariables.TEMPORAL_CONFIG_FILE ? ` (${setVariables.TEMPORAL_CONFIG_FILE})` : '';
    throw usageError(`cannot read the Temporal connection settings${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const { address, tls, apiKey, metadata } = config.connectionOptions;
  const secured = (tls !== undefined && tls !== false) || apiKey !== undefined;
  if (!address && secured) {
    throw usageError('TLS or an API key is configured for Temporal but no address: set TEMPORAL_ADDRESS (or the address of the temporal.toml profile); the embedded dev server takes neither');
  }
  return {
    cluster: address ? { address, tls: tls ?? undefined, apiKey: typeof apiKey === 'string' ? apiKey : undefined, metadata } : undefined,
    namespace: config.namespace || 'default',
    taskQueue: env.MERIDIAN_TASK_QUEUE || fromFile.taskQueue || DEFAULT_TASK_QUEUE,
    home: meridianHome(env),
  };
}

/** `host:port`, and how the connection is secured (never the secrets themselves). */
export function describeTarget(target: TemporalTarget): string {
  // An API key implies TLS unless TLS is explicitly off (TEMPORAL_TLS=false, a profile's tls.disabled).
  const tls = target.tls === undefined ? target.apiKey !== undefined : target.tls !== false && target.tls !== null;
  const clientCertificate = typeof target.tls === 'object' && target.tls?.clientCertPair !== undefined;
  const how = [tls ? (clientCertificate ? 'mTLS' : 'TLS') : undefined, target.apiKey !== undefined ? 'API key' : undefined].filter(Boolean);
  return how.length > 0 ? `${target.address} (${how.join(', ')})` : target.address;
}

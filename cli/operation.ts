// Runs one operation (backup, restore, verify, forget, prune…) and waits for its result, by one of
// three ways, each loaded only when taken: through a Meridian HTTP API server when MERIDIAN_API_URL
// is set and the API offers the operation (cli/apiOperation.ts: no Temporal SDK in this process);
// on a configured Temporal cluster, by the CLI's own gRPC calls (cli/grpcOperation.ts: no SDK
// either); else on the embedded dev server with a worker in this process (cli/temporalOperation.ts).

import type { Operation, OperationInput, OperationOutput } from '../workflows/catalog.js';
import { apiTarget } from './apiClient.js';
import { OPERATION_ROUTES } from '../workflows/operationRoutes.js';

export interface OperationOptions {
  /** The passphrase this process holds for the repository (used by the embedded worker only). */
  passphrase: string | undefined;
}

export interface OperationRun<O extends Operation> {
  workflowId: string;
  result: OperationOutput<O>;
}

export async function runOperation<O extends Operation>(operation: O, input: OperationInput<O>, options: OperationOptions): Promise<OperationRun<O>> {
  const api = apiTarget();
  const route = (OPERATION_ROUTES as Partial<Record<Operation, { path: string }>>)[operation];
  if (api && route) return (await import('./apiOperation.js')).runOverApi(api, route.path, operation, input);
  const settings = (await import('./temporalSettings.js')).temporalSettings();
  if (settings.cluster) return (await import('./grpcOperation.js')).runOverGrpc({ ...settings, cluster: settings.cluster }, operation, input);
  return (await import('./temporalOperation.js')).runOverEmbeddedServer(settings, operation, input, options);
}

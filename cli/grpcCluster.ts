// A configured Temporal cluster reached with the CLI's own gRPC calls (cli/wire/): one channel per
// command, closed after it, and a call that never reached Temporal (or that Temporal refused to
// let through) worded as "cannot reach Temporal at …" (exit 4), TLS failures in words.

import os from 'node:os';
import { unavailableError } from './exitCodes.js';
import { describeTarget, type TemporalTarget } from './temporalSettings.js';
import { tlsFailure } from './tlsProbe.js';
import { GrpcChannel } from './wire/grpc.js';
import { GRPC_STATUS, GrpcError, GrpcUnreachable } from './wire/grpcError.js';

/** Who calls, as Temporal records it (the SDK's default identity). */
export const callerIdentity = () => `${process.pid}@${os.hostname()}`;

export async function withGrpcChannel<T>(cluster: TemporalTarget, body: (channel: GrpcChannel) => Promise<T>): Promise<T> {
  const channel = new GrpcChannel(cluster);
  try {
    return await body(channel);
  } catch (err) {
    throw await unreachable(err, cluster);
  } finally {
    channel.close();
  }
}

async function unreachable(err: unknown, cluster: TemporalTarget): Promise<unknown> {
  const refused = err instanceof GrpcError && (err.code === GRPC_STATUS.UNAVAILABLE || err.code === GRPC_STATUS.UNAUTHENTICATED || err.code === GRPC_STATUS.PERMISSION_DENIED);
  if (!(err instanceof GrpcUnreachable) && !refused) return err;
  const cause = (err instanceof GrpcUnreachable && cluster.tls && (await tlsFailure(cluster.address, cluster.tls))) || err;
  return unavailableError(`cannot reach Temporal at ${describeTarget(cluster)}`, cause);
}

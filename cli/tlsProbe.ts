// Why a TLS connection to Temporal failed, in words. The SDK's client only says "Failed to connect
// before the deadline" when the server's certificate does not verify or the server demands a
// client certificate (mTLS); one plain TLS handshake with the same settings names the cause. The
// same settings as Node's TLS options serve the CLI's own gRPC calls (cli/wire/grpc.ts).

import net from 'node:net';
import tls from 'node:tls';
import type { TLSConfig } from '@temporalio/client';

/** How long the probe waits for the handshake and the server's first bytes (or its refusal). */
const PROBE_TIMEOUT_MS = 5_000;
/** The HTTP/2 connection preface: a gRPC server answers it with its SETTINGS, after the handshake. */
const HTTP2_PREFACE = Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]);

/**
 * Makes a TLS handshake with `address` as the client would and resolves with its failure
 * ("TLS handshake failed: …"), or undefined when TLS is not the problem (the handshake and the
 * server's first answer succeed, nothing listens, or nothing answers in time).
 */
export async function tlsFailure(address: string, config: TLSConfig | true): Promise<Error | undefined> {
  const at = address.lastIndexOf(':');
  const socket = tls.connect({ ...tlsConnectOptions(address, config === true ? {} : config), port: Number(address.slice(at + 1)), ALPNProtocols: ['h2'] });
  // Under TLS 1.3 a server refuses the client's certificate after the handshake: wait for its first bytes.
  socket.once('secureConnect', () => socket.write(HTTP2_PREFACE));
  let connected = false;
  socket.once('connect', () => (connected = true));
  try {
    return await new Promise<Error | undefined>((resolve) => {
      setTimeout(() => resolve(undefined), PROBE_TIMEOUT_MS).unref();
      socket.once('data', () => resolve(undefined));
      socket.once('error', (err: NodeJS.ErrnoException) => resolve(connected ? new Error(`TLS handshake failed: ${tlsReason(err)}`) : undefined));
    });
  } finally {
    socket.destroy();
  }
}

/** Node's TLS options for `address` (host:port) from the SDK's TLS settings: the CA, the server name, a client certificate. */
export function tlsConnectOptions(address: string, options: TLSConfig): tls.ConnectionOptions {
  const host = address.slice(0, address.lastIndexOf(':'));
  return {
    host,
    servername: options.serverNameOverride ?? (net.isIP(host) ? undefined : host),
    ca: pem(options.serverRootCACertificate),
    cert: pem(options.clientCertPair?.crt),
    key: pem(options.clientCertPair?.key),
  };
}

const pem = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes) : undefined);

/** OpenSSL's reason ("tlsv13 alert certificate required") rather than its whole error string. */
function tlsReason(err: NodeJS.ErrnoException): string {
  const reason = /SSL routines:[^:]*:([^:]+)/.exec(err.message)?.[1] ?? err.message;
  return err.code && !reason.includes(err.code) ? `${reason} (${err.code})` : reason;
}

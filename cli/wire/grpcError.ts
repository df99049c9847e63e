// A call that a gRPC server answered with a status other than OK: the code and the server's
// message, worded as grpc-js words them ("16 UNAUTHENTICATED: …") so errors read the same
// whichever client met them.

export const GRPC_STATUS = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

const NAMES = Object.fromEntries(Object.entries(GRPC_STATUS).map(([name, code]) => [code, name]));

export class GrpcError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
  ) {
    super(`${code} ${NAMES[code] ?? 'UNKNOWN'}: ${details}`);
    this.name = 'GrpcError';
  }
}

/** A call that never got a gRPC status: nothing listens, TLS refused, the connection dropped. */
export class GrpcUnreachable extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'GrpcUnreachable';
  }
}

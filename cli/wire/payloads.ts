// Payloads and failures as Temporal's protos carry them (temporal/api/common/v1 and failure/v1
// message.proto), for the CLI's own calls: JSON values written as the SDK's default converter
// writes them ("json/plain"), read back, and a Failure's type and message.

import { ProtoMessage, ProtoWriter } from './protobuf.js';

/** A Failure's own ApplicationFailureInfo type, if any, and its message. */
export function failureOf(failure: ProtoMessage | undefined, fallback: string): { type?: string; message: string } {
  const type = failure?.message(5)?.string(1);
  return { ...(type ? { type } : {}), message: failure?.string(1) || fallback };
}

/** The innermost cause of a Failure: its ApplicationFailureInfo type, if any, and its message. */
export function innermostFailure(failure: ProtoMessage | undefined): { type?: string; message: string } {
  let innermost = failure;
  for (let cause = failure?.message(4); cause; cause = cause.message(4)) innermost = cause;
  return failureOf(innermost, 'the workflow failed');
}

const JSON_PLAIN = Buffer.from('json/plain');

/** A Payloads message of JSON values. */
export function payloads(values: unknown[]): ProtoWriter {
  const message = new ProtoWriter();
  for (const value of values) message.message(1, jsonPayload(value));
  return message;
}

export function jsonPayload(value: unknown, metadata: Record<string, string> = {}): ProtoWriter {
  const payload = new ProtoWriter();
  for (const [key, text] of Object.entries({ encoding: 'json/plain', ...metadata })) {
    payload.message(1, new ProtoWriter().string(1, key).bytes(2, Buffer.from(text)));
  }
  return payload.bytes(2, Buffer.from(JSON.stringify(value)));
}

/** The value of a payload the default converter wrote: JSON, or binary/null for undefined. */
export function payloadValue(payload: ProtoMessage | undefined): unknown {
  if (payload === undefined) return undefined;
  const encoding = payload.messages(1).find((entry) => entry.string(1) === 'encoding')?.bytes(2);
  if (encoding?.equals(JSON_PLAIN)) return JSON.parse(payload.string(2)) as unknown;
  if (encoding?.toString() === 'binary/null') return undefined;
  throw new Error(`the workflow's result is a payload of encoding "${encoding?.toString() ?? 'none'}", not JSON`);
}

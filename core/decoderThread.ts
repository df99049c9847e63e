// The body of a decoder thread: receives a span of a pack with the blobs in it, opens,
// decompresses and checks each, and hands the plain bytes back without copying.

import { parentPort, workerData } from 'node:worker_threads';
import { decodeBlob } from './blobCodec.js';
import { DecodeReply, DecodeRequest, DecoderThreadData } from './decoderProtocol.js';
import { RepositoryError } from './errors.js';

const { keys } = workerData as DecoderThreadData;
const port = parentPort!;

port.on('message', (request: DecodeRequest) => {
  const span = new Uint8Array(request.span);
  try {
    const plains = request.blobs.map((b) => {
      const plain = decodeBlob(keys, b, span.subarray(b.spanOffset, b.spanOffset + b.length));
      return plain.byteOffset === 0 && plain.byteLength === plain.buffer.byteLength ? plain : Uint8Array.from(plain);
    });
    const reply: DecodeReply = { job: request.job, plains };
    port.postMessage(reply, plains.map((p) => p.buffer as ArrayBuffer));
  } catch (err) {
    const code = err instanceof RepositoryError ? err.code : undefined;
    const reply: DecodeReply = { job: request.job, error: { code, message: err instanceof Error ? err.message : String(err) } };
    port.postMessage(reply);
  }
});

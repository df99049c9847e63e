// The body of an encoder thread: receives batches of file paths, streams back each new blob
// (transferring its bytes, no copy) and then each file's chunk list. A shared credit counter
// keeps at most CREDIT_LIMIT bytes in flight towards the main thread (backpressure).

import { parentPort, workerData } from 'node:worker_threads';
import { EncodedBlob } from './blobCodec.js';
import { FileEncoder } from './fileEncoder.js';
import { CREDIT_LIMIT, EncoderThreadData, ThreadReply, ThreadRequest } from './encoderProtocol.js';

const data = workerData as EncoderThreadData;
const encoder = new FileEncoder(data.settings, data.chunker, new Set(data.known));
const credit = new Int32Array(data.credit);
const port = parentPort!;

function send(blob: EncodedBlob): void {
  for (;;) {
    const inFlight = Atomics.load(credit, 0);
    if (inFlight < CREDIT_LIMIT) break;
    Atomics.wait(credit, 0, inFlight, 1000);
  }
  Atomics.add(credit, 0, blob.bytes.length);
  const bytes = blob.bytes.byteOffset === 0 && blob.bytes.byteLength === blob.bytes.buffer.byteLength ? blob.bytes : Uint8Array.from(blob.bytes);
  const reply: ThreadReply = { kind: 'blob', blob: { ...blob, bytes } };
  port.postMessage(reply, [bytes.buffer as ArrayBuffer]);
}

port.on('message', (request: ThreadRequest) => {
  for (let i = 0; i < request.paths.length; i++) {
    const run = encoder.encode(request.paths[i]!);
    let step = run.next();
    while (!step.done) {
      send(step.value);
      step = run.next();
    }
    const reply: ThreadReply = { kind: 'file', batch: request.batch, index: i, file: step.value };
    port.postMessage(reply);
  }
  const done: ThreadReply = { kind: 'done', batch: request.batch };
  port.postMessage(done);
});

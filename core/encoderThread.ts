// The body of an encoder thread: receives batches of file paths, streams back new blobs in
// groups (transferring their bytes, no copy) and finally the batch's chunk lists. A shared
// credit counter keeps at most CREDIT_LIMIT bytes in flight towards the main thread.

import { parentPort, workerData } from 'node:worker_threads';
import { EncodedBlob } from './blobCodec.js';
import { CREDIT_LIMIT, EncoderThreadData, GROUP_BLOBS, GROUP_BYTES, ThreadReply, ThreadRequest } from './encoderProtocol.js';
import { EncodedFile, FileEncoder } from './fileEncoder.js';

const data = workerData as EncoderThreadData;
const encoder = new FileEncoder(data.settings, data.chunker, new Set(data.known));
const credit = new Int32Array(data.credit);
const port = parentPort!;
let group: EncodedBlob[] = [];
let groupBytes = 0;

function flush(): void {
  if (group.length === 0) return;
  const reply: ThreadReply = { kind: 'blobs', blobs: group };
  port.postMessage(
    reply,
    group.map((b) => b.bytes.buffer as ArrayBuffer),
  );
  group = [];
  groupBytes = 0;
}

function send(blob: EncodedBlob): void {
  for (;;) {
    const inFlight = Atomics.load(credit, 0);
    if (inFlight < CREDIT_LIMIT) break;
    flush(); // what is held back here counts against the credit: hand it over before waiting
    Atomics.wait(credit, 0, inFlight, 1000);
  }
  Atomics.add(credit, 0, blob.bytes.length);
  const owned = blob.bytes.byteOffset === 0 && blob.bytes.byteLength === blob.bytes.buffer.byteLength;
  group.push(owned ? blob : { ...blob, bytes: Uint8Array.from(blob.bytes) });
  groupBytes += blob.bytes.length;
  if (group.length >= GROUP_BLOBS || groupBytes >= GROUP_BYTES) flush();
}

port.on('message', (request: ThreadRequest) => {
  const files: EncodedFile[] = [];
  for (const path of request.paths) {
    const run = encoder.encode(path);
    let step = run.next();
    while (!step.done) {
      send(step.value);
      step = run.next();
    }
    files.push(step.value);
  }
  flush();
  const done: ThreadReply = { kind: 'done', batch: request.batch, files };
  port.postMessage(done);
});

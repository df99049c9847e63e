// The body of an encoder thread: a session message sets up the backup's encoder, then batches
// of file paths follow; each new blob goes straight into the thread's ring of shared memory
// (waiting while the ring is full), its place is sent in a group, and finally each batch's
// chunk lists. An idle message ends the session.

import { parentPort, workerData } from 'node:worker_threads';
import { EncoderThreadData, GROUP_BLOBS, GROUP_BYTES, READ_REPORT_BYTES, RingBlob, ThreadReply, ThreadRequest } from './encoderProtocol.js';
import { EncodedFile, FileEncoder, readBufferSize } from './fileEncoder.js';
import { receivedPath } from './fileNames.js';
import { KnownBlobs } from './knownBlobs.js';
import { placeInRing } from './ringPlace.js';

const data = workerData as EncoderThreadData;
const ring = new Uint8Array(data.ring);
const used = new Int32Array(data.used);
const port = parentPort!;
let writeAt = 0;
/** The charge of the latest reservation: that of the blob the encoder has just written there. */
let lastCharge = 0;
let group: RingBlob[] = [];
let groupBytes = 0;
/** Bytes read in the running batch and not yet reported. */
let unreportedRead = 0;

function countRead(bytes: number): void {
  unreportedRead += bytes;
  if (unreportedRead < READ_REPORT_BYTES) return;
  const reply: ThreadReply = { kind: 'read', bytes: unreportedRead };
  port.postMessage(reply);
  unreportedRead = 0;
}

/**
 * Hands out the next `length` ring bytes, waiting while the main thread has not packed enough of
 * it. An empty ring starts again at its first byte: a blob as large as the ring fits there (after
 * the last blob it may not, with its skipped tail charged too), and small blobs keep to the pages
 * already touched while the main thread keeps up.
 */
function reserve(length: number): Uint8Array {
  let place;
  for (;;) {
    const inUse = Atomics.load(used, 0);
    place = placeInRing(ring.length, inUse === 0 ? 0 : writeAt, length);
    if (inUse + place.charge <= ring.length) break;
    flush(); // what is held back here is still in the ring: hand it over before waiting
    Atomics.wait(used, 0, inUse, 1000);
  }
  const { offset, charge } = place;
  Atomics.add(used, 0, charge);
  writeAt = offset + length;
  lastCharge = charge;
  return ring.subarray(offset, offset + length);
}

let encoder: FileEncoder | undefined;
let known: KnownBlobs | undefined;
/** Kept from session to session, like the ring: a thread's memory does not grow with each backup. */
let readBuffer: Buffer | undefined;

function flush(): void {
  if (group.length === 0) return;
  const reply: ThreadReply = { kind: 'blobs', blobs: group };
  port.postMessage(reply);
  group = [];
  groupBytes = 0;
}

port.on('message', (request: ThreadRequest) => {
  if (request.kind === 'idle') {
    // The views of the index's ids pin its shared memory (~40 bytes a blob) until this thread's
    // heap is collected, and an idle thread allocates nothing that would collect it: without a
    // collection here, the next backup would load its index while the last one's is still held.
    // `gc` exists when the process runs with --expose-gc (the `meridian` executable does).
    encoder = undefined;
    known = undefined;
    globalThis.gc?.();
    return;
  }
  if (request.kind === 'session') {
    const size = readBufferSize(request.chunker);
    if (readBuffer?.length !== size) readBuffer = Buffer.allocUnsafe(size);
    known = new KnownBlobs();
    encoder = new FileEncoder(request.settings, request.chunker, known, reserve, readBuffer, countRead);
    writeAt = 0;
    return;
  }
  known!.renew(request.known);
  const files: EncodedFile[] = [];
  for (const path of request.paths) {
    const run = encoder!.encode(receivedPath(path));
    let step = run.next();
    while (!step.done) {
      const { id, type, codec, rawLength, bytes } = step.value;
      group.push({ id, type, codec, rawLength, offset: bytes.byteOffset, length: bytes.length, charge: lastCharge });
      groupBytes += bytes.length;
      if (group.length >= GROUP_BLOBS || groupBytes >= GROUP_BYTES) flush();
      step = run.next();
    }
    files.push(step.value);
  }
  flush();
  unreportedRead = 0; // the batch's files carry their totals
  const done: ThreadReply = { kind: 'done', batch: request.batch, files };
  port.postMessage(done);
});

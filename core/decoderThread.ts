// The body of a decoder thread: receives a span of a pack with the blobs in it and where each
// goes, opens, decompresses and checks each blob and writes it into its files, then hands the
// span back.

import { parentPort, workerData } from 'node:worker_threads';
import { DecodeReply, DecodeRequest, DecoderThreadData, writeSpan } from './decoderProtocol.js';
import { RepositoryError } from './errors.js';

const { keys } = workerData as DecoderThreadData;
const port = parentPort!;

port.on('message', (request: DecodeRequest) => {
  let reply: DecodeReply;
  try {
    writeSpan(keys, new Uint8Array(request.span), request);
    reply = { job: request.job, span: request.span };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof RepositoryError) reply = { job: request.job, span: request.span, error: { code: err.code, message } };
    else {
      const { code, syscall, path } = err as NodeJS.ErrnoException;
      reply = { job: request.job, span: request.span, error: { errno: { code, syscall, path }, message } };
    }
  }
  port.postMessage(reply, [request.span]);
});

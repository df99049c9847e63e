// The wal-daemon's wire format, shared by the daemon and its tiny client (node: modules only):
// each message is one JSON header line, then `size` raw bytes when the header has a size.

import os from 'node:os';
import path from 'node:path';
import type { Socket } from 'node:net';

export interface WalMessage {
  header: Record<string, unknown>;
  bytes?: Buffer;
}

/** Where `pg wal-daemon` listens when neither --socket nor MERIDIAN_WAL_SOCKET says. */
export function defaultWalSocket(): string {
  return path.join(os.tmpdir(), `meridian-wal-${process.getuid?.() ?? 0}.sock`);
}

const MAX_HEADER = 4096;
const MAX_BYTES = 1024 * 1024 * 1024; // PostgreSQL's largest wal_segment_size

export function sendMessage(socket: Socket, header: Record<string, unknown>, bytes?: Uint8Array): void {
  const line = JSON.stringify(bytes ? { ...header, size: bytes.length } : header);
  socket.write(`${line}\n`);
  if (bytes) socket.write(bytes);
}

/** Calls `onMessage` for each whole message on `socket`, in order; a malformed stream destroys it. */
export function readMessages(socket: Socket, onMessage: (message: WalMessage) => void): void {
  let buffered: Buffer = Buffer.alloc(0);
  let header: Record<string, unknown> | undefined;
  // Chunks of a body still short of its size wait here, joined once (not at every chunk: 16 MiB in 64 KiB chunks).
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  socket.on('data', (chunk: Buffer) => {
    pending.push(chunk);
    pendingBytes += chunk.length;
    const wanted = typeof header?.size === 'number' ? header.size : 0;
    if (header && buffered.length + pendingBytes < wanted) return;
    buffered = Buffer.concat([buffered, ...pending]);
    pending = [];
    pendingBytes = 0;
    try {
      for (;;) {
        if (!header) {
          const end = buffered.indexOf(10);
          if (end < 0) {
            if (buffered.length > MAX_HEADER) throw new Error('header line too long');
            return;
          }
          header = JSON.parse(buffered.subarray(0, end).toString('utf8')) as Record<string, unknown>;
          buffered = buffered.subarray(end + 1);
        }
        const size = header.size;
        if (size === undefined) {
          onMessage({ header });
        } else {
          if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0 || size > MAX_BYTES) throw new Error('bad size');
          if (buffered.length < size) return;
          onMessage({ header, bytes: Buffer.from(buffered.subarray(0, size)) });
          buffered = buffered.subarray(size);
        }
        header = undefined;
      }
    } catch (err) {
      socket.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

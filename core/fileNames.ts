// File names are bytes: a path stays a string while every name in it is valid UTF-8 (the common,
// fast case) and becomes a Buffer below the first name that is not. Tree nodes keep such names
// (and symlink targets) as base64 next to a printable form. Zod-free: encoder threads use it.

import { isUtf8 } from 'node:buffer';

/** A filesystem path: a string when it is valid UTF-8, else its bytes (Node's fs takes both). */
export type PathBytes = string | Buffer;

/** A path as a thread receives it (a buffer arrives as a plain Uint8Array), wrapped without copying. */
export function receivedPath(p: string | Uint8Array): PathBytes {
  return typeof p === 'string' ? p : Buffer.from(p.buffer, p.byteOffset, p.length);
}

/** The tree fields for a name (or symlink target) read from disk: the bytes in base64 only when they are not UTF-8. */
export function textAndRaw(bytes: Buffer): { text: string; raw?: string } {
  return isUtf8(bytes) ? { text: bytes.toString('utf8') } : { text: printable(bytes), raw: bytes.toString('base64') };
}

/** The bytes of a tree node's name or target, from its text or, when present, its base64 form. */
export function storedBytes(text: string, raw: string | undefined): PathBytes {
  return raw === undefined ? text : Buffer.from(raw, 'base64');
}

/** `dir/name`; a string when both are, else bytes in a buffer of their own (one that crosses to a thread alone). */
export function childPath(dir: PathBytes, name: PathBytes): PathBytes {
  if (typeof dir === 'string' && typeof name === 'string') return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
  const d = Buffer.from(dir);
  const n = Buffer.from(name);
  const slash = d[d.length - 1] === 0x2f ? 0 : 1;
  const out = Buffer.allocUnsafeSlow(d.length + slash + n.length);
  d.copy(out, 0);
  if (slash) out[d.length] = 0x2f;
  n.copy(out, d.length + slash);
  return out;
}

/**
 * A one-line, unambiguous form of a name or path for messages and display: valid UTF-8 as is,
 * backslash doubled, control characters and bytes that are not UTF-8 as \xNN.
 */
export function printable(p: PathBytes): string {
  const bytes = Buffer.from(p);
  let out = '';
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    const length = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 0;
    if (b === 0x5c) out += '\\\\';
    else if (length === 1 && b >= 0x20 && b !== 0x7f) out += String.fromCharCode(b);
    else if (length > 1 && isUtf8(bytes.subarray(i, i + length))) {
      out += bytes.toString('utf8', i, i + length);
      i += length;
      continue;
    } else out += `\\x${b.toString(16).padStart(2, '0')}`;
    i += 1;
  }
  return out;
}

/** `printable(p)`, shortened in the middle to at most `max` characters. */
export function printableBounded(p: PathBytes, max = 240): string {
  const text = printable(p);
  if (text.length <= max) return text;
  const head = Math.floor((max - 1) * 0.4);
  return `${text.slice(0, head)}…${text.slice(text.length - (max - 1 - head))}`;
}

/** The short reason of a filesystem error ("EACCES: permission denied"), without the path Node appends. */
export function errorReason(err: unknown): string {
  // Not `instanceof Error`: errors from another realm (a VM context, a test sandbox) are not.
  const { code, message = String(err) } = (typeof err === 'object' && err !== null ? err : {}) as NodeJS.ErrnoException;
  const reason = code && message.startsWith(`${code}:`) ? message.split(', ')[0]! : message;
  return reason.length > 60 ? `${reason.slice(0, 59)}…` : reason;
}

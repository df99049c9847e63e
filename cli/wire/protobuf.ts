// The protobuf wire format, as much of it as the CLI's few Temporal calls need (cli/wire/
// workflowService.ts): a writer of varints, strings, bytes and nested messages, and a reader that
// indexes a message's fields by number. No schema: the callers name the field numbers.

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

export class ProtoWriter {
  private readonly parts: Buffer[] = [];

  /** A varint field (an enum, a bool, a non-negative integer); 0 is the default and is left out. */
  uint(field: number, value: number | boolean): this {
    const n = Number(value);
    if (n === 0) return this;
    this.tag(field, WIRE_VARINT);
    this.varint(n);
    return this;
  }

  /** A string field; an empty or absent string is left out. */
  string(field: number, value: string | undefined): this {
    return value ? this.bytes(field, Buffer.from(value, 'utf8')) : this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_BYTES);
    this.varint(value.length);
    this.parts.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    return this;
  }

  /** A nested message, written even when empty (presence can matter). */
  message(field: number, value: ProtoWriter): this {
    return this.bytes(field, value.finish());
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  private varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`protobuf: ${value} is not a non-negative integer`);
    const bytes: number[] = [];
    let rest = value;
    while (rest >= 0x80) {
      bytes.push((rest % 0x80) | 0x80);
      rest = Math.floor(rest / 0x80);
    }
    bytes.push(rest);
    this.parts.push(Buffer.from(bytes));
  }
}

/** A decoded message: each field number's values in order (varints as numbers, the rest as bytes). */
export class ProtoMessage {
  private constructor(private readonly fields: Map<number, (number | Buffer)[]>) {}

  static decode(bytes: Buffer): ProtoMessage {
    const fields = new Map<number, (number | Buffer)[]>();
    let at = 0;
    const varint = (): number => {
      let value = 0;
      let scale = 1;
      for (;;) {
        if (at >= bytes.length) throw new Error('protobuf: truncated varint');
        const byte = bytes[at++]!;
        value += (byte & 0x7f) * scale;
        if (byte < 0x80) return value;
        scale *= 0x80;
      }
    };
    while (at < bytes.length) {
      const key = varint();
      const field = Math.floor(key / 8);
      const take = (length: number): Buffer => {
        if (at + length > bytes.length) throw new Error('protobuf: truncated field');
        return bytes.subarray(at, (at += length));
      };
      let value: number | Buffer;
      switch (key % 8) {
        case WIRE_VARINT:
          value = varint();
          break;
        case WIRE_BYTES:
          value = take(varint());
          break;
        case WIRE_FIXED64:
          value = take(8);
          break;
        case WIRE_FIXED32:
          value = take(4);
          break;
        default:
          throw new Error(`protobuf: unsupported wire type ${key % 8}`);
      }
      const values = fields.get(field);
      if (values) values.push(value);
      else fields.set(field, [value]);
    }
    return new ProtoMessage(fields);
  }

  /** The last value of a varint field (protobuf's rule for repeated scalars), 0 when absent. */
  uint(field: number): number {
    const value = this.fields.get(field)?.at(-1);
    return typeof value === 'number' ? value : 0;
  }

  string(field: number): string {
    return this.bytes(field)?.toString('utf8') ?? '';
  }

  bytes(field: number): Buffer | undefined {
    const value = this.fields.get(field)?.at(-1);
    return Buffer.isBuffer(value) ? value : undefined;
  }

  message(field: number): ProtoMessage | undefined {
    const bytes = this.bytes(field);
    return bytes && ProtoMessage.decode(bytes);
  }

  /** Every value of a repeated message field, in order. */
  messages(field: number): ProtoMessage[] {
    return (this.fields.get(field) ?? []).filter(Buffer.isBuffer).map((bytes) => ProtoMessage.decode(bytes));
  }
}

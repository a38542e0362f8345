/**
 * An encoded message to be sent to many connections. It is encoded once, straight
 * into a buffer that also has room for a WebSocket frame header in front, so that
 * the complete frame is one buffer, built once, written as is to every socket.
 */

/** Bytes of the longest header of an unmasked frame (RFC 6455 §5.2). */
const MAX_HEADER_BYTES = 10;

export class OutgoingFrame {
  /** The message's UTF-8 bytes. */
  readonly data: Buffer;
  /** The whole unmasked, final WebSocket text frame: header and `data`. */
  readonly wire: Buffer;

  constructor(text: string) {
    const len = Buffer.byteLength(text);
    const header = len < 126 ? 2 : len < 65536 ? 4 : 10;
    const buf = Buffer.allocUnsafe(MAX_HEADER_BYTES + len);
    const start = MAX_HEADER_BYTES - header;
    buf[start] = 0x81;
    if (header === 2) buf[start + 1] = len;
    else if (header === 4) {
      buf[start + 1] = 126;
      buf.writeUInt16BE(len, start + 2);
    } else {
      buf[start + 1] = 127;
      buf.writeBigUInt64BE(BigInt(len), start + 2);
    }
    buf.write(text, MAX_HEADER_BYTES);
    this.wire = buf.subarray(start);
    this.data = buf.subarray(MAX_HEADER_BYTES);
  }
}

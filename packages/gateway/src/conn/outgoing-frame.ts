/**
 * An encoded message to be sent to many connections: its UTF-8 bytes, plus a slot in
 * which a transport keeps its own wire form (a WebSocket frame with its header), so
 * that the frame is built once however many sockets it is written to.
 */
export class OutgoingFrame {
  /** The transport's encoding of `data`, built by the first transport that sends it. */
  wire: Buffer | undefined;

  constructor(readonly data: Buffer) {}
}

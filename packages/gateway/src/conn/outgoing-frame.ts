/**
 * An encoded message to be sent to many connections: its UTF-8 bytes, plus a slot in
 * which a transport keeps its own wire form (a WebSocket frame with its header), so
 * that the frame is built once however many sockets it is written to.
 */
export class OutgoingFrame {
  /** The transport's framing of `data` (a WebSocket frame header), built once. */
  wire: Buffer | undefined;

  constructor(readonly data: Buffer) {}
}

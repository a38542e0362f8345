/**
 * A Connection's transport over a `ws` WebSocket: text frames out, a bound on the
 * bytes queued for a client that does not read, and pausing reads for request
 * backpressure.
 *
 * The fan-out path: an OutgoingFrame is framed once (header + payload in one buffer,
 * kept in the frame) and that same buffer is written to every socket. Writes to one
 * socket within a tick are corked together into one system call.
 */
import type { Socket } from "node:net";
import type { WebSocket } from "ws";
import type { ConnectionTransport } from "../conn/connection.js";
import type { OutgoingFrame } from "../conn/outgoing-frame.js";
import { CLOSE_SLOW_CONSUMER, MAX_OUTGOING_BYTES, SLOW_CONSUMER_GRACE_MS } from "../constants.js";

const SEND_OPTIONS = { binary: false } as const;

/** An unmasked, final text frame (RFC 6455 §5.2) around `payload`. */
export function textFrame(payload: Buffer): Buffer {
  const len = payload.length;
  const headLen = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headLen + len);
  frame[0] = 0x81;
  if (len < 126) {
    frame[1] = len;
  } else if (len < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(len, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(len), 2);
  }
  payload.copy(frame, headLen);
  return frame;
}

export class WsTransport implements ConnectionTransport {
  private cutOff = false;
  private ws: WebSocket | undefined;
  private socket: Socket | undefined;
  private corked = false;

  constructor(
    private readonly onSlowConsumer: () => void,
    private readonly maxOutgoingBytes: number = MAX_OUTGOING_BYTES,
    /** With per-message compression, frames must go through ws to be compressed. */
    private readonly compression = false,
  ) {}

  /** Attaches the socket once the upgrade is done; nothing is sent before. */
  attach(ws: WebSocket): void {
    this.ws = ws;
    // ws keeps its net.Socket here; writing whole frames to it keeps ws's own
    // writes (pings, close) in order, as ws writes to it synchronously too.
    this.socket = (ws as unknown as { _socket?: Socket })._socket;
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.socket?.uncork();
  };

  send(frame: string | OutgoingFrame): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== 1 || this.cutOff) return;
    if (ws.bufferedAmount > this.maxOutgoingBytes) {
      // The close frame follows what is already queued; a client that never reads
      // again is dropped after a grace period. Nothing more is queued meanwhile.
      this.cutOff = true;
      this.onSlowConsumer();
      ws.close(CLOSE_SLOW_CONSUMER, "Slow consumer");
      setTimeout(() => ws.terminate(), SLOW_CONSUMER_GRACE_MS).unref();
      return;
    }
    const socket = this.socket;
    if (typeof frame === "string" || this.compression || !socket) {
      ws.send(typeof frame === "string" ? frame : frame.data, SEND_OPTIONS);
      return;
    }
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(this.uncork);
    }
    socket.write((frame.wire ??= textFrame(frame.data)));
  }

  pause(): void {
    this.ws?.pause();
  }

  resume(): void {
    this.ws?.resume();
  }
}

/**
 * A Connection's transport over a `ws` WebSocket: text frames out, a bound on the
 * bytes queued for a client that does not read, and pausing reads for request
 * backpressure.
 *
 * The fan-out path: an OutgoingFrame's header is built once (kept in the frame) and
 * the same header and payload buffers are written to every socket. Writes to one
 * socket within a tick are corked together into one system call.
 */
import type { Socket } from "node:net";
import type { WebSocket } from "ws";
import type { ConnectionTransport } from "../conn/connection.js";
import type { OutgoingFrame } from "../conn/outgoing-frame.js";
import { CLOSE_SLOW_CONSUMER, MAX_OUTGOING_BYTES, SLOW_CONSUMER_GRACE_MS } from "../constants.js";

const SEND_OPTIONS = { binary: false } as const;

/**
 * The header of an unmasked, final text frame (RFC 6455 §5.2) for a payload of
 * `len` bytes. The payload itself is written after it as is: never copied.
 */
export function textFrameHeader(len: number): Buffer {
  if (len < 126) return Buffer.from([0x81, len]);
  if (len < 65536) {
    const h = Buffer.allocUnsafe(4);
    h[0] = 0x81;
    h[1] = 126;
    h.writeUInt16BE(len, 2);
    return h;
  }
  const h = Buffer.allocUnsafe(10);
  h[0] = 0x81;
  h[1] = 127;
  h.writeBigUInt64BE(BigInt(len), 2);
  return h;
}

/** What every WsTransport of a server shares (one object, not one closure per connection). */
export interface WsTransportOptions {
  /** A client was cut off as too slow; `cid` is its connection's. */
  onSlowConsumer(cid: string): void;
  /** Bytes queued for one client before it is cut off (default MAX_OUTGOING_BYTES). */
  maxOutgoingBytes?: number;
  /** With per-message compression, frames must go through ws to be compressed. */
  compression?: boolean;
}

export class WsTransport implements ConnectionTransport {
  private cutOff = false;
  private ws: WebSocket | undefined;
  private socket: Socket | undefined;
  private corked = false;

  constructor(
    private readonly opts: WsTransportOptions,
    private readonly cid: string,
  ) {}

  private get maxOutgoingBytes(): number {
    return this.opts.maxOutgoingBytes ?? MAX_OUTGOING_BYTES;
  }

  private get compression(): boolean {
    return this.opts.compression ?? false;
  }

  private onSlowConsumer(): void {
    this.opts.onSlowConsumer(this.cid);
  }

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
    // Header and payload as two writes of shared buffers; the cork makes them one writev.
    socket.write((frame.wire ??= textFrameHeader(frame.data.length)));
    socket.write(frame.data);
  }

  pause(): void {
    this.ws?.pause();
  }

  resume(): void {
    this.ws?.resume();
  }
}

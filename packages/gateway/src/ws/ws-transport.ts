/**
 * A Connection's transport over a `ws` WebSocket: text frames out, a bound on the
 * bytes queued for a client that does not read, and pausing reads for request
 * backpressure.
 *
 * The fan-out path: an OutgoingFrame is framed once and the same buffer is written
 * to every socket. Writes to one socket within a tick are corked together into one
 * system call.
 */
import type { Socket } from "node:net";
import type { WebSocket } from "ws";
import type { ConnectionTransport } from "../conn/connection.js";
import type { OutgoingFrame } from "../conn/outgoing-frame.js";
import { CLOSE_SLOW_CONSUMER, MAX_OUTGOING_BYTES, SLOW_CONSUMER_GRACE_MS } from "../constants.js";

const SEND_OPTIONS = { binary: false } as const;

/**
 * Sockets corked during this tick, uncorked together by one callback: every write a
 * socket gets in the tick (a fan-out of many events) leaves in one system call.
 */
let corked: WsTransport[] = [];

function uncorkAll(): void {
  const list = corked;
  corked = [];
  for (const t of list) t.uncork();
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

  uncork(): void {
    this.corked = false;
    this.socket?.uncork();
  }

  send(frame: string | OutgoingFrame): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== 1 || this.cutOff) return;
    const socket = this.socket;
    // What the socket holds is what is queued: frames are written to it directly.
    const queued = socket && !this.compression ? socket.writableLength : ws.bufferedAmount;
    if (queued > this.maxOutgoingBytes) {
      // The close frame follows what is already queued; a client that never reads
      // again is dropped after a grace period. Nothing more is queued meanwhile.
      this.cutOff = true;
      this.onSlowConsumer();
      ws.close(CLOSE_SLOW_CONSUMER, "Slow consumer");
      setTimeout(() => ws.terminate(), SLOW_CONSUMER_GRACE_MS).unref();
      return;
    }
    if (typeof frame === "string" || this.compression || !socket) {
      ws.send(typeof frame === "string" ? frame : frame.data, SEND_OPTIONS);
      return;
    }
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      if (corked.push(this) === 1) process.nextTick(uncorkAll);
    }
    // The same frame buffer, header included, goes to every subscriber's socket.
    socket.write(frame.wire);
  }

  pause(): void {
    this.ws?.pause();
  }

  resume(): void {
    this.ws?.resume();
  }
}

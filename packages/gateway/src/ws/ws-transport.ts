/**
 * A Connection's transport over a `ws` WebSocket: text frames out, a bound on the
 * bytes queued for a client that does not read, and pausing reads for request
 * backpressure.
 */
import type { WebSocket } from "ws";
import type { ConnectionTransport } from "../conn/connection.js";
import { CLOSE_SLOW_CONSUMER, MAX_OUTGOING_BYTES, SLOW_CONSUMER_GRACE_MS } from "../constants.js";

const SEND_OPTIONS = { binary: false } as const;

export class WsTransport implements ConnectionTransport {
  private cutOff = false;
  private ws: WebSocket | undefined;

  constructor(
    private readonly onSlowConsumer: () => void,
    private readonly maxOutgoingBytes: number = MAX_OUTGOING_BYTES,
  ) {}

  /** Attaches the socket once the upgrade is done; nothing is sent before. */
  attach(ws: WebSocket): void {
    this.ws = ws;
  }

  send(frame: string | Buffer): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== 1 || this.cutOff) return;
    if (ws.bufferedAmount > this.maxOutgoingBytes) {
      // The client does not read: cut it off instead of buffering without bound.
      this.cutOff = true;
      this.onSlowConsumer();
      // The close frame follows what is already queued; a client that never reads
      // again is dropped after a grace period. Nothing more is queued meanwhile.
      ws.close(CLOSE_SLOW_CONSUMER, "Slow consumer");
      setTimeout(() => ws.terminate(), SLOW_CONSUMER_GRACE_MS).unref();
      return;
    }
    ws.send(frame, SEND_OPTIONS);
  }

  pause(): void {
    this.ws?.pause();
  }

  resume(): void {
    this.ws?.resume();
  }
}

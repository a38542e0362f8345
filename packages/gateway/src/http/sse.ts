/**
 * Server-sent events (beyond Resgate): `GET /api/…` with `Accept: text/event-stream`
 * sends the resource as a `resource` event, then every event on it and on the
 * resources it references, as long as access allows. See the README for the format.
 */
import type { ServerResponse } from "node:http";
import type { ConnectionTransport } from "../conn/connection.js";
import type { ApiEncoder, EncodableResource } from "./rest-encoding.js";
import { ridToPath } from "./rest-encoding.js";

export interface SseOptions {
  rid: string;
  apiPath: string;
  encoder: ApiEncoder;
  /** The subscription of a resource the stream holds (for references in events). */
  lookup: (rid: string) => EncodableResource | undefined;
  /** Interval of `: ping` comments keeping proxies from closing an idle stream. */
  heartbeatMs: number;
  /** Bytes that may wait for a client that does not read before it is cut off. */
  maxBufferedBytes: number;
  /** The id the client last saw (Last-Event-ID), so that ids keep increasing. */
  lastEventId: number;
  /** Called once when the stream ends, whoever ends it. */
  onEnd: (reason: "closed" | "unsubscribed" | "slow" | "stopping") => void;
}

/** Reads a Last-Event-ID header: a non-negative integer, else 0. */
export function parseLastEventId(v: string | undefined): number {
  if (v === undefined || !/^\d{1,15}$/.test(v.trim())) return 0;
  return Number(v.trim());
}

/** One event stream; it is its connection's transport. */
export class SseStream implements ConnectionTransport {
  private id: number;
  private ended = false;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly opts: SseOptions,
  ) {
    this.id = opts.lastEventId;
    res.on("close", () => this.end("closed"));
  }

  /** Starts the stream with the resource's encoding. */
  start(snapshot: string): void {
    this.write(this.message("resource", snapshot));
    this.heartbeat = setInterval(() => this.write(": ping\n\n"), this.opts.heartbeatMs);
    this.heartbeat.unref();
  }

  // A stream reads no client frames: it has nothing to send as a response either.
  send(): void {}
  pause(): void {}
  resume(): void {}

  sendEvent(rid: string, event: string, dataJson: string): void {
    if (this.ended) return;
    const o = this.opts;
    const data = o.encoder.encodeEvent({ rid, event, dataJson }, o.lookup);
    const body = `{"href":${JSON.stringify(ridToPath(rid, o.apiPath))},"rid":${JSON.stringify(rid)},"data":${data}}`;
    this.write(this.message(event, body));
    // Without its resource (access lost, deleted) the stream has nothing more to say.
    if (event === "unsubscribe" && rid === o.rid) this.end("unsubscribed");
  }

  private message(event: string, data: string): string {
    return `id: ${++this.id}\nevent: ${event}\ndata: ${data}\n\n`;
  }

  private write(text: string): void {
    if (this.ended) return;
    if (this.res.writableLength > this.opts.maxBufferedBytes) {
      this.end("slow");
      return;
    }
    this.res.write(text);
  }

  /** Ends the stream (idempotent). */
  end(reason: "closed" | "unsubscribed" | "slow" | "stopping"): void {
    if (this.ended) return;
    this.ended = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (reason === "slow") this.res.destroy();
    else this.res.end();
    this.opts.onEnd(reason);
  }
}

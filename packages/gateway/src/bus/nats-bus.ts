/**
 * MessageBus on NATS (@nats-io/transport-node). Requests share one wildcard inbox
 * subscription; each reply is matched to its request by the inbox's last token, and
 * a reply starting with a letter is a pre-response (`timeout:"<ms>"`).
 */
import {
  connect,
  createInbox,
  credsAuthenticator,
  type Msg,
  type NatsConnection,
  type TlsOptions,
} from "@nats-io/transport-node";
import { Errors, internalError, type ResError } from "@resgate-ts/protocol";
import type { Logger } from "pino";
import { MAX_SERVICE_PAYLOAD_BYTES, NATS_MAX_CONTROL_LINE } from "../constants.js";
import { FifoTimer, type TimerEntry } from "../util/fifo-timer.js";
import { redactPayload } from "../util/redact.js";
import {
  NoRespondersError,
  type BusStatus,
  type BusSubscription,
  type MessageBus,
  type MessageHandler,
  type ReplyHandler,
} from "./bus.js";

export interface NatsBusOptions {
  servers: string[];
  requestTimeoutMs: number;
  logger: Logger;
  /** Connection name shown in nats-server's monitoring. */
  name?: string;
  /** The contents of a NATS user credentials file (JWT and nkey seed). */
  creds?: Uint8Array | undefined;
  /** TLS towards NATS: a client certificate and key, and root CAs (PEM text). */
  tls?: TlsOptions | undefined;
}

interface PendingRequest {
  readonly onReply: ReplyHandler;
  /** The shared-duration deadline, until a pre-response replaces it. */
  entry: TimerEntry | undefined;
  /** The deadline set by a pre-response. */
  extended: NodeJS.Timeout | undefined;
}

const decoder = new TextDecoder();

/** Room kept on a control line for the verb, separators, sizes and CRLF. */
const CONTROL_LINE_OVERHEAD = 32;

/** Reads the `timeout` key of a pre-response written as a Go struct tag (`timeout:"2000"`). */
function preResponseTimeout(data: Uint8Array): number | undefined {
  const m = /(?:^|\s)timeout:"(-?\d+)"/.exec(decoder.decode(data));
  return m ? Number(m[1]) : undefined;
}

function isPreResponse(data: Uint8Array): boolean {
  const c = (data[0] ?? 0) | 32;
  return data.length > 0 && c >= 97 && c <= 122;
}

export class NatsBus implements MessageBus {
  private readonly pending = new Map<string, PendingRequest>();
  private readonly timer: FifoTimer;
  private readonly statusListeners: ((s: BusStatus, detail?: string) => void)[] = [];
  private inboxPrefix = "";
  private nextId = 0;
  /** -V: every message is logged (checked once: trace logging is fixed at start). */
  private readonly trace: boolean;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly opts: NatsBusOptions,
  ) {
    this.timer = new FifoTimer(opts.requestTimeoutMs);
    this.trace = opts.logger.isLevelEnabled("trace");
  }

  /** Connects, waiting (and retrying) until the first connection succeeds. */
  static async connect(opts: NatsBusOptions): Promise<NatsBus> {
    const nc = await connect({
      servers: opts.servers,
      name: opts.name ?? "resgate-ts",
      // Stay up: keep reconnecting for as long as the gateway runs.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      waitOnFirstConnect: true,
      noEcho: true,
      ...(opts.creds ? { authenticator: credsAuthenticator(opts.creds) } : {}),
      ...(opts.tls ? { tls: opts.tls } : {}),
    });
    const bus = new NatsBus(nc, opts);
    bus.start();
    return bus;
  }

  private start(): void {
    this.inboxPrefix = createInbox() + ".";
    this.nc.subscribe(this.inboxPrefix + "*", { callback: (_err, msg) => this.onReply(msg) });
    void this.watchStatus();
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      switch (s.type) {
        case "disconnect":
          this.emit("disconnected", s.server);
          break;
        case "reconnect":
          this.emit("reconnected", s.server);
          break;
        default:
          break;
      }
    }
  }

  private emit(status: BusStatus, detail?: string): void {
    for (const l of this.statusListeners) l(status, detail);
  }

  onStatus(listener: (status: BusStatus, detail?: string) => void): void {
    this.statusListeners.push(listener);
  }

  request(subject: string, payload: string, onReply: ReplyHandler): void {
    const id = (this.nextId++).toString(36);
    const reply = this.inboxPrefix + id;
    if (subject.length + reply.length + CONTROL_LINE_OVERHEAD > NATS_MAX_CONTROL_LINE) {
      queueMicrotask(() => onReply(Errors.subjectTooLong(), undefined));
      return;
    }
    const req: PendingRequest = { onReply, entry: undefined, extended: undefined };
    try {
      this.nc.publish(subject, payload, { reply });
    } catch (err) {
      queueMicrotask(() => onReply(publishError(err), undefined));
      return;
    }
    if (this.trace) {
      this.opts.logger.trace({ subject, reply, payload: redactPayload(payload) }, "nats request");
    }
    req.entry = this.timer.add(() => this.timeout(id));
    this.pending.set(id, req);
  }

  private onReply(msg: Msg): void {
    const id = msg.subject.slice(this.inboxPrefix.length);
    const req = this.pending.get(id);
    if (!req) return;
    const data = msg.data;
    if (isPreResponse(data)) {
      const ms = preResponseTimeout(data);
      if (ms !== undefined) this.extend(id, req, ms);
      return;
    }
    this.settle(id, req);
    if (data.length > MAX_SERVICE_PAYLOAD_BYTES) {
      req.onReply(
        internalError(`service reply of ${data.length} bytes exceeds the limit`),
        undefined,
      );
      return;
    }
    if (data.length === 0 && msg.headers?.code === 503) {
      req.onReply(new NoRespondersError(), undefined);
      return;
    }
    if (this.trace) {
      const text = redactPayload(decoder.decode(data));
      this.opts.logger.trace({ subject: msg.subject, data: text }, "nats reply");
    }
    req.onReply(undefined, data);
  }

  private extend(id: string, req: PendingRequest, ms: number): void {
    if (req.entry && !this.timer.cancel(req.entry)) return;
    req.entry = undefined;
    if (req.extended) clearTimeout(req.extended);
    req.extended = setTimeout(() => this.timeout(id), Math.max(0, ms));
  }

  private settle(id: string, req: PendingRequest): void {
    this.pending.delete(id);
    if (req.entry) this.timer.cancel(req.entry);
    if (req.extended) clearTimeout(req.extended);
  }

  private timeout(id: string): void {
    const req = this.pending.get(id);
    if (!req) return;
    this.settle(id, req);
    req.onReply(Errors.timeout(), undefined);
  }

  subscribe(subject: string, handler: MessageHandler): BusSubscription {
    if (subject.length + CONTROL_LINE_OVERHEAD > NATS_MAX_CONTROL_LINE) {
      throw Errors.subjectTooLong();
    }
    const sub = this.nc.subscribe(subject, {
      callback: (_err, msg) => {
        if (msg.data.length > MAX_SERVICE_PAYLOAD_BYTES) {
          this.opts.logger.error(
            { subject: msg.subject, bytes: msg.data.length },
            "message exceeds the payload limit; dropped",
          );
          return;
        }
        if (this.trace) {
          const text = redactPayload(decoder.decode(msg.data));
          this.opts.logger.trace({ subject: msg.subject, data: text }, "nats message");
        }
        handler(msg.subject, msg.data);
      },
    });
    return { unsubscribe: () => sub.unsubscribe() };
  }

  publish(subject: string, payload: string): void {
    if (this.trace) {
      this.opts.logger.trace({ subject, payload: redactPayload(payload) }, "nats publish");
    }
    this.nc.publish(subject, payload);
  }

  async close(): Promise<void> {
    this.timer.clear();
    for (const [id, req] of this.pending) {
      this.settle(id, req);
      req.onReply(Errors.timeout(), undefined);
    }
    if (!this.nc.isClosed()) await this.nc.drain().catch(() => this.nc.close());
    this.emit("closed");
  }
}

/** Publishing failures as Resgate reports them (a payload over max_payload, a closed connection). */
function publishError(err: unknown): ResError {
  const msg = err instanceof Error ? err.message : String(err);
  if (msg.includes("max_payload")) return internalError("nats: maximum payload exceeded", err);
  return internalError(msg, err);
}

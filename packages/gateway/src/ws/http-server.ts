/**
 * The HTTP face of the gateway: WebSocket upgrades on the WebSocket path, and
 * plain HTTP answers elsewhere (Resgate's httpServer.go and wsHandler.go).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { WebSocketServer, type WebSocket } from "ws";
import { Connection, type ConnectionContext } from "../conn/connection.js";
import { isDirectResponseStatus } from "../cache/service-codec.js";
import { WS_HEARTBEAT_MS } from "../constants.js";
import type { Cors } from "../http/cors.js";
import { parseRequestTarget } from "../http/request-target.js";
import { ridToPath, type ApiEncoder } from "../http/rest-encoding.js";
import { RestApi, type RestOptions } from "../http/rest.js";
import { rawAnswer, safeHeaderLines, statusAnswer, writeAnswer } from "../http/response.js";
import { mergeHeader } from "../util/http-header.js";
import { newCid } from "../util/cid.js";
import { firstHeader, requestInfo } from "../conn/request-info.js";
import { WsTransport, type WsTransportOptions } from "./ws-transport.js";

export interface HttpServerOptions {
  /** Certificate and key (PEM) to serve HTTPS and WSS with (--tls). */
  tls?: { cert: Buffer; key: Buffer } | undefined;
  /** Negotiate permessage-deflate with clients that offer it (--wscompression). */
  wsCompression: boolean;
  wsPath: string;
  apiPath: string;
  encoder: ApiEncoder;
  cors: Cors;
  /** The HTTP API's own options. */
  rest: Omit<RestOptions, "apiPath" | "encoder" | "cors" | "context" | "log">;
  /** Bytes queued for one client before it is cut off as too slow. */
  maxOutgoingBytes: number;
  /** Largest client message; a larger one closes the socket with 1009. */
  maxFrameBytes: number;
  /**
   * Extra HTTP routes (the demo's web page): called first for plain HTTP requests;
   * returns true when it answered the request.
   */
  pages?: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined;
  /** --wsheadauth: the auth resource and method asked before every upgrade. */
  wsHeaderAuth: { rid: string; method: string } | undefined;
  context: ConnectionContext;
  log: Logger;
}

const decoder = new TextDecoder();

/** The listeners of every WebSocket: shared, called with the socket as `this`. */
interface WsListeners {
  message: (this: WebSocket, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void;
  pong: (this: WebSocket) => void;
  error: (this: WebSocket, err: Error) => void;
  close: (this: WebSocket) => void;
}

export class GatewayHttpServer {
  readonly server: Server;
  private readonly wss: WebSocketServer;
  /** Every open WebSocket and its connection. */
  private readonly live = new Map<WebSocket, Connection>();
  /** Sockets pinged by the last heartbeat that have not answered yet. */
  private readonly awaitingPong = new Set<WebSocket>();
  private readonly transportOptions: WsTransportOptions;
  private readonly listeners: WsListeners;
  /** Response headers a header-auth reply added to an upgrade. */
  private readonly upgradeHeaders = new WeakMap<IncomingMessage, Record<string, string[]>>();
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly rest: RestApi;
  private closing = false;

  constructor(private readonly opts: HttpServerOptions) {
    this.rest = new RestApi({
      ...opts.rest,
      apiPath: opts.apiPath,
      encoder: opts.encoder,
      cors: opts.cors,
      context: opts.context,
      log: opts.log,
    });
    const handler = (req: IncomingMessage, res: ServerResponse) => this.handleHttp(req, res);
    this.server = opts.tls ? createHttpsServer(opts.tls, handler) : createServer(handler);
    this.server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.handleUpgrade(req, socket, head),
    );
    // A request Node cannot parse gets what Go's server answers, if the socket still takes it.
    this.server.on("clientError", (_err, socket: Duplex) => {
      if (socket.writable) socket.end(BAD_REQUEST);
      socket.destroy();
    });
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: opts.maxFrameBytes,
      // As gorilla/websocket compresses: without context takeover, so that an idle
      // connection holds no zlib state.
      perMessageDeflate: opts.wsCompression
        ? { serverNoContextTakeover: true, clientNoContextTakeover: true }
        : false,
      clientTracking: false,
    });
    const { log, context } = opts;
    this.transportOptions = {
      onSlowConsumer: (cid) => {
        log.warn({ cid }, "slow consumer disconnected");
        context.metrics?.slowConsumerDisconnects.inc();
      },
      maxOutgoingBytes: opts.maxOutgoingBytes,
      compression: opts.wsCompression,
    };
    this.listeners = this.wsListeners();
    this.wss.on("headers", (headers: string[], req: IncomingMessage) => {
      const extra = this.upgradeHeaders.get(req);
      if (!extra) return;
      for (const [k, values] of safeHeaderLines(extra)) {
        for (const v of values) headers.push(`${k}: ${v}`);
      }
    });
  }

  /** Number of open WebSocket connections. */
  get connections(): number {
    return this.live.size;
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host === "" ? undefined : host, () => {
        this.server.off("error", reject);
        resolve();
      });
      this.heartbeat = setInterval(() => this.beat(), WS_HEARTBEAT_MS);
      this.heartbeat.unref();
    });
  }

  /** Pings every client; one that did not answer the previous ping is dropped. */
  private beat(): void {
    for (const ws of this.live.keys()) {
      if (this.awaitingPong.has(ws)) {
        ws.terminate();
        continue;
      }
      this.awaitingPong.add(ws);
      ws.ping();
    }
  }

  private handleHttp(req: IncomingMessage, res: ServerResponse): void {
    if (this.closing) res.setHeader("Connection", "close");
    if (this.opts.pages?.(req, res)) return;
    const target = parseRequestTarget(req.url ?? "/");
    // Go's server refuses a target it cannot parse (a bad %-escape) before any handler.
    if (!target) {
      res.socket?.end(BAD_REQUEST);
      res.socket?.destroy();
      return;
    }
    if (target.uri === "*") {
      res.writeHead(400, { Connection: "close", "Content-Length": "0" });
      res.end();
      return;
    }
    if (target.path === this.opts.wsPath) {
      // A plain request on the WebSocket path, as gorilla/websocket answers it.
      res.writeHead(400, {
        "Content-Type": "text/plain; charset=utf-8",
        "Sec-Websocket-Version": "13",
        "X-Content-Type-Options": "nosniff",
      });
      res.end("Bad Request\n");
      return;
    }
    if (target.path.startsWith(this.opts.apiPath)) {
      this.rest.handle(req, res, target);
      return;
    }
    const enc = this.opts.encoder;
    writeAnswer(res, {
      status: 404,
      header: { "Content-Type": [enc.contentType] },
      body: enc.notFound,
    });
  }

  private handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const target = parseRequestTarget(req.url ?? "/");
    if (!target) {
      socket.end(BAD_REQUEST);
      socket.destroy();
      return;
    }
    if (target.path !== this.opts.wsPath) {
      socket.end("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      socket.destroy();
      return;
    }
    // As gorilla/websocket's CheckOrigin refuses it, before any header auth request.
    if (!this.opts.cors.allows(firstHeader(req.rawHeaders, "origin"))) {
      socket.end(FORBIDDEN);
      socket.destroy();
      return;
    }
    const cid = newCid();
    const log = this.opts.log;
    const transport = new WsTransport(this.transportOptions, cid);
    const conn = new Connection(cid, this.opts.context, transport, requestInfo(req));
    conn.start();
    const auth = this.opts.wsHeaderAuth;
    if (!auth) {
      this.upgrade({ req, socket, head }, conn, transport);
      return;
    }
    // The upgrade waits for the auth reply, which may refuse it or add headers.
    void conn.headerAuth(auth.rid, auth.method).then((result) => {
      if (socket.destroyed) {
        conn.dispose();
        return;
      }
      let meta = result.meta;
      if (meta?.status !== undefined && (meta.status < 300 || meta.status >= 600)) {
        log.error({ cid, status: meta.status }, "invalid WebSocket meta status");
        meta = { status: undefined, header: meta.header };
      }
      if (isDirectResponseStatus(meta) && meta?.status !== undefined) {
        conn.dispose();
        const enc = this.opts.encoder;
        const answer = statusAnswer(
          {},
          {
            status: meta.status,
            metaHeader: meta.header,
            href: ridToPath(result.rid ?? "", this.opts.apiPath),
            err: result.err,
          },
          { contentType: enc.contentType, error: (e) => enc.encodeError(e) },
        );
        socket.end(rawAnswer(answer));
        return;
      }
      if (meta?.header) {
        const extra: Record<string, string[]> = {};
        mergeHeader(extra, meta.header);
        this.upgradeHeaders.set(req, extra);
      }
      this.upgrade({ req, socket, head }, conn, transport);
    });
  }

  private upgrade(
    { req, socket, head }: { req: IncomingMessage; socket: Duplex; head: Buffer },
    conn: Connection,
    transport: WsTransport,
  ): void {
    const failed = () => conn.dispose();
    socket.once("close", failed);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      socket.off("close", failed);
      transport.attach(ws);
      this.accept(ws, req, conn);
    });
  }

  private accept(ws: WebSocket, req: IncomingMessage, conn: Connection): void {
    this.live.set(ws, conn);
    const metrics = this.opts.context.metrics;
    metrics?.wsConnections.inc();
    metrics?.wsCurrentConnections.inc();
    const log = this.opts.log;
    // Asked only when logged: Node keeps the peer address once looked up (request-info).
    if (log.isLevelEnabled("debug")) {
      log.debug({ cid: conn.cid, remote: req.socket.remoteAddress }, "connected");
    }
    const l = this.listeners;
    ws.on("message", l.message);
    ws.on("pong", l.pong);
    ws.on("error", l.error);
    ws.on("close", l.close);
  }

  /**
   * The listeners every WebSocket shares: per connection they would cost a closure
   * each, and a context holding what they use.
   */
  private wsListeners(): WsListeners {
    const { live, awaitingPong } = this;
    const { log, context } = this.opts;
    return {
      message(data, isBinary) {
        const buf = Array.isArray(data)
          ? Buffer.concat(data)
          : data instanceof ArrayBuffer
            ? Buffer.from(data)
            : data;
        // Text frames were validated as UTF-8 by ws; binary frames are read as text too.
        live.get(this)?.receive(isBinary ? decoder.decode(buf) : buf.toString("utf8"));
      },
      pong() {
        awaitingPong.delete(this);
      },
      error(err) {
        log.debug({ cid: live.get(this)?.cid, err: err.message }, "websocket error");
      },
      close() {
        const conn = live.get(this);
        live.delete(this);
        awaitingPong.delete(this);
        if (!conn) return;
        context.metrics?.wsCurrentConnections.dec();
        conn.dispose();
        log.debug({ cid: conn.cid }, "disconnected");
      },
    };
  }

  /** Closes every WebSocket (1001 going away) and stops listening. */
  /**
   * Stops serving within `timeoutMs`: no new connections, WebSockets closed with 1001,
   * event streams ended, HTTP requests in flight answered (then their connections
   * closed); whatever is left at the deadline is cut.
   */
  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    this.rest.stop();
    if (this.heartbeat) clearInterval(this.heartbeat);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const ws of this.live.keys()) ws.close(1001, "Server is shutting down");
    const deadline = setTimeout(() => {
      for (const ws of this.live.keys()) ws.terminate();
      this.server.closeAllConnections();
    }, timeoutMs);
    deadline.unref();
    // Connections become idle as their last response ends: close them as they do.
    const sweep = setInterval(() => this.server.closeIdleConnections(), 25);
    sweep.unref();
    this.server.closeIdleConnections();
    await closed;
    clearInterval(sweep);
    clearTimeout(deadline);
  }
}

/** Go's answer to a request it cannot parse. */
const BAD_REQUEST =
  "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request";

/** gorilla/websocket's answer to an upgrade from an origin that is not allowed. */
const FORBIDDEN =
  "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\nSec-Websocket-Version: 13\r\nX-Content-Type-Options: nosniff\r\nContent-Length: 10\r\nConnection: close\r\n\r\nForbidden\n";

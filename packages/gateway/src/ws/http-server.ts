/**
 * The HTTP face of the gateway: WebSocket upgrades on the WebSocket path, and
 * plain HTTP answers elsewhere (Resgate's httpServer.go and wsHandler.go).
 */
import {
  STATUS_CODES,
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { Duplex } from "node:stream";
import { Errors, encodeErrorObject, type ResError } from "@resgate-ts/protocol";
import type { Logger } from "pino";
import { WebSocketServer, type WebSocket } from "ws";
import { Connection, type ConnectionContext } from "../conn/connection.js";
import { isDirectResponseStatus } from "../cache/service-codec.js";
import { MAX_CLIENT_FRAME_BYTES, WS_HEARTBEAT_MS } from "../constants.js";
import { mergeHeader, ridToPath } from "../util/http-header.js";
import { newCid } from "../util/cid.js";
import { requestInfo } from "./request-info.js";
import { WsTransport } from "./ws-transport.js";

export interface HttpServerOptions {
  wsPath: string;
  apiPath: string;
  /** Bytes queued for one client before it is cut off as too slow. */
  maxOutgoingBytes: number;
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

interface Live {
  conn: Connection;
  alive: boolean;
}

export class GatewayHttpServer {
  readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly live = new Map<WebSocket, Live>();
  /** Response headers a header-auth reply added to an upgrade. */
  private readonly upgradeHeaders = new WeakMap<IncomingMessage, Record<string, string[]>>();
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(private readonly opts: HttpServerOptions) {
    this.server = createServer((req, res) => this.handleHttp(req, res));
    this.server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.handleUpgrade(req, socket, head),
    );
    this.server.on("clientError", (_err, socket: Duplex) => socket.destroy());
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_CLIENT_FRAME_BYTES,
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.wss.on("headers", (headers: string[], req: IncomingMessage) => {
      const extra = this.upgradeHeaders.get(req);
      if (!extra) return;
      for (const [k, values] of Object.entries(extra)) {
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
    for (const [ws, l] of this.live) {
      if (!l.alive) {
        ws.terminate();
        continue;
      }
      l.alive = false;
      ws.ping();
    }
  }

  private pathOf(req: IncomingMessage): string {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    return q < 0 ? url : url.slice(0, q);
  }

  private handleHttp(req: IncomingMessage, res: ServerResponse): void {
    if (this.opts.pages?.(req, res)) return;
    const path = this.pathOf(req);
    if (path === this.opts.wsPath) {
      // A plain request on the WebSocket path, as gorilla/websocket answers it.
      res.writeHead(400, {
        "Content-Type": "text/plain; charset=utf-8",
        "Sec-Websocket-Version": "13",
      });
      res.end("Bad Request\n");
      return;
    }
    if (path.startsWith(this.opts.apiPath)) {
      writeError(res, 501, encodeErrorObject(Errors.notImplemented()));
      return;
    }
    writeError(res, 404, encodeErrorObject(Errors.notFound()));
  }

  private handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.pathOf(req) !== this.opts.wsPath) {
      socket.end("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      socket.destroy();
      return;
    }
    const cid = newCid();
    const log = this.opts.log;
    const transport = new WsTransport(
      () => log.warn({ cid }, "slow consumer disconnected"),
      this.opts.maxOutgoingBytes,
    );
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
        writeStatusResponse(socket, {
          status: meta.status,
          header: meta.header,
          href: ridToPath(result.rid ?? "", this.opts.apiPath),
          err: result.err,
        });
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
    const log = this.opts.log;
    const cid = conn.cid;
    const l: Live = { conn, alive: true };
    this.live.set(ws, l);
    log.debug({ cid, remote: req.socket.remoteAddress }, "connected");

    ws.on("message", (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      const buf = Array.isArray(data)
        ? Buffer.concat(data)
        : data instanceof ArrayBuffer
          ? Buffer.from(data)
          : data;
      // Text frames were validated as UTF-8 by ws; binary frames are read as text too.
      conn.receive(isBinary ? decoder.decode(buf) : buf.toString("utf8"));
    });
    ws.on("pong", () => {
      l.alive = true;
    });
    ws.on("error", (err) => log.debug({ cid, err: err.message }, "websocket error"));
    ws.on("close", () => {
      this.live.delete(ws);
      conn.dispose();
      log.debug({ cid }, "disconnected");
    });
  }

  /** Closes every WebSocket (1001 going away) and stops listening. */
  async close(timeoutMs: number): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const ws of this.live.keys()) ws.close(1001, "Server is shutting down");
    const deadline = setTimeout(() => {
      for (const ws of this.live.keys()) ws.terminate();
      this.server.closeAllConnections();
    }, timeoutMs);
    deadline.unref();
    this.server.closeIdleConnections();
    await closed;
    clearTimeout(deadline);
  }
}

/**
 * Answers an upgrade request directly with the status a header-auth reply's meta
 * object gave (Resgate's httpStatusResponse): a redirect, or an error body.
 */
function writeStatusResponse(
  socket: Duplex,
  r: {
    status: number;
    header: Record<string, string[]> | undefined;
    href: string;
    err: ResError | undefined;
  },
): void {
  const header: Record<string, string[]> = {};
  let body = "";
  if (r.status < 400) {
    if (r.href !== "" && !r.header?.["Location"]) header["Location"] = [r.href];
    mergeHeader(header, r.header);
  } else {
    mergeHeader(header, r.header);
    header["Content-Type"] = ["application/json; charset=utf-8"];
    body = encodeErrorObject(r.err ?? statusError(r.status));
  }
  let head = `HTTP/1.1 ${r.status} ${STATUS_CODES[r.status] ?? ""}\r\n`;
  for (const [k, values] of Object.entries(header))
    for (const v of values) head += `${k}: ${v}\r\n`;
  head += `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
  socket.end(head + body);
}

/** The RES error for an HTTP status (Resgate's statusError). */
function statusError(status: number): ResError {
  if (status >= 400 && status < 500) {
    switch (status) {
      case 401:
      case 402:
      case 407:
        return Errors.accessDenied();
      case 403:
      case 451:
        return Errors.forbidden();
      case 404:
      case 410:
        return Errors.notFound();
      case 405:
        return Errors.methodNotAllowed();
      case 408:
        return Errors.timeout();
      default:
        return Errors.badRequest();
    }
  }
  switch (status) {
    case 501:
      return Errors.notImplemented();
    case 503:
      return Errors.serviceUnavailable();
    case 504:
      return Errors.timeout();
    default:
      return Errors.internalError();
  }
}

function writeError(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" });
  res.end(body);
}

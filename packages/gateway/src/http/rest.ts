/**
 * The HTTP API (Resgate's apiHandler.go): GET and HEAD get a resource, POST calls a
 * method, PUT/DELETE/PATCH call their mapped methods, OPTIONS answers preflights.
 * Each request is served by a short-lived Connection, so access checks, calls and
 * header authentication are those of WebSocket clients, with `isHttp` set.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  ErrorCode,
  Errors,
  ProtocolVersion,
  ResError,
  compact,
  isValidJson,
  isValidRid,
  isValidRidPart,
} from "@resgate-ts/protocol";
import type { Logger } from "pino";
import {
  isDirectResponseStatus,
  isValidMetaStatus,
  mergeMeta,
  type Meta,
} from "../cache/service-codec.js";
import {
  Connection,
  type ConnectionContext,
  type ConnectionTransport,
} from "../conn/connection.js";
import { MAX_HTTP_BODY_BYTES } from "../constants.js";
import { newCid } from "../util/cid.js";
import { mergeHeader } from "../util/http-header.js";
import { requestInfo } from "../conn/request-info.js";
import type { Cors } from "./cors.js";
import type { RequestTarget } from "./request-target.js";
import { pathToRid, pathToRidAction, ridToPath, type ApiEncoder } from "./rest-encoding.js";
import {
  safeHeaderLines,
  statusAnswer,
  writeAnswer,
  type HeaderMap,
  type HttpAnswer,
} from "./response.js";
import { SseStream, parseLastEventId } from "./sse.js";
import { errorStatus } from "./status.js";

export interface RestOptions {
  apiPath: string;
  encoder: ApiEncoder;
  cors: Cors;
  /** --headauth: the auth resource and method asked before every API request. */
  headerAuth: { rid: string; method: string } | undefined;
  /** Call methods mapped to PUT, DELETE and PATCH (null when not mapped). */
  methods: { PUT: string | null; DELETE: string | null; PATCH: string | null };
  context: ConnectionContext;
  log: Logger;
  /** Counts an API request by HTTP method (GET counts HEAD too). */
  count?: ((method: string) => void) | undefined;
  /** Server-sent event streams: heartbeat interval and the bytes a slow reader may owe. */
  sse: { heartbeatMs: number; maxBufferedBytes: number };
  /** Called when an event stream is cut off for not reading. */
  onSlowConsumer?: (() => void) | undefined;
}

/** What a request's work hands back (Resgate's temporaryConn write callback). */
interface Outcome {
  /** A body to answer 200 with. */
  body?: string | undefined;
  /** A path to answer 200 with, as Location. */
  href?: string | undefined;
  err?: ResError | undefined;
  meta?: Meta | undefined;
}

/** A transport for connections that never send frames. */
const NO_TRANSPORT: ConnectionTransport = {
  send: () => undefined,
  pause: () => undefined,
  resume: () => undefined,
};

export class RestApi {
  /** Set while the gateway stops: new requests get 503. */
  private stopping = false;
  private readonly streams = new Set<SseStream>();

  /** -V: every request and response is logged. */
  private readonly trace: boolean;

  constructor(private readonly opts: RestOptions) {
    this.trace = opts.log.isLevelEnabled("trace");
  }

  /**
   * Writes a response. While the gateway stops, the connection is closed after it, so
   * that requests in flight finish and nothing new arrives on kept-alive connections.
   */
  private write(res: ServerResponse, a: HttpAnswer): void {
    if (this.stopping) a.header["Connection"] = ["close"];
    if (this.trace) {
      this.opts.log.trace({ status: a.status, body: a.body, uri: res.req.url }, "http <--");
    }
    writeAnswer(res, a);
  }

  /** Refuses new requests (503) and ends every event stream. */
  stop(): void {
    this.stopping = true;
    for (const s of this.streams) s.end("stopping");
  }

  /** Handles a request under the API path. */
  handle(req: IncomingMessage, res: ServerResponse, target: RequestTarget): void {
    const o = this.opts;
    if (this.trace) o.log.trace({ method: req.method, uri: req.url }, "http -->");
    const header: HeaderMap = {};
    const originErr = o.cors.apply(header, req.headersDistinct["origin"]?.[0]);
    if (req.method === "OPTIONS") {
      o.cors.preflight(header, req.headersDistinct["access-control-request-headers"]);
      this.write(res, { status: 200, header, body: undefined });
      return;
    }
    if (originErr) {
      this.write(res, this.errorAnswer(header, originErr));
      return;
    }
    const path = target.rawPath !== "" ? target.rawPath : target.path;
    // A trailing slash names no resource (the API path itself excepted).
    if (path.length > o.apiPath.length && path.endsWith("/")) {
      this.write(res, this.notFound(header));
      return;
    }
    const method = req.method ?? "GET";
    switch (method) {
      case "HEAD":
      case "GET": {
        o.count?.("GET");
        const rid = pathToRid(path, target.rawQuery, o.apiPath);
        if (!isValidRid(rid, true)) {
          this.write(res, this.notFound(header));
          return;
        }
        const accept = req.headersDistinct["accept"] ?? [];
        if (method === "GET" && accept.some((a) => a.includes("text/event-stream"))) {
          this.stream({ req, res, header }, rid);
        } else {
          this.get({ req, res, header }, rid);
        }
        return;
      }
      case "POST": {
        o.count?.("POST");
        const { rid, action } = pathToRidAction(path, target.rawQuery, o.apiPath);
        this.call({ req, res, header }, rid, action);
        return;
      }
      default: {
        const mapped =
          method === "PUT" || method === "DELETE" || method === "PATCH" ? o.methods[method] : null;
        if (mapped === null) {
          this.write(res, this.errorAnswer(header, Errors.methodNotAllowed()));
          return;
        }
        o.count?.(method);
        this.call({ req, res, header }, pathToRid(path, target.rawQuery, o.apiPath), mapped);
      }
    }
  }

  private get(ex: Exchange, rid: string): void {
    this.temporary(ex, (conn, done) => {
      conn.getHttp(rid, (r) => {
        if (!r.sub || isDirectResponseStatus(r.meta)) {
          done({ err: r.err, meta: r.meta });
          return;
        }
        let body: string;
        try {
          body = this.opts.encoder.encodeGet(r.sub);
        } catch (err) {
          done({ err: err instanceof ResError ? err : Errors.internalError(), meta: r.meta });
          return;
        }
        done({ body, meta: r.meta });
      });
    });
  }

  private call(ex: Exchange, rid: string, action: string): void {
    if (!isValidRid(rid, true) || !isValidRidPart(action)) {
      this.write(ex.res, this.notFound(ex.header));
      return;
    }
    readBody(ex.req, (err, text) => {
      if (err) {
        // The rest of the body is not read: the connection cannot be reused.
        ex.header["Connection"] = ["close"];
        this.write(ex.res, this.errorAnswer(ex.header, err));
        return;
      }
      let params = "null";
      if (text.trim() !== "") {
        if (!isValidJson(text)) {
          const e = new ResError(ErrorCode.badRequest, "Error decoding request body: invalid JSON");
          this.write(ex.res, this.errorAnswer(ex.header, e));
          return;
        }
        params = compact(text);
      }
      this.temporary(ex, (conn, done) => {
        conn.callHttp(rid, action, params, (r) => {
          if (r.err || r.rid !== undefined || isDirectResponseStatus(r.meta)) {
            done({ err: r.err, href: ridToPath(r.rid ?? "", this.opts.apiPath), meta: r.meta });
            return;
          }
          done({ body: this.opts.encoder.encodePost(r.resultJson ?? "null"), meta: r.meta });
        });
      });
    });
  }

  /**
   * Serves a request with a short-lived connection (Resgate's temporaryConn): header
   * authentication first when configured, then `work`, whose outcome becomes the
   * response. The connection is disposed of once answered.
   */
  private temporary(
    ex: Exchange,
    work: (conn: Connection, done: (o: Outcome) => void) => void,
  ): void {
    this.open(ex, NO_TRANSPORT, (conn, authMeta) => {
      let answered = false;
      work(conn, (out) => {
        if (answered) return;
        answered = true;
        conn.dispose();
        this.write(ex.res, this.answer(ex, out, authMeta));
      });
    });
  }

  /**
   * Opens a connection for a request and runs `then` on its queue, after header
   * authentication when configured. A 503 while stopping, or a direct meta status
   * from the auth reply, answers the request instead.
   */
  private open(
    ex: Exchange,
    transport: ConnectionTransport,
    then: (conn: Connection, authMeta: Meta | undefined) => void,
  ): Connection | undefined {
    if (this.stopping) {
      this.write(ex.res, this.errorAnswer(ex.header, Errors.serviceUnavailable()));
      return undefined;
    }
    const o = this.opts;
    const conn = new Connection(newCid(), o.context, transport, requestInfo(ex.req));
    conn.protocolVersion = ProtocolVersion.latest;
    conn.isHttp = true;
    const auth = o.headerAuth;
    // A stream lives on: token events and token resets reach it. So do they a request
    // whose header auth may set a token; other requests need neither.
    if (auth || transport !== NO_TRANSPORT) conn.start();
    if (!auth) {
      conn.enqueue(() => then(conn, undefined));
      return conn;
    }
    void conn.headerAuth(auth.rid, auth.method).then((r) => {
      if (isDirectResponseStatus(r.meta) && r.meta?.status !== undefined) {
        conn.dispose();
        const href = ridToPath(r.rid ?? "", o.apiPath);
        this.write(ex.res, this.statusAnswer(ex.header, r.meta, href, r.err));
        return;
      }
      conn.enqueue(() => then(conn, r.meta));
    });
    return conn;
  }

  /**
   * A GET as an event stream: the resource first, then its events, for as long as the
   * client stays and may get it. Failures are answered as a plain GET would be.
   */
  private stream(ex: Exchange, rid: string): void {
    const o = this.opts;
    // The stream's callbacks run only once the connection below exists.
    const stream: SseStream = new SseStream(ex.res, {
      rid,
      apiPath: o.apiPath,
      encoder: o.encoder,
      lookup: (r) => conn?.subs.get(r),
      heartbeatMs: o.sse.heartbeatMs,
      maxBufferedBytes: o.sse.maxBufferedBytes,
      lastEventId: parseLastEventId(ex.req.headersDistinct["last-event-id"]?.[0]),
      onEnd: (reason) => {
        this.streams.delete(stream);
        conn?.dispose();
        if (reason === "slow") o.onSlowConsumer?.();
      },
    });
    const conn = this.open(ex, stream, (c, authMeta) => {
      c.getHttp(rid, (r) => {
        const answer = (out: Outcome) => {
          c.dispose();
          this.write(ex.res, this.answer(ex, out, authMeta));
        };
        if (!r.sub || isDirectResponseStatus(r.meta)) {
          answer({ err: r.err, meta: r.meta });
          return;
        }
        let body: string;
        try {
          body = o.encoder.encodeGet(r.sub);
        } catch (err) {
          answer({ err: err instanceof ResError ? err : Errors.internalError(), meta: r.meta });
          return;
        }
        // The headers a plain GET would get (an outcome without a body answers 204
        // unless the meta says otherwise), with the stream's own content type.
        const head = this.answer(ex, { meta: r.meta }, authMeta);
        if (head.status !== 204 || ex.res.destroyed) {
          c.dispose();
          if (!ex.res.destroyed) this.write(ex.res, head);
          return;
        }
        for (const [k, v] of safeHeaderLines(head.header)) ex.res.setHeader(k, v);
        ex.res.writeHead(200, {
          "Content-Type": "text/event-stream",
          "Cache-Control": "no-cache",
          "X-Accel-Buffering": "no",
        });
        this.streams.add(stream);
        stream.start(body);
        c.streamHttp(r.sub);
      });
    });
  }

  /** The response for a request's outcome, with the header auth reply's meta merged in. */
  private answer(ex: Exchange, out: Outcome, authMeta: Meta | undefined): HttpAnswer {
    const header = ex.header;
    let meta = mergeMeta(authMeta, out.meta);
    if (!isValidMetaStatus(meta)) {
      this.opts.log.error({ status: meta?.status }, `Invalid meta status: ${meta?.status}`);
      meta = { status: undefined, header: meta?.header };
    }
    if (isDirectResponseStatus(meta) && meta?.status !== undefined) {
      return this.statusAnswer(header, meta, out.href ?? "", out.err);
    }
    mergeHeader(header, meta?.header);
    if (out.err) {
      let err = out.err;
      const m = ex.req.method;
      if (
        err.code === ErrorCode.methodNotFound &&
        (m === "PUT" || m === "DELETE" || m === "PATCH")
      ) {
        err = Errors.methodNotAllowed();
      }
      return this.errorAnswer(header, err);
    }
    if (out.href) {
      header["Location"] = [out.href];
      return { status: 200, header, body: undefined };
    }
    if (out.body !== undefined && out.body !== "") {
      header["Content-Type"] = [this.opts.encoder.contentType];
      const m = ex.req.method;
      if (m === "GET" || m === "HEAD") {
        // Caching (beyond Resgate): the body's hash as a strong validator.
        const etag = `"${createHash("sha1").update(out.body).digest("base64url")}"`;
        header["Etag"] = [etag];
        if (matchesEtag(ex.req.headersDistinct["if-none-match"], etag)) {
          delete header["Content-Type"];
          return { status: 304, header, body: undefined };
        }
      }
      return { status: 200, header, body: out.body };
    }
    return { status: 204, header, body: undefined };
  }

  private statusAnswer(
    header: HeaderMap,
    meta: Meta,
    href: string,
    err: ResError | undefined,
  ): HttpAnswer {
    const enc = this.opts.encoder;
    return statusAnswer(
      header,
      { status: meta.status ?? 500, metaHeader: meta.header, href, err },
      { contentType: enc.contentType, error: (e) => enc.encodeError(e) },
    );
  }

  private errorAnswer(header: HeaderMap, err: ResError): HttpAnswer {
    header["Content-Type"] = [this.opts.encoder.contentType];
    return { status: errorStatus(err), header, body: this.opts.encoder.encodeError(err) };
  }

  private notFound(header: HeaderMap): HttpAnswer {
    header["Content-Type"] = [this.opts.encoder.contentType];
    return { status: 404, header, body: this.opts.encoder.notFound };
  }
}

/** One request being served, and the headers set on its response so far. */
interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  header: HeaderMap;
}

/** Reads a request body of at most MAX_HTTP_BODY_BYTES as UTF-8 text. */
function readBody(
  req: IncomingMessage,
  cb: (err: ResError | undefined, text: string) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const finish = (err: ResError | undefined) => {
    if (finished) return;
    finished = true;
    cb(err, err ? "" : Buffer.concat(chunks).toString("utf8"));
  };
  req.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_HTTP_BODY_BYTES) {
      req.pause();
      finish(
        new ResError(ErrorCode.badRequest, "Error reading request body: request body too large"),
      );
      return;
    }
    if (!finished) chunks.push(chunk);
  });
  req.on("end", () => finish(undefined));
  req.on("error", (e) =>
    finish(new ResError(ErrorCode.badRequest, "Error reading request body: " + e.message)),
  );
}

/** Whether an If-None-Match header lists `etag` (weak comparison) or is "*". */
function matchesEtag(values: readonly string[] | undefined, etag: string): boolean {
  if (!values) return false;
  for (const v of values) {
    for (const tag of v.split(",")) {
      const t = tag.trim();
      if (t === "*" || t === etag || t === "W/" + etag) return true;
    }
  }
  return false;
}

/**
 * Decodes a client frame and routes it to the connection (Resgate's rpc.go).
 * Frames that are not requests get no reply at all; every request gets exactly one.
 * @see https://github.com/resgateio/resgate/blob/master/docs/res-client-protocol.md#requests
 */
import {
  Errors,
  decodeClientRequest,
  encodeError,
  encodeResult,
  isNull,
  isValidRid,
  isValidRidPart,
  member,
  readInt,
  readObject,
  readString,
  toResError,
  type ResError,
} from "@resgate-ts/protocol";

/** The connection's request handlers; each answers through `reply` exactly once. */
export interface RequestHandler {
  version(protocol: string, reply: Reply): void;
  get(rid: string, reply: Reply): void;
  subscribe(rid: string, reply: Reply): void;
  unsubscribe(rid: string, count: number, reply: Reply): void;
  call(rid: string, method: string, paramsJson: string, reply: Reply): void;
  auth(rid: string, method: string, paramsJson: string, reply: Reply): void;
  newResource(rid: string, paramsJson: string, reply: Reply): void;
}

/** Answers one request: with a result (JSON text, or undefined for none) or an error. */
export interface Reply {
  result(json: string | undefined): void;
  error(err: ResError): void;
}

/**
 * Handles one client frame. `send` writes the response frame and is called exactly
 * once for a request, never for a frame that is not one. Returns whether the frame
 * was a request.
 */
export function dispatch(
  text: string,
  handler: RequestHandler,
  send: (frame: string) => void,
): boolean {
  const req = decodeClientRequest(text);
  if (!req) return false;
  const id = req.id;
  let answered = false;
  const reply: Reply = {
    result: (json) => {
      if (answered) return;
      answered = true;
      send(encodeResult(id, json));
    },
    error: (err) => {
      if (answered) return;
      answered = true;
      send(encodeError(id, err));
    },
  };
  try {
    route(req.method, req.params, handler, reply);
  } catch (err) {
    // A bug must not leave a request unanswered (nor its in-flight slot taken).
    reply.error(toResError(err));
  }
  return true;
}

function route(
  method: string,
  params: string | undefined,
  handler: RequestHandler,
  reply: Reply,
): void {
  const dot = method.indexOf(".");
  if (dot < 0) {
    if (method !== "version") {
      reply.error(Errors.invalidRequest());
      return;
    }
    let protocol: string | undefined = "";
    if (!isNull(params)) {
      const o = readObject(params);
      const p = o && member(o, "protocol");
      protocol = o === undefined ? undefined : isNull(p) ? "" : readString(p);
    }
    if (protocol === undefined) reply.error(Errors.invalidParams());
    else handler.version(protocol, reply);
    return;
  }

  const action = method.slice(0, dot);
  let rid = method.slice(dot + 1);
  let callMethod = "";
  if (action === "call" || action === "auth") {
    const last = rid.lastIndexOf(".");
    callMethod = last < 0 ? "" : rid.slice(last + 1);
    if (last < 0 || !isValidRidPart(callMethod)) {
      reply.error(Errors.invalidRequest());
      return;
    }
    rid = rid.slice(0, last);
  }
  if (!isValidRid(rid, true)) {
    reply.error(Errors.invalidRequest());
    return;
  }
  const paramsJson = params ?? "null";

  switch (action) {
    case "get":
      handler.get(rid, reply);
      break;
    case "subscribe":
      handler.subscribe(rid, reply);
      break;
    case "unsubscribe": {
      // params null or {} count as one; a count must be a positive integer literal.
      let count: number | undefined = 1;
      if (!isNull(params)) {
        const o = readObject(params);
        const c = o && member(o, "count");
        count = o === undefined ? undefined : isNull(c) ? 1 : readInt(c);
      }
      if (count === undefined || count <= 0) reply.error(Errors.invalidParams());
      else handler.unsubscribe(rid, count, reply);
      break;
    }
    case "call":
      handler.call(rid, callMethod, paramsJson, reply);
      break;
    case "auth":
      handler.auth(rid, callMethod, paramsJson, reply);
      break;
    case "new":
      handler.newResource(rid, paramsJson, reply);
      break;
    default:
      reply.error(Errors.invalidRequest());
  }
}

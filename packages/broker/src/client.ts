/**
 * One client connection: the protocol parser for what it sends and the coalescing
 * output queue for what it receives.
 *
 * The parser works on whole control lines located with Buffer#indexOf (native and
 * fast) and on payloads of announced length, so it copes with any TCP chunking:
 * a partial line is kept until its LF arrives (bounded by the max control line), a
 * payload split across reads is assembled once into a buffer of the announced size.
 * Anything it cannot parse closes the connection with an -ERR, never an exception.
 *
 * Output is gathered into one buffer per client and written once per event-loop turn
 * (the broker schedules the flush), so a fan-out of many small messages costs one
 * syscall per subscriber rather than one per message.
 */
import type { Socket } from "node:net";
import { ErrorText, OK, PING, PONG, errFrame } from "./protocol.js";
import { isValidLiteralSubject } from "./subject.js";
import type { Indexable } from "./sublist.js";

/** Severity passed to the broker's logger. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Limits and settings every connection needs (resolved broker options). */
export interface ClientLimits {
  readonly maxPayload: number;
  readonly maxPending: number;
  readonly maxControlLine: number;
  readonly maxPingsOut: number;
  readonly authTimeout: number;
  readonly token: string | undefined;
}

/** Counters shared by all connections of one broker. */
export interface MutableStats {
  inMsgs: number;
  inBytes: number;
  outMsgs: number;
  outBytes: number;
  slowConsumers: number;
}

/** The arguments of the PUB/HPUB being processed. */
export interface PubArgs {
  subject: string;
  reply: string | undefined;
  /** Header length; -1 when the message has no headers. */
  hdr: number;
}

/** What a connection needs from its broker. */
export interface ClientHost {
  readonly limits: ClientLimits;
  readonly stats: MutableStats;
  infoLine(client: Client): string;
  route(from: Client, pub: PubArgs, payload: Buffer): void;
  /** Adds to the index; false if the subject is invalid. */
  subscribe(sub: Subscription): boolean;
  unsubscribe(sub: Subscription): void;
  clientClosed(client: Client, reason: string): void;
  socketClosed(client: Client): void;
  markDirty(client: Client): void;
  log(level: LogLevel, msg: string): void;
}

/** A client's subscription, as stored in the index. */
export class Subscription implements Indexable {
  /** Messages delivered so far (UNSUB <sid> <max> compares against it). */
  delivered = 0;
  /** Auto-unsubscribe after this many messages; 0 = no limit. */
  max = 0;
  closed = false;
  /** The sid as it goes on the wire, encoded once. */
  readonly sidBytes: Buffer;

  constructor(
    readonly client: Client,
    readonly subject: string,
    readonly queue: string | undefined,
    readonly sid: string,
  ) {
    this.sidBytes = Buffer.from(sid, "latin1");
  }
}

/**
 * The message being routed, with the bytes around the sid of its MSG/HMSG line
 * ("MSG <subject> " and " [reply] <size>\r\n") encoded once, lazily, and shared by
 * every subscription it goes to: per subscription only bytes are copied, no strings
 * are built. The broker reuses one instance because routing is synchronous.
 */
export class OutMsg {
  subject = "";
  reply: string | undefined = undefined;
  hdr = -1;
  payload: Buffer = Buffer.alloc(0);
  /** Holds the encoded pieces of the current message; they are copied, never referenced. */
  private readonly scratch: Buffer;
  private used = 0;
  private mHead: Buffer | undefined;
  private mTail: Buffer | undefined;
  private hHead: Buffer | undefined;
  private hTail: Buffer | undefined;
  private sTail: Buffer | undefined;

  /** @param maxControlLine bounds subject + reply, hence the size of every piece. */
  constructor(maxControlLine: number) {
    this.scratch = Buffer.allocUnsafe(5 * (maxControlLine + 64));
  }

  reset(pub: PubArgs, payload: Buffer): void {
    if (
      pub.subject === this.subject &&
      pub.reply === this.reply &&
      pub.hdr === this.hdr &&
      payload.length === this.payload.length
    ) {
      // Same line as the previous message (a stream on one subject): keep the pieces.
      this.payload = payload;
      return;
    }
    this.subject = pub.subject;
    this.reply = pub.reply;
    this.hdr = pub.hdr;
    this.payload = payload;
    this.used = 0;
    this.mHead = this.mTail = this.hHead = this.hTail = this.sTail = undefined;
  }

  private encode(s: string): Buffer {
    const start = this.used;
    this.used += this.scratch.write(s, start, "latin1");
    return this.scratch.subarray(start, this.used);
  }

  private replyPart(): string {
    return this.reply === undefined ? " " : ` ${this.reply} `;
  }

  /** "MSG <subject> " */
  msgHead(): Buffer {
    return (this.mHead ??= this.encode(`MSG ${this.subject} `));
  }

  /** " [reply] <size>\r\n" for a message without headers. */
  msgTail(): Buffer {
    return (this.mTail ??= this.encode(`${this.replyPart()}${this.payload.length}\r\n`));
  }

  /** "HMSG <subject> " */
  hmsgHead(): Buffer {
    return (this.hHead ??= this.encode(`HMSG ${this.subject} `));
  }

  /** " [reply] <hdr> <total>\r\n" */
  hmsgTail(): Buffer {
    return (this.hTail ??= this.encode(
      `${this.replyPart()}${this.hdr} ${this.payload.length}\r\n`,
    ));
  }

  /** For a subscriber without header support: headers stripped, as nats-server does. */
  strippedTail(): Buffer {
    return (this.sTail ??= this.encode(`${this.replyPart()}${this.payload.length - this.hdr}\r\n`));
  }
}

const CR = 0x0d;
const LF = 0x0a;
const ST_OP = 0;
const ST_PAYLOAD = 1;

/** Initial (and steady-state) size of a client's output buffer. */
const OUT_INITIAL = 32 * 1024;
/** A bigger output buffer is replaced after a flush instead of being kept. */
const OUT_MAX_REUSE = 1024 * 1024;
/** Flush immediately (not at the end of the turn) once this much is queued. */
const FLUSH_NOW = 256 * 1024;
/** Payloads at least this big are queued by reference instead of being copied. */
const ZERO_COPY_MIN = 32 * 1024;
/** After we close, how long the peer has to read our last bytes before the socket is destroyed. */
const LINGER_MS = 2000;
/** Bytes of a partial line checked against the op names (longest op plus separator). */
const OP_PREFIX = 8;
/** A partial line may exceed the max control line (which counts arguments only) by this. */
const LINE_SLACK = 16;

/** Longest subject remembered for the repeated-subject shortcut. */
const LAST_SUBJECT_MAX = 128;

/** Token bounds scratch space (routing is synchronous, so one set suffices). */
const MAX_TOKENS = 6;
const tokStart = new Int32Array(MAX_TOKENS);
const tokEnd = new Int32Array(MAX_TOKENS);

/** Splits buf[start, end) on spaces and tabs (and CR/LF when `crlf`, as nats-server's
 * splitArg does for SUB/UNSUB); returns the token count, MAX_TOKENS + 1 if too many. */
function tokenize(buf: Buffer, start: number, end: number, crlf: boolean): number {
  let n = 0;
  let s = -1;
  for (let i = start; i <= end; i++) {
    const b = i === end ? 0x20 : buf[i];
    if (b === 0x20 || b === 0x09 || (crlf && (b === CR || b === LF))) {
      if (s >= 0) {
        if (n === MAX_TOKENS) return MAX_TOKENS + 1;
        tokStart[n] = s;
        tokEnd[n] = i;
        n++;
        s = -1;
      }
    } else if (s < 0) {
      s = i;
    }
  }
  return n;
}

function tokenString(buf: Buffer, i: number): string {
  // latin1 maps bytes 1:1 to chars, so subjects round-trip byte-exactly into MSG lines.
  return buf.toString("latin1", tokStart[i] ?? 0, tokEnd[i] ?? 0);
}

/** nats-server's parseSize: 1 to 9 decimal digits, else -1. */
function tokenSize(buf: Buffer, i: number): number {
  const s = tokStart[i] ?? 0;
  const e = tokEnd[i] ?? 0;
  if (e - s === 0 || e - s > 9) return -1;
  let n = 0;
  for (let k = s; k < e; k++) {
    const d = (buf[k] ?? 0) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Compares buf[at..] with a lower-case letter sequence, case-insensitively. */
function letters(buf: Buffer, at: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) {
    // `| 0x20` folds only an upper-case letter onto its lower-case twin here,
    // because every char of `word` is a lower-case letter.
    if (((buf[at + i] ?? 0) | 0x20) !== word.charCodeAt(i)) return false;
  }
  return true;
}

function isSep(b: number | undefined): boolean {
  return b === 0x20 || b === 0x09;
}

/** Op spellings for the early check of a partial line: lower-case letters, "_" = a space or tab. */
const OP_TEMPLATES = [
  "pub_",
  "hpub_",
  "sub_",
  "unsub_",
  "ping",
  "pong",
  "connect",
  "info",
  "+ok",
  "-err_",
];

function validOpPrefix(prefix: Uint8Array, len: number): boolean {
  outer: for (const t of OP_TEMPLATES) {
    const n = Math.min(len, t.length);
    for (let i = 0; i < n; i++) {
      const b = prefix[i] ?? 0;
      const c = t.charCodeAt(i);
      if (c === 0x5f /* _ */) {
        if (!isSep(b)) continue outer;
      } else if (c === 0x2b || c === 0x2d /* + - */) {
        if (b !== c) continue outer;
      } else if ((b | 0x20) !== c) {
        continue outer;
      }
    }
    return true;
  }
  return false;
}

function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= a.charCodeAt(i % (a.length || 1)) ^ b.charCodeAt(i);
  return diff === 0;
}

class ConnectOptionError extends Error {}

function optBool(o: Record<string, unknown>, key: string, current: boolean): boolean {
  const v = o[key];
  if (v === undefined || v === null) return current;
  if (typeof v !== "boolean") throw new ConnectOptionError(`CONNECT ${key} is not a boolean`);
  return v;
}

function optString(o: Record<string, unknown>, key: string, current: string): string {
  const v = o[key];
  if (v === undefined || v === null) return current;
  if (typeof v !== "string") throw new ConnectOptionError(`CONNECT ${key} is not a string`);
  return v;
}

function optInt(o: Record<string, unknown>, key: string, current: number): number {
  const v = o[key];
  if (v === undefined || v === null) return current;
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new ConnectOptionError(`CONNECT ${key} is not an integer`);
  }
  return v;
}

/** One client connection. Created by the broker for each accepted socket. */
export class Client {
  // CONNECT options, with nats-server's defaults for a client that has not sent them.
  verbose = true;
  pedantic = true;
  echo = true;
  headers = false;
  noResponders = false;
  protocol = 0;
  name = "";
  lang = "";
  version = "";
  connectReceived = false;

  /** No longer served (subscriptions removed); the socket may still be lingering. */
  closed = false;
  /** Queued in the broker's flush list. */
  dirty = false;
  /** Received something since the last ping check. */
  active = true;
  pingsOut = 0;
  readonly subs = new Map<string, Subscription>();

  // Parser state.
  private state = ST_OP;
  private lineParts: Buffer[] = [];
  private lineLen = 0;
  private readonly pub: PubArgs = { subject: "", reply: undefined, hdr: -1 };
  private pubSize = 0;
  private payloadBuf: Buffer | null = null;
  private payloadFill = 0;
  /** The last PUB subject's bytes and string, to skip decoding a repeated subject. */
  private readonly lastSubjectBytes = new Uint8Array(LAST_SUBJECT_MAX);
  private lastSubjectLen = -1;
  private lastSubject = "";

  // Output state: bytes [segStart, outLen) of `out` are queued and not yet sealed into
  // `chunks`; sealed chunks may reference `out` or (large payloads) a publisher's buffer.
  private out = Buffer.allocUnsafe(OUT_INITIAL);
  private outLen = 0;
  private segStart = 0;
  private chunks: Buffer[] = [];
  /** Bytes queued here and not yet handed to the socket. */
  private queued = 0;
  private waitingDrain = false;

  private authTimer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: number,
    readonly socket: Socket,
    private readonly host: ClientHost,
  ) {
    const limits = host.limits;
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("drain", () => {
      this.waitingDrain = false;
      this.flush();
    });
    socket.on("end", () => this.close("client closed the connection"));
    socket.on("error", (err) => {
      this.close(`socket error: ${err.message}`);
      socket.destroy();
    });
    socket.on("close", () => {
      if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
      this.close("socket closed");
      host.socketClosed(this);
    });
    if (limits.token !== undefined) {
      this.authTimer = setTimeout(() => {
        if (!this.connectReceived) this.close("authentication timeout", ErrorText.authTimeout);
      }, limits.authTimeout);
      this.authTimer.unref();
    }
    this.queueProto(host.infoLine(this));
    this.flush();
  }

  /** Human-readable id for logs. */
  get label(): string {
    const who = this.name ? ` "${this.name}"` : "";
    return `cid:${this.id}${who} ${this.socket.remoteAddress ?? "?"}:${this.socket.remotePort ?? 0}`;
  }

  // ---------------------------------------------------------------- parsing

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.active = true;
    try {
      this.parse(chunk);
    } catch (err) {
      // A bug here must cost one connection, never the process.
      this.host.log("error", `${this.label}: internal error: ${String(err)}`);
      this.close("internal error", ErrorText.unknownOperation);
    }
  }

  private awaitingAuth(): boolean {
    return this.host.limits.token !== undefined && !this.connectReceived;
  }

  private parse(buf: Buffer): void {
    const len = buf.length;
    let pos = 0;
    while (pos < len && !this.closed) {
      if (this.state === ST_PAYLOAD) {
        pos = this.readPayload(buf, pos);
        continue;
      }
      if (this.lineLen === 0) {
        // Like nats-server: before CONNECT on an auth-required broker, any op but
        // CONNECT is a violation, detected on its first byte.
        if (this.awaitingAuth()) {
          const b = buf[pos];
          if (b !== 0x43 && b !== 0x63) {
            this.close("operation before CONNECT", ErrorText.authorization);
            return;
          }
        }
        const nl = buf.indexOf(LF, pos);
        if (nl < 0) {
          this.stashLine(buf.subarray(pos));
          return;
        }
        this.processLine(buf, pos, nl);
        pos = nl + 1;
      } else {
        const nl = buf.indexOf(LF, pos);
        if (nl < 0) {
          this.stashLine(buf.subarray(pos));
          return;
        }
        this.lineParts.push(buf.subarray(pos, nl + 1));
        const line = Buffer.concat(this.lineParts, this.lineLen + nl + 1 - pos);
        this.lineParts = [];
        this.lineLen = 0;
        this.processLine(line, 0, line.length - 1);
        pos = nl + 1;
      }
    }
  }

  /** Keeps the start of a control line until its LF arrives. */
  private stashLine(piece: Buffer): void {
    this.lineParts.push(piece);
    this.lineLen += piece.length;
    if (this.lineLen > this.host.limits.maxControlLine + LINE_SLACK) {
      this.close("control line too long", ErrorText.maxControlLine);
      return;
    }
    // Reject garbage without waiting for a line feed that may never come.
    const prefix = new Uint8Array(OP_PREFIX);
    let n = 0;
    for (const part of this.lineParts) {
      for (let i = 0; i < part.length && n < OP_PREFIX; i++) prefix[n++] = part[i] ?? 0;
      if (n === OP_PREFIX) break;
    }
    if (!validOpPrefix(prefix, n)) this.protocolError("unknown operation");
  }

  /** Handles the control line buf[start, nl) (nl is the index of its LF). */
  private processLine(buf: Buffer, start: number, nl: number): void {
    let end = nl;
    if (end > start && buf[end - 1] === CR) end--;
    switch (buf[start]) {
      case 0x50: // P
      case 0x70: // p
        if (letters(buf, start + 1, "ub") && isSep(buf[start + 3])) {
          return this.onPub(buf, start + 4, end);
        }
        if (letters(buf, start + 1, "ing")) return this.queueProto(PONG);
        if (letters(buf, start + 1, "ong")) {
          this.pingsOut = 0;
          return;
        }
        break;
      case 0x48: // H
      case 0x68: // h
        if (letters(buf, start + 1, "pub") && isSep(buf[start + 4])) {
          return this.onHpub(buf, start + 5, end);
        }
        break;
      case 0x53: // S
      case 0x73: // s
        if (letters(buf, start + 1, "ub") && isSep(buf[start + 3])) {
          return this.onSub(buf, start + 4, end);
        }
        break;
      case 0x55: // U
      case 0x75: // u
        if (letters(buf, start + 1, "nsub") && isSep(buf[start + 5])) {
          return this.onUnsub(buf, start + 6, end);
        }
        break;
      case 0x43: // C
      case 0x63: // c
        if (letters(buf, start + 1, "onnect")) return this.onConnect(buf, start + 7, end);
        break;
      case 0x49: // I
      case 0x69: // i
        if (letters(buf, start + 1, "nfo")) return this.onInfo(buf, start + 4, end);
        break;
      case 0x2b: // +
        if (letters(buf, start + 1, "ok")) return; // clients may echo +OK; nothing to do
        break;
      case 0x2d: // -
        if (letters(buf, start + 1, "err") && isSep(buf[start + 4])) {
          // A client reporting an error is closed, as nats-server does.
          const text = buf.toString("utf8", start + 5, end).trim();
          this.host.log("warn", `${this.label}: client error ${text}`);
          this.close(`client sent -ERR ${text}`);
          return;
        }
        break;
      default:
        break;
    }
    this.protocolError(
      `unknown operation ${JSON.stringify(buf.toString("latin1", start, Math.min(end, start + 32)))}`,
    );
  }

  /** Arguments longer than the max control line are refused, as nats-server does. */
  private argTooLong(start: number, end: number): boolean {
    if (end - start <= this.host.limits.maxControlLine) return false;
    this.close("control line too long", ErrorText.maxControlLine);
    return true;
  }

  /** The subject token as a string; a subject equal to the previous one is not decoded again. */
  private subjectToken(buf: Buffer): string {
    const s = tokStart[0] ?? 0;
    const n = (tokEnd[0] ?? 0) - s;
    const last = this.lastSubjectBytes;
    if (n === this.lastSubjectLen) {
      let i = 0;
      while (i < n && buf[s + i] === last[i]) i++;
      if (i === n) return this.lastSubject;
    }
    const subject = tokenString(buf, 0);
    if (n <= LAST_SUBJECT_MAX) {
      last.set(buf.subarray(s, s + n));
      this.lastSubjectLen = n;
      this.lastSubject = subject;
    }
    return subject;
  }

  private onPub(buf: Buffer, start: number, end: number): void {
    if (this.argTooLong(start, end)) return;
    const n = tokenize(buf, start, end, false);
    let size: number;
    const pub = this.pub;
    if (n === 2) {
      pub.subject = this.subjectToken(buf);
      pub.reply = undefined;
      size = tokenSize(buf, 1);
    } else if (n === 3) {
      pub.subject = this.subjectToken(buf);
      pub.reply = tokenString(buf, 1);
      size = tokenSize(buf, 2);
    } else {
      return this.protocolError("PUB needs <subject> [reply] <size>");
    }
    if (size < 0) return this.protocolError("PUB has a bad size");
    pub.hdr = -1;
    this.startPayload(size);
  }

  private onHpub(buf: Buffer, start: number, end: number): void {
    if (this.argTooLong(start, end)) return;
    if (!this.headers) {
      this.close("HPUB without headers in CONNECT", ErrorText.headersNotSupported);
      return;
    }
    const n = tokenize(buf, start, end, false);
    let hdr: number;
    let size: number;
    const pub = this.pub;
    if (n === 3) {
      pub.subject = this.subjectToken(buf);
      pub.reply = undefined;
      hdr = tokenSize(buf, 1);
      size = tokenSize(buf, 2);
    } else if (n === 4) {
      pub.subject = this.subjectToken(buf);
      pub.reply = tokenString(buf, 1);
      hdr = tokenSize(buf, 2);
      size = tokenSize(buf, 3);
    } else {
      return this.protocolError("HPUB needs <subject> [reply] <hdr_size> <total_size>");
    }
    if (hdr < 0 || size < 0 || hdr > size) return this.protocolError("HPUB has bad sizes");
    // A zero-length header section is delivered as a plain MSG (nats-server: hdr > 0).
    pub.hdr = hdr === 0 ? -1 : hdr;
    this.startPayload(size);
  }

  private startPayload(size: number): void {
    if (size > this.host.limits.maxPayload) {
      this.host.log(
        "warn",
        `${this.label}: payload ${size} exceeds max_payload ${this.host.limits.maxPayload}`,
      );
      this.close("maximum payload exceeded", ErrorText.maxPayload);
      return;
    }
    if (this.pedantic && !isValidLiteralSubject(this.pub.subject)) {
      // nats-server reports it but still delivers the message.
      this.queueProto(errFrame(ErrorText.invalidPublishSubject));
    }
    this.pubSize = size;
    this.state = ST_PAYLOAD;
  }

  private readPayload(buf: Buffer, pos: number): number {
    const size = this.pubSize;
    const len = buf.length;
    let pb = this.payloadBuf;
    if (pb === null) {
      if (len - pos >= size + 2) {
        // Whole payload in this chunk: route a view of it, no copy.
        if (buf[pos + size] !== CR || buf[pos + size + 1] !== LF) {
          this.protocolError("payload is not followed by CRLF");
          return len;
        }
        this.state = ST_OP;
        this.publish(buf.subarray(pos, pos + size));
        return pos + size + 2;
      }
      pb = this.payloadBuf = Buffer.allocUnsafe(size + 2);
      this.payloadFill = 0;
    }
    const n = Math.min(size + 2 - this.payloadFill, len - pos);
    buf.copy(pb, this.payloadFill, pos, pos + n);
    this.payloadFill += n;
    if (this.payloadFill > size && pb[size] !== CR) {
      this.protocolError("payload is not followed by CRLF");
      return len;
    }
    if (this.payloadFill === size + 2) {
      if (pb[size + 1] !== LF) {
        this.protocolError("payload is not followed by CRLF");
        return len;
      }
      this.payloadBuf = null;
      this.state = ST_OP;
      this.publish(pb.subarray(0, size));
    }
    return pos + n;
  }

  private publish(payload: Buffer): void {
    if (this.verbose) this.queueProto(OK);
    this.host.route(this, this.pub, payload);
  }

  private onSub(buf: Buffer, start: number, end: number): void {
    if (this.argTooLong(start, end)) return;
    const n = tokenize(buf, start, end, true);
    let subject: string;
    let queue: string | undefined;
    let sid: string;
    if (n === 2) {
      subject = tokenString(buf, 0);
      sid = tokenString(buf, 1);
    } else if (n === 3) {
      subject = tokenString(buf, 0);
      queue = tokenString(buf, 1);
      sid = tokenString(buf, 2);
    } else {
      return this.protocolError("SUB needs <subject> [queue] <sid>");
    }
    if (!this.subs.has(sid)) {
      // A repeated sid is ignored (and acknowledged), as nats-server does.
      const sub = new Subscription(this, subject, queue, sid);
      if (!this.host.subscribe(sub)) {
        this.queueProto(errFrame(ErrorText.invalidSubject));
        return;
      }
      this.subs.set(sid, sub);
    }
    if (this.verbose) this.queueProto(OK);
  }

  private onUnsub(buf: Buffer, start: number, end: number): void {
    if (this.argTooLong(start, end)) return;
    const n = tokenize(buf, start, end, true);
    if (n !== 1 && n !== 2) return this.protocolError("UNSUB needs <sid> [max_msgs]");
    const sid = tokenString(buf, 0);
    const max = n === 2 ? tokenSize(buf, 1) : -1;
    const sub = this.subs.get(sid);
    if (sub !== undefined) {
      if (max > 0 && max > sub.delivered) sub.max = max;
      else this.removeSub(sub);
    }
    if (this.verbose) this.queueProto(OK);
  }

  /** Removes one of this client's subscriptions from the client and the index. */
  removeSub(sub: Subscription): void {
    if (sub.closed) return;
    sub.closed = true;
    this.subs.delete(sub.sid);
    this.host.unsubscribe(sub);
  }

  private onConnect(buf: Buffer, start: number, end: number): void {
    let a = start;
    while (a < end && isSep(buf[a])) a++;
    if (this.argTooLong(a, end)) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(buf.toString("utf8", a, end));
    } catch {
      return this.protocolError("CONNECT is not valid JSON");
    }
    // Go's json.Unmarshal of `null` leaves the options as they are.
    const o = (parsed ?? {}) as Record<string, unknown>;
    if (typeof o !== "object" || Array.isArray(o)) {
      return this.protocolError("CONNECT is not a JSON object");
    }
    let token: string;
    let account: string;
    let newAccount: boolean;
    try {
      // Fields not sent keep their current value (nats-server unmarshals onto them).
      this.verbose = optBool(o, "verbose", this.verbose);
      this.pedantic = optBool(o, "pedantic", this.pedantic);
      this.echo = optBool(o, "echo", this.echo);
      this.headers = optBool(o, "headers", this.headers);
      this.noResponders = optBool(o, "no_responders", this.noResponders);
      this.protocol = optInt(o, "protocol", this.protocol);
      this.name = optString(o, "name", this.name);
      this.lang = optString(o, "lang", this.lang);
      this.version = optString(o, "version", this.version);
      token = optString(o, "auth_token", "");
      account = optString(o, "account", "");
      newAccount = optBool(o, "new_account", false);
    } catch (err) {
      return this.protocolError(err instanceof Error ? err.message : "bad CONNECT");
    }
    const expected = this.host.limits.token;
    if ((expected !== undefined && !constantTimeEqual(token, expected)) || account || newAccount) {
      this.host.log("warn", `${this.label}: authorization violation`);
      this.close("authorization violation", ErrorText.authorization);
      return;
    }
    if (this.protocol < 0 || this.protocol > 1) {
      this.close("unsupported protocol", ErrorText.badProtocol);
      return;
    }
    if (this.noResponders && !this.headers) {
      this.close("no_responders without headers", ErrorText.noRespondersRequiresHeaders);
      return;
    }
    this.connectReceived = true;
    if (this.authTimer !== undefined) {
      clearTimeout(this.authTimer);
      this.authTimer = undefined;
    }
    if (this.verbose) this.queueProto(OK);
  }

  private onInfo(buf: Buffer, start: number, end: number): void {
    // Clients have no business sending INFO; nats-server parses and ignores it.
    if (this.argTooLong(start, end)) return;
    try {
      JSON.parse(buf.toString("utf8", start, end));
    } catch {
      this.protocolError("INFO is not valid JSON");
    }
  }

  private protocolError(detail: string): void {
    this.host.log("debug", `${this.label}: protocol error: ${detail}`);
    this.close(`protocol error: ${detail}`, ErrorText.unknownOperation);
  }

  // ---------------------------------------------------------------- output

  /**
   * Queues one MSG/HMSG for `sub`. Returns false if nothing was queued (the
   * subscription or connection is gone, or the client just became a slow consumer).
   */
  deliver(sub: Subscription, m: OutMsg): boolean {
    if (this.closed) return false;
    const count = ++sub.delivered;
    if (sub.max > 0 && count >= sub.max) {
      // At the limit: deliver this one and unsubscribe; past it: drop (nats-server).
      this.removeSub(sub);
      if (count > sub.max) return false;
    }
    let body = m.payload;
    let queued: boolean;
    if (m.hdr < 0) {
      queued = this.queueFrame(m.msgHead(), sub.sidBytes, m.msgTail(), body);
    } else if (this.headers) {
      queued = this.queueFrame(m.hmsgHead(), sub.sidBytes, m.hmsgTail(), body);
    } else {
      body = body.subarray(m.hdr);
      queued = this.queueFrame(m.msgHead(), sub.sidBytes, m.strippedTail(), body);
    }
    if (!queued) return false;
    const stats = this.host.stats;
    stats.outMsgs++;
    stats.outBytes += body.length;
    return true;
  }

  /** Queues a control line (INFO, PONG, +OK, -ERR, ...). */
  queueProto(line: string): void {
    if (this.closed) return;
    if (this.overLimit(line.length)) return;
    this.reserve(line.length);
    this.writeLatin1(line);
    this.queued += line.length;
    this.schedule();
  }

  private overLimit(bytes: number): boolean {
    // Pending = queued here + still in the socket's buffer (not yet taken by the kernel).
    if (this.queued + this.socket.writableLength + bytes <= this.host.limits.maxPending) {
      return false;
    }
    this.host.stats.slowConsumers++;
    this.host.log(
      "warn",
      `${this.label}: slow consumer, more than ${this.host.limits.maxPending} bytes pending`,
    );
    // What is queued will never be read in time: drop it so the memory goes now.
    this.close("slow consumer", ErrorText.slowConsumer, true);
    return true;
  }

  /** Queues head + sid + tail (the MSG/HMSG line), the body and its CRLF. */
  private queueFrame(head: Uint8Array, sid: Uint8Array, tail: Uint8Array, body: Buffer): boolean {
    const lineLen = head.length + sid.length + tail.length;
    const total = lineLen + body.length + 2;
    if (this.overLimit(total)) return false;
    if (body.length >= ZERO_COPY_MIN) {
      // Large payload: reference it instead of copying it into our buffer.
      this.reserve(lineLen);
      this.put(head);
      this.put(sid);
      this.put(tail);
      this.seal();
      this.chunks.push(body);
      this.reserve(2);
    } else {
      this.reserve(total);
      this.put(head);
      this.put(sid);
      this.put(tail);
      this.out.set(body, this.outLen);
      this.outLen += body.length;
    }
    this.out[this.outLen++] = CR;
    this.out[this.outLen++] = LF;
    this.queued += total;
    this.schedule();
    return true;
  }

  /** Appends bytes (room must have been reserved). */
  private put(src: Uint8Array): void {
    const n = src.length;
    if (n <= 32) {
      // Short pieces: a plain loop beats the native copy's fixed overhead.
      const out = this.out;
      const o = this.outLen;
      for (let i = 0; i < n; i++) out[o + i] = src[i] ?? 0;
    } else {
      this.out.set(src, this.outLen);
    }
    this.outLen += n;
  }

  private writeLatin1(s: string): void {
    const out = this.out;
    let o = this.outLen;
    const n = s.length;
    if (n <= 64) {
      // Short strings: a plain loop beats the native call's fixed overhead.
      for (let i = 0; i < n; i++) out[o++] = s.charCodeAt(i);
      this.outLen = o;
    } else {
      this.outLen = o + out.write(s, o, "latin1");
    }
  }

  /** Makes room for `n` more bytes after outLen. */
  private reserve(n: number): void {
    if (this.outLen + n <= this.out.length) return;
    const used = this.outLen - this.segStart;
    let cap = this.out.length * 2;
    while (cap < used + n) cap *= 2;
    const bigger = Buffer.allocUnsafe(cap);
    // Only the unsealed part moves: sealed chunks keep referencing the old buffer.
    this.out.copy(bigger, 0, this.segStart, this.outLen);
    this.out = bigger;
    this.outLen = used;
    this.segStart = 0;
  }

  private seal(): void {
    if (this.outLen > this.segStart) {
      this.chunks.push(this.out.subarray(this.segStart, this.outLen));
      this.segStart = this.outLen;
    }
  }

  private schedule(): void {
    if (this.queued >= FLUSH_NOW && !this.waitingDrain) {
      this.flush();
    } else if (!this.dirty) {
      this.dirty = true;
      this.host.markDirty(this);
    }
  }

  /** Hands everything queued to the socket (called by the broker once per turn). */
  flush(): void {
    if (this.queued === 0) return;
    const sock = this.socket;
    if (sock.destroyed || sock.writableEnded) {
      this.discardQueued();
      return;
    }
    // While the socket is backed up, keep gathering here (bounded by maxPending).
    if (this.waitingDrain) return;
    this.seal();
    const chunks = this.chunks;
    let ok = true;
    if (chunks.length === 1 && chunks[0] !== undefined) {
      ok = sock.write(chunks[0]);
    } else {
      sock.cork();
      for (const c of chunks) ok = sock.write(c);
      sock.uncork();
    }
    this.chunks = [];
    this.queued = 0;
    const pending = sock.writableLength;
    if (pending === 0 && this.out.length <= OUT_MAX_REUSE) {
      // Written synchronously to the kernel: nothing references `out` any more.
      this.outLen = this.segStart = 0;
    } else {
      this.out = Buffer.allocUnsafe(OUT_INITIAL);
      this.outLen = this.segStart = 0;
    }
    if (!ok) this.waitingDrain = true;
  }

  private discardQueued(): void {
    this.chunks = [];
    this.queued = 0;
    this.outLen = this.segStart = 0;
  }

  // ---------------------------------------------------------------- lifecycle

  /** Called by the broker's ping timer: PING an idle client, drop one that stopped answering. */
  pingCheck(): void {
    if (this.closed) return;
    if (this.active) {
      // Traffic since the last check proves the client alive (nats-server skips the PING too).
      this.active = false;
      return;
    }
    if (this.pingsOut + 1 > this.host.limits.maxPingsOut) {
      this.close("stale connection", ErrorText.staleConnection);
      return;
    }
    this.pingsOut++;
    this.queueProto(PING);
  }

  /**
   * Stops serving this client: removes its subscriptions, sends `err` (after what is
   * queued, or instead of it when `drop`), half-closes and destroys the socket once
   * the peer has read it or after a short linger.
   */
  close(reason: string, err?: string, drop = false): void {
    if (this.closed) return;
    this.closed = true;
    if (this.authTimer !== undefined) clearTimeout(this.authTimer);
    for (const sub of this.subs.values()) {
      sub.closed = true;
      this.host.unsubscribe(sub);
    }
    this.subs.clear();
    this.payloadBuf = null;
    this.lineParts = [];
    this.host.clientClosed(this, reason);
    const sock = this.socket;
    if (sock.destroyed) return;
    if (drop) this.discardQueued();
    if (err !== undefined) {
      const line = errFrame(err);
      this.reserve(line.length);
      this.writeLatin1(line);
      this.queued += line.length;
    }
    this.waitingDrain = false;
    this.flush();
    sock.end();
    this.lingerTimer = setTimeout(() => sock.destroy(), LINGER_MS);
    this.lingerTimer.unref();
  }

  /** Immediate teardown (broker shutdown). */
  destroy(): void {
    this.close("broker closing");
    this.socket.destroy();
  }
}

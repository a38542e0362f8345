/**
 * Test helpers: bounded waits, a raw TCP protocol client and a seeded PRNG.
 * (This file has no tests; `node --test` on the directory just loads it.)
 */
import { connect as tcpConnect, type Socket } from "node:net";

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `cond` until it holds; throws after `timeoutMs`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** Rejects if `p` does not settle within `timeoutMs`. */
export async function within<T>(p: Promise<T>, what: string, timeoutMs = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A NATS client speaking the wire protocol by hand, recording everything it receives. */
export class RawClient {
  private chunks: Buffer[] = [];
  private size = 0;
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on("close", () => {
      this.closed = true;
    });
    // Peers closing on us mid-write is expected in these tests.
    socket.on("error", () => undefined);
  }

  /** Connects to 127.0.0.1:`port` and waits for the INFO line. */
  static async connect(port: number): Promise<RawClient> {
    const socket = tcpConnect({ port, host: "127.0.0.1" });
    socket.setNoDelay(true);
    const client = new RawClient(socket);
    socket.on("data", (chunk: Buffer) => client.push(chunk));
    await within(
      new Promise<void>((resolve, reject) => {
        socket.once("connect", resolve);
        socket.once("error", reject);
      }),
      "raw connect",
    );
    await client.waitFor("\r\n", 2000);
    return client;
  }

  private push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** Everything received so far, as latin1 text (byte-exact). */
  get text(): string {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.size)];
    return this.chunks[0]?.toString("latin1") ?? "";
  }

  /** Everything received after the INFO line. */
  get afterInfo(): string {
    const t = this.text;
    return t.slice(t.indexOf("\r\n") + 2);
  }

  get receivedBytes(): number {
    return this.size;
  }

  send(data: string | Buffer): void {
    if (!this.socket.destroyed)
      this.socket.write(typeof data === "string" ? Buffer.from(data, "latin1") : data);
  }

  /** Stops reading: the broker then sees a client that never reads. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  async waitFor(needle: string, timeoutMs = 3000): Promise<void> {
    await waitFor(() => this.text.includes(needle), JSON.stringify(needle), timeoutMs);
  }

  async waitClosed(timeoutMs = 3000): Promise<void> {
    await waitFor(() => this.closed, "the broker to close the connection", timeoutMs);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** mulberry32: a small seeded PRNG, so fuzz failures are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

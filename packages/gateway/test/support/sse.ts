/**
 * A server-sent events client for tests, on Node's fetch: opens a stream, parses
 * its messages (and comments), and waits for each with a bound.
 */
export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  /** A comment line (`: …`), such as a heartbeat. */
  comment?: string;
}

export class SseClient {
  private buffer = "";
  private readonly messages: SseMessage[] = [];
  private waiter: (() => void) | undefined;
  ended = false;

  private constructor(
    readonly status: number,
    readonly headers: Headers,
    private readonly abort: AbortController,
  ) {}

  /** Opens a stream; non-stream answers are returned with their body in `text`. */
  static async open(
    url: string,
    headers: Record<string, string> = {},
  ): Promise<{ client: SseClient; text: string }> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 4000);
    const res = await fetch(url, {
      headers: { Accept: "text/event-stream", ...headers },
      signal: abort.signal,
    });
    clearTimeout(timer);
    const client = new SseClient(res.status, res.headers, abort);
    if (!res.headers.get("content-type")?.startsWith("text/event-stream") || !res.body) {
      client.ended = true;
      return { client, text: await res.text() };
    }
    void client.read(res.body);
    return { client, text: "" };
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of body) {
        this.buffer += decoder.decode(chunk, { stream: true });
        let at: number;
        while ((at = this.buffer.indexOf("\n\n")) >= 0) {
          this.parse(this.buffer.slice(0, at));
          this.buffer = this.buffer.slice(at + 2);
        }
      }
    } catch {
      // Aborted.
    }
    this.ended = true;
    this.waiter?.();
  }

  private parse(block: string): void {
    const m: SseMessage = {};
    for (const line of block.split("\n")) {
      const i = line.indexOf(":");
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
      if (field === "") m.comment = value;
      else if (field === "id" || field === "event" || field === "data") m[field] = value;
    }
    this.messages.push(m);
    this.waiter?.();
  }

  /** The next message (comments included when `comments`), waiting at most `ms`. */
  async next(ms = 3000, comments = false): Promise<SseMessage> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.messages.findIndex((m) => comments || m.comment === undefined);
      if (i >= 0) return this.messages.splice(i, 1)[0] as SseMessage;
      if (this.ended) throw new Error("the stream ended");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no message within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  /** Waits until the server ends the stream (at most `ms`). */
  async closed(ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error(`the stream did not end within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): void {
    this.abort.abort();
  }
}

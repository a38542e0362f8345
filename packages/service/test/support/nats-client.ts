/**
 * A raw NATS client for tests: sends requests as a gateway would, and records the
 * messages published on subjects (events, system.reset) with bounded waits.
 */
import { connect, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { within } from "./wait.js";

const dec = new TextDecoder();

export interface Received {
  subject: string;
  /** The payload text ("" for an empty message). */
  text: string;
  /** The payload as JSON (undefined for an empty message). */
  json: unknown;
}

function parse(text: string): unknown {
  return text === "" ? undefined : JSON.parse(text);
}

export class RawClient {
  readonly received: Received[] = [];
  #waiters: { match: (r: Received) => boolean; resolve: (r: Received) => void }[] = [];
  #subs: Subscription[] = [];

  private constructor(readonly nc: NatsConnection) {}

  static async connect(url: string): Promise<RawClient> {
    return new RawClient(await connect({ servers: url }));
  }

  /** Records every message on `subject` (wildcards allowed). */
  async listen(subject: string): Promise<void> {
    this.#subs.push(
      this.nc.subscribe(subject, {
        callback: (err, msg) => {
          if (err) return;
          const text = dec.decode(msg.data);
          const r: Received = { subject: msg.subject, text, json: parse(text) };
          const i = this.#waiters.findIndex((w) => w.match(r));
          const w = this.#waiters[i];
          if (w) {
            this.#waiters.splice(i, 1);
            w.resolve(r);
          } else {
            this.received.push(r);
          }
        },
      }),
    );
    await this.nc.flush();
  }

  /**
   * The next message on exactly `subject` (whose text includes `includes`, when given),
   * waiting at most `ms`.
   */
  next(subject: string, ms = 2000, includes = ""): Promise<Received> {
    const match = (r: Received): boolean => r.subject === subject && r.text.includes(includes);
    const i = this.received.findIndex(match);
    const r = this.received[i];
    if (r) {
      this.received.splice(i, 1);
      return Promise.resolve(r);
    }
    return within(
      new Promise<Received>((resolve) => this.#waiters.push({ match, resolve })),
      ms,
      `message on ${subject}`,
    );
  }

  /** Sends a request and returns the reply's JSON (undefined for an empty reply). */
  async request(subject: string, payload?: unknown, ms = 2000): Promise<unknown> {
    const m = await this.nc.request(subject, payload === undefined ? "" : JSON.stringify(payload), {
      timeout: ms,
    });
    return parse(dec.decode(m.data));
  }

  /** Sends a request and returns every reply (pre-responses included) within `ms`. */
  async requestAll(subject: string, payload: unknown, count: number, ms = 2000): Promise<string[]> {
    const inbox = `_INBOX.test.${Math.random().toString(36).slice(2)}`;
    const replies: string[] = [];
    const done = new Promise<void>((resolve) => {
      this.nc.subscribe(inbox, {
        max: count,
        callback: (err, msg) => {
          if (err) return;
          replies.push(dec.decode(msg.data));
          if (replies.length === count) resolve();
        },
      });
    });
    await this.nc.flush();
    this.nc.publish(subject, JSON.stringify(payload), { reply: inbox });
    await within(done, ms, `${count} replies on ${subject}`);
    return replies;
  }

  async close(): Promise<void> {
    for (const s of this.#subs) s.unsubscribe();
    await this.nc.close();
  }
}

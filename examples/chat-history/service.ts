/**
 * Chat history, then live: a channel's messages are a query collection. A client
 * gets the latest messages (the history, even what was posted while it was away),
 * and the same collection then grows live; older pages are queries of their own.
 *
 *   auth chat.login   { user, password }   sets the connection token { user }
 *   auth chat.logout                       clears it
 *   chat.channel.<ch>                      model { id, name }; call `post` { text }
 *   chat.channel.<ch>.messages?limit=50    the latest 50 messages (the live query)
 *   chat.channel.<ch>.messages?before=<ts>&limit=50
 *                                          the 50 messages before <ts> (a page of history)
 *   chat.channel.<ch>.message.<n>          model { id, from, text, ts }
 *
 * Messages are in the order posted; `ts` is in ms and increases strictly. `limit` is
 * 1 to 100 (default 50); the service answers with the query normalized as
 * `[before=<ts>&]limit=<n>`, so that equal queries share one resource in the gateway.
 * When a message is posted, a query event asks the gateways what changed for every
 * query they hold: the live query gets the message added (and its oldest message
 * removed once it has `limit`), pages of older history stay as they are.
 *
 * Only the members of a channel may read it and post to it.
 */
import { ErrorCode, ResError, Service, ref, type ServiceOptions } from "@resgate-ts/service";
import type { Example } from "../lib/example.js";
import { members, requiredText } from "../lib/params.js";

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 100;
export const MAX_TEXT = 2000;

/** The example's users and passwords (a real service would check hashed passwords). */
export const USERS: ReadonlyMap<string, string> = new Map([
  ["alice", "alice-pw"],
  ["bob", "bob-pw"],
  ["carol", "carol-pw"],
]);

interface Channel {
  readonly id: string;
  readonly name: string;
  readonly members: ReadonlySet<string>;
  readonly messages: Message[];
}

export interface Message {
  readonly id: number;
  readonly from: string;
  readonly text: string;
  readonly ts: number;
}

export interface MessagesQuery {
  /** Only messages with a smaller `ts` (none: up to the latest, the live query). */
  readonly before: number | undefined;
  readonly limit: number;
}

/** Parses a messages query; throws an Error saying what is wrong. */
export function parseMessagesQuery(query: string): MessagesQuery {
  const q = new URLSearchParams(query);
  for (const key of new Set(q.keys())) {
    if (key !== "before" && key !== "limit") throw new Error(`Unknown query parameter "${key}"`);
    if (q.getAll(key).length > 1) throw new Error(`Query parameter "${key}" given twice`);
  }
  const number = (key: string, max: number): number | undefined => {
    const v = q.get(key);
    if (v === null) return undefined;
    if (!/^[0-9]{1,16}$/.test(v)) throw new Error(`${key} must be a non-negative integer`);
    const n = Number(v);
    if (n > max) throw new Error(`${key} must be at most ${max}`);
    return n;
  };
  const limit = number("limit", MAX_LIMIT) ?? DEFAULT_LIMIT;
  if (limit < 1) throw new Error("limit must be at least 1");
  return { before: number("before", Number.MAX_SAFE_INTEGER), limit };
}

/** The normalized form of a query: the same messages, the same string. */
export function normalizeMessagesQuery(q: MessagesQuery): string {
  return q.before === undefined ? `limit=${q.limit}` : `before=${q.before}&limit=${q.limit}`;
}

/** How many messages are older than `ts` (messages are in `ts` order). */
function countBefore(messages: readonly Message[], ts: number): number {
  let lo = 0;
  let hi = messages.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const m = messages[mid];
    if (m !== undefined && m.ts < ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The messages a query selects: the last `limit` of those before `before`. */
function select(messages: readonly Message[], q: MessagesQuery): readonly Message[] {
  const end = q.before === undefined ? messages.length : countBefore(messages, q.before);
  return messages.slice(Math.max(0, end - q.limit), end);
}

/** The user of a connection token (null: not logged in). */
function parseUser(token: unknown): string | null {
  if (token === null) return null;
  const user = members(token, "Token").get("user");
  if (typeof user !== "string") throw new Error("invalid chat token");
  return user;
}

function parseLogin(params: unknown): { user: string; password: string } {
  const m = members(params);
  return { user: requiredText(m, "user"), password: requiredText(m, "password") };
}

function parseText(params: unknown): string {
  const text = requiredText(members(params), "text", "Text");
  if (text.length > MAX_TEXT) throw new Error(`Text must be at most ${MAX_TEXT} characters`);
  return text;
}

export function messageRid(channel: string, id: number): string {
  return `chat.channel.${channel}.message.${id}`;
}

export function chatService(options?: ServiceOptions): Service {
  const service = new Service("chat", options);
  const channels = new Map<string, Channel>([
    ["general", { id: "general", name: "General", members: new Set(USERS.keys()), messages: [] }],
    ["ops", { id: "ops", name: "Operations", members: new Set(["alice", "carol"]), messages: [] }],
  ]);
  let lastTs = 0;

  /** The channel, when the connection's user is a member of it. */
  const memberChannel = (id: string, token: unknown): Channel | undefined => {
    const user = parseUser(token);
    const channel = channels.get(id);
    return user !== null && channel?.members.has(user) ? channel : undefined;
  };

  service.handle("", {
    auth: {
      login: (r) => {
        const { user, password } = r.parseParams(parseLogin);
        if (USERS.get(user) !== password) {
          throw new ResError("chat.wrongPassword", "Wrong user or password");
        }
        r.tokenEvent({ user }, user);
        r.ok({ user });
      },
      logout: (r) => {
        r.tokenEvent(null);
        r.ok();
      },
    },
  });

  // The channel, its messages and its message list share one queue: a post, and the
  // query requests that follow it, are handled in order.
  service.group("channel.$channel", (g) => {
    g.handle("", {
      type: "model",
      group: "channel.${channel}",
      access: (r) => {
        if (r.parseToken((t) => memberChannel(r.pathParams.channel, t))) r.access(true, "post");
        else r.accessDenied();
      },
      get: (r) => {
        const channel = channels.get(r.pathParams.channel);
        if (!channel) return r.notFound();
        r.model({ id: channel.id, name: channel.name });
      },
      call: {
        post: async (r) => {
          const channel = r.parseToken((t) => memberChannel(r.pathParams.channel, t));
          const from = r.parseToken(parseUser);
          if (!channel || from === null) {
            throw new ResError(ErrorCode.accessDenied, "Access denied");
          }
          const text = r.parseParams(parseText);
          lastTs = Math.max(Date.now(), lastTs + 1);
          const message: Message = { id: channel.messages.length + 1, from, text, ts: lastTs };
          channel.messages.push(message);
          // Ask the gateways to update every query of the list they hold. This runs
          // on our queue ("channel.<ch>"), so at once, right after the change.
          await service.queryEvent(`chat.channel.${channel.id}.messages`, (q) => {
            const query = parseMessagesQuery(q.query);
            if (query.before !== undefined && message.ts >= query.before) return; // no change
            // The query's messages just before this one was posted are the last
            // `limit` of the older ones: the new message goes after them.
            const shown = Math.min(countBefore(channel.messages, message.ts), query.limit);
            const value = ref(messageRid(channel.id, message.id));
            if (shown < query.limit) {
              q.addEvent(shown, value);
            } else {
              q.removeEvent(0);
              q.addEvent(shown - 1, value);
            }
          });
          r.ok({ id: message.id, ts: message.ts });
        },
      },
    });

    g.handle("messages", {
      type: "collection",
      group: "channel.${channel}",
      access: (r) => {
        if (r.parseToken((t) => memberChannel(r.pathParams.channel, t))) r.access(true);
        else r.accessDenied();
      },
      get: (r) => {
        const channel = channels.get(r.pathParams.channel);
        if (!channel) return r.notFound();
        if (r.query === "") return r.invalidQuery("A query is required, such as ?limit=50");
        let query: MessagesQuery;
        try {
          query = parseMessagesQuery(r.query);
        } catch (err) {
          return r.invalidQuery(err instanceof Error ? err.message : undefined);
        }
        r.collection(
          select(channel.messages, query).map((m) => ref(messageRid(channel.id, m.id))),
          normalizeMessagesQuery(query),
        );
      },
    });

    g.handle("message.$id", {
      type: "model",
      group: "channel.${channel}",
      access: (r) => {
        if (r.parseToken((t) => memberChannel(r.pathParams.channel, t))) r.access(true);
        else r.accessDenied();
      },
      get: (r) => {
        const channel = channels.get(r.pathParams.channel);
        const id = r.pathParams.id;
        const m = /^[1-9][0-9]{0,8}$/.test(id) ? channel?.messages[Number(id) - 1] : undefined;
        if (!m) return r.notFound();
        r.model({ id: m.id, from: m.from, text: m.text, ts: m.ts });
      },
    });
  });

  return service;
}

export const chatHistory: Example = {
  name: "chat-history",
  title: "a chat whose channels show their history, then new messages live",
  services: (options) => [chatService(options)],
};

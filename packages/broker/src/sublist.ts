/**
 * The subscription index: a trie of subject tokens with separate `*` and `>` children
 * per level (the shape of nats-server's sublist), so a publish walks only the branches
 * its tokens can match instead of scanning every subscription. Match results are
 * cached per published subject; subscription changes invalidate just the affected
 * entries.
 */
import { hasWildcard, isValidSubject, subjectMatches } from "./subject.js";

/** What the index needs to know about a subscription. */
export interface Indexable {
  readonly subject: string;
  readonly queue: string | undefined;
}

/** The subscriptions matching one published subject. */
export interface MatchResult<S> {
  /** Plain subscriptions: each gets the message. */
  readonly psubs: readonly S[];
  /** Queue groups (merged by queue name): one member of each gets the message. */
  readonly qsubs: readonly (readonly S[])[];
}

class TrieNode<S> {
  psubs: Set<S> | null = null;
  qsubs: Map<string, Set<S>> | null = null;
  next: Level<S> | null = null;

  isEmpty(): boolean {
    return this.psubs === null && this.qsubs === null && this.next === null;
  }
}

class Level<S> {
  readonly nodes = new Map<string, TrieNode<S>>();
  pwc: TrieNode<S> | null = null;
  fwc: TrieNode<S> | null = null;

  isEmpty(): boolean {
    return this.nodes.size === 0 && this.pwc === null && this.fwc === null;
  }
}

const EMPTY: MatchResult<never> = Object.freeze({ psubs: [], qsubs: [] });

/** Collects matches while walking the trie; queue groups are merged by name. */
class Collector<S> {
  readonly psubs: S[] = [];
  qsubs: Map<string, S[]> | null = null;

  add(node: TrieNode<S>): void {
    if (node.psubs !== null) for (const s of node.psubs) this.psubs.push(s);
    if (node.qsubs !== null) {
      this.qsubs ??= new Map();
      for (const [name, members] of node.qsubs) {
        const group = this.qsubs.get(name);
        if (group === undefined) this.qsubs.set(name, [...members]);
        else for (const s of members) group.push(s);
      }
    }
  }

  result(): MatchResult<S> {
    if (this.psubs.length === 0 && this.qsubs === null) return EMPTY;
    return { psubs: this.psubs, qsubs: this.qsubs === null ? [] : [...this.qsubs.values()] };
  }
}

/** A subscription index over subscriptions of type `S`. */
export class Sublist<S extends Indexable> {
  private readonly root = new Level<S>();
  private readonly cache = new Map<string, MatchResult<S>>();
  private size = 0;

  /**
   * @param cacheSize Maximum number of cached match results; the oldest entry is
   *   evicted first. 0 disables the cache.
   * @param scanLimit Up to this many cache entries are checked one by one when a
   *   wildcard subscription changes; a bigger cache is simply cleared, which is
   *   cheaper than matching every cached subject against the pattern.
   */
  constructor(
    private readonly cacheSize = 4096,
    private readonly scanLimit = 256,
  ) {}

  /** Number of subscriptions in the index. */
  get count(): number {
    return this.size;
  }

  /** Adds a subscription; returns false (and adds nothing) if its subject is invalid. */
  insert(sub: S): boolean {
    if (!isValidSubject(sub.subject)) return false;
    const tokens = sub.subject.split(".");
    let level = this.root;
    let node: TrieNode<S> | null = null;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i] ?? "";
      if (t === "*") {
        node = level.pwc ??= new TrieNode<S>();
      } else if (t === ">") {
        node = level.fwc ??= new TrieNode<S>();
      } else {
        node = level.nodes.get(t) ?? null;
        if (node === null) {
          node = new TrieNode<S>();
          level.nodes.set(t, node);
        }
      }
      if (i < tokens.length - 1) level = node.next ??= new Level<S>();
    }
    if (node === null) return false;
    if (sub.queue === undefined) {
      (node.psubs ??= new Set()).add(sub);
    } else {
      node.qsubs ??= new Map();
      let members = node.qsubs.get(sub.queue);
      if (members === undefined) {
        members = new Set();
        node.qsubs.set(sub.queue, members);
      }
      members.add(sub);
    }
    this.size++;
    this.invalidate(sub.subject);
    return true;
  }

  /** Removes a subscription; returns false if it was not in the index. */
  remove(sub: S): boolean {
    const tokens = sub.subject.split(".");
    // The path walked, so empty nodes and levels can be pruned bottom-up; a churn of
    // unique subjects (reply inboxes) must not leave the trie growing forever.
    const levels: Level<S>[] = [];
    const nodes: TrieNode<S>[] = [];
    let level: Level<S> | null = this.root;
    for (let i = 0; i < tokens.length; i++) {
      if (level === null) return false;
      const t = tokens[i] ?? "";
      const node: TrieNode<S> | null | undefined =
        t === "*" ? level.pwc : t === ">" ? level.fwc : level.nodes.get(t);
      if (node === null || node === undefined) return false;
      levels.push(level);
      nodes.push(node);
      level = node.next;
    }
    const leaf = nodes[nodes.length - 1];
    if (leaf === undefined || !this.removeFromNode(leaf, sub)) return false;
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i];
      const parent = levels[i];
      if (node === undefined || parent === undefined || !node.isEmpty()) break;
      const t = tokens[i] ?? "";
      if (t === "*") parent.pwc = null;
      else if (t === ">") parent.fwc = null;
      else parent.nodes.delete(t);
      if (!parent.isEmpty()) break;
      const owner = nodes[i - 1];
      if (owner !== undefined) owner.next = null;
    }
    this.size--;
    this.invalidate(sub.subject);
    return true;
  }

  private removeFromNode(node: TrieNode<S>, sub: S): boolean {
    if (sub.queue === undefined) {
      if (node.psubs === null || !node.psubs.delete(sub)) return false;
      if (node.psubs.size === 0) node.psubs = null;
      return true;
    }
    const members = node.qsubs?.get(sub.queue);
    if (members === undefined || !members.delete(sub)) return false;
    if (members.size === 0) {
      node.qsubs?.delete(sub.queue);
      if (node.qsubs?.size === 0) node.qsubs = null;
    }
    return true;
  }

  /** The subscriptions matching a published (literal) subject, cached. */
  match(subject: string): MatchResult<S> {
    const cached = this.cache.get(subject);
    if (cached !== undefined) return cached;
    const result = this.matchUncached(subject);
    if (this.cacheSize > 0) {
      if (this.cache.size >= this.cacheSize) {
        const oldest = this.cache.keys().next();
        if (oldest.done !== true) this.cache.delete(oldest.value);
      }
      this.cache.set(subject, result);
    }
    return result;
  }

  /**
   * Like match() but bypasses the cache; for one-off lookups (e.g. a unique reply
   * subject) that would only evict useful entries.
   */
  matchUncached(subject: string): MatchResult<S> {
    const tokens = subject.split(".");
    for (const t of tokens) if (t === "") return EMPTY; // as nats-server: no match
    const c = new Collector<S>();
    matchLevel(this.root, tokens, 0, c);
    return c.result();
  }

  /** True if the trie holds no nodes at all (removals prune it completely). */
  isEmpty(): boolean {
    return this.root.isEmpty();
  }

  /** Number of cached match results (for tests and stats). */
  get cacheEntries(): number {
    return this.cache.size;
  }

  private invalidate(pattern: string): void {
    if (this.cache.size === 0) return;
    if (!hasWildcard(pattern)) {
      // A literal subscription only matches the identical published subject.
      this.cache.delete(pattern);
    } else if (this.cache.size > this.scanLimit) {
      this.cache.clear();
    } else {
      for (const key of this.cache.keys()) {
        if (subjectMatches(key, pattern)) this.cache.delete(key);
      }
    }
  }
}

function matchLevel<S>(
  start: Level<S>,
  tokens: readonly string[],
  from: number,
  out: Collector<S>,
): void {
  let level = start;
  const last = tokens.length - 1;
  for (let i = from; i <= last; i++) {
    if (level.fwc !== null) out.add(level.fwc);
    const pwc = level.pwc;
    if (pwc !== null) {
      if (i === last) out.add(pwc);
      else if (pwc.next !== null) matchLevel(pwc.next, tokens, i + 1, out);
    }
    const node = level.nodes.get(tokens[i] ?? "");
    if (node === undefined) return;
    if (i === last) {
      out.add(node);
      return;
    }
    if (node.next === null) return;
    level = node.next;
  }
}

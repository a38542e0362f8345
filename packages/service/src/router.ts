/**
 * Handler registration and lookup by resource pattern (go-res's Mux): a tree of
 * pattern parts where literal parts are preferred over placeholders, and placeholders
 * over a trailing `>`. Groups register under a prefix; routers built on their own can
 * be mounted under a path.
 */
import type { Handler } from "./handler.js";
import {
  isPlainPath,
  isValidPart,
  joinPattern,
  parseGroup,
  parsePattern,
  type AnyParams,
  type GroupPart,
  type PathParams,
  type Simplify,
} from "./pattern.js";

/** A handler as registered in the tree. */
interface Entry {
  readonly handler: Handler<AnyParams>;
  /** The pattern relative to the router it was registered on. */
  readonly pattern: string;
  /** Placeholder names and their part index, relative to the registering router's root. */
  readonly params: readonly { readonly name: string; readonly index: number }[];
  /** The queue key template; undefined: the resource name. */
  readonly group: readonly GroupPart[] | undefined;
}

class Node {
  readonly nodes = new Map<string, Node>();
  param: Node | undefined;
  wild: Node | undefined;
  entry: Entry | undefined;
  /** True for the root of a mounted router (its params count from here). */
  mounted = false;
}

/** The tree shared by a router and its groups. */
class Tree {
  readonly root = new Node();
  /** True once mounted on another router (or owned by a service). */
  attached = false;
}

/** A handler found for a resource name. */
export interface Match {
  readonly handler: Handler<AnyParams>;
  readonly pathParams: AnyParams;
  /** The queue key: the group, or the resource name; undefined for parallel handlers. */
  readonly group: string | undefined;
  /** The handler's pattern, relative to the router it was registered on. */
  readonly pattern: string;
}

/** An empty set of path parameters. */
export type NoParams = Record<never, never>;

/**
 * Registers handlers by resource pattern. Patterns are relative to the router (for a
 * service, to the service name): `handle("book.$id", ...)` on `new Service("library")`
 * serves `library.book.<id>`.
 *
 * @typeParam Inherited - path parameters of the group prefix the router registers under.
 */
export class Router<Inherited extends object = NoParams> {
  #tree = new Tree();
  #prefix = "";

  /**
   * Registers the handlers of a resource pattern. `$name` parts become typed path
   * parameters (`r.pathParams.name`), `*` matches any one part, and a final `>` any
   * number of trailing parts. Throws when the pattern is invalid or already registered.
   */
  handle<Pattern extends string>(
    pattern: Pattern,
    handler: Handler<Simplify<Inherited & PathParams<Pattern>>>,
  ): this {
    this.#register(joinPattern(this.#prefix, pattern), handler as unknown as Handler<AnyParams>);
    return this;
  }

  /**
   * A group of handlers registered under `prefix` (which may have `$name` parts, whose
   * values reach every handler of the group). With `fn`, the group is passed to it;
   * the group is also returned.
   */
  group<Prefix extends string>(
    prefix: Prefix,
    fn?: (group: Router<Simplify<Inherited & PathParams<Prefix>>>) => void,
  ): Router<Simplify<Inherited & PathParams<Prefix>>> {
    parsePattern(prefix);
    if (prefix.includes(">")) throw new Error(`res: invalid group prefix "${prefix}"`);
    const g = new Router<Simplify<Inherited & PathParams<Prefix>>>();
    g.#tree = this.#tree;
    g.#prefix = joinPattern(this.#prefix, prefix);
    fn?.(g);
    return g;
  }

  /**
   * Mounts a router built on its own under `path` (literal parts only). Handlers added
   * to it later are served too. A router can only be mounted once.
   */
  mount(path: string, router: Router<NoParams>): this {
    const full = joinPattern(this.#prefix, path);
    if (!isPlainPath(path) || full === "") throw new Error(`res: invalid mount path "${path}"`);
    if (router.#prefix !== "") throw new Error("res: cannot mount a group");
    if (router.#tree.attached) throw new Error("res: router already mounted");
    if (router.#tree === this.#tree) throw new Error("res: cannot mount a router on itself");
    const parts = full.split(".");
    let n = this.#tree.root;
    parts.forEach((part, i) => {
      const next = n.nodes.get(part);
      if (i === parts.length - 1) {
        if (next) throw new Error(`res: mount path "${full}" is already in use`);
        n.nodes.set(part, router.#tree.root);
      } else if (next) {
        n = next;
      } else {
        const created = new Node();
        n.nodes.set(part, created);
        n = created;
      }
    });
    router.#tree.root.mounted = true;
    router.#tree.attached = true;
    return this;
  }

  /** @internal Marks the tree as owned (by a service), so it cannot be mounted. */
  protected attach(): void {
    this.#tree.attached = true;
  }

  #register(pattern: string, handler: Handler<AnyParams>): void {
    const tokens = parsePattern(pattern);
    validateHandler(pattern, handler);
    const params: { name: string; index: number }[] = [];
    let n = this.#tree.root;
    let base = 0;
    tokens.forEach((t, i) => {
      if (n.mounted) base = i;
      switch (t.kind) {
        case "literal": {
          let next = n.nodes.get(t.value);
          if (!next) {
            next = new Node();
            n.nodes.set(t.value, next);
          }
          n = next;
          break;
        }
        case "param":
          params.push({ name: t.name, index: i - base });
          n = n.param ??= new Node();
          break;
        case "wildcard":
          n = n.param ??= new Node();
          break;
        case "tail":
          n = n.wild ??= new Node();
          break;
      }
    });
    if (n.entry) throw new Error(`res: pattern "${pattern}" is already registered`);
    const group =
      handler.parallel === true || handler.group === undefined
        ? undefined
        : parseGroup(handler.group, tokens);
    n.entry = { handler, pattern, params, group };
  }

  /** @internal Finds the handler for a resource name split in parts (relative to the router). */
  protected matchParts(parts: readonly string[], resourceName: string): Match | undefined {
    const found =
      parts.length === 0
        ? this.#tree.root.entry
          ? { node: this.#tree.root, base: 0 }
          : undefined
        : matchNode(this.#tree.root, parts, 0, 0);
    const entry = found?.node.entry;
    if (!found || !entry) return undefined;
    const pathParams: AnyParams = {};
    for (const p of entry.params) pathParams[p.name] = parts[p.index + found.base] ?? "";
    let group: string | undefined = resourceName;
    if (entry.handler.parallel === true) group = undefined;
    else if (entry.group)
      group = entry.group
        .map((g) => ("literal" in g ? g.literal : (parts[g.paramIndex + found.base] ?? "")))
        .join("");
    return { handler: entry.handler, pathParams, group, pattern: entry.pattern };
  }

  /** @internal True when some registered handler passes `test`. */
  protected someHandler(test: (h: Handler<AnyParams>, pattern: string) => boolean): boolean {
    const seen = new Set<Node>();
    const visit = (n: Node | undefined): boolean => {
      if (!n || seen.has(n)) return false;
      seen.add(n);
      if (n.entry && test(n.entry.handler, n.entry.pattern)) return true;
      if (visit(n.param) || visit(n.wild)) return true;
      for (const c of n.nodes.values()) if (visit(c)) return true;
      return false;
    };
    return visit(this.#tree.root);
  }

  /** @internal True when a handler is registered for the router's root (the empty pattern). */
  protected hasRootHandler(): boolean {
    return this.#tree.root.entry !== undefined;
  }
}

function matchNode(
  n: Node,
  parts: readonly string[],
  i: number,
  base: number,
): { node: Node; base: number } | undefined {
  if (n.mounted) base = i;
  const part = parts[i] ?? "";
  const last = i === parts.length - 1;
  for (const next of [n.nodes.get(part), n.param]) {
    if (!next) continue;
    if (last) {
      if (next.entry) return { node: next, base };
    } else {
      const found = matchNode(next, parts, i + 1, base);
      if (found) return found;
    }
  }
  if (n.wild?.entry) return { node: n.wild, base };
  return undefined;
}

function validateHandler(pattern: string, h: Handler<AnyParams>): void {
  for (const kind of ["call", "auth"] as const) {
    for (const method of Object.keys(h[kind] ?? {})) {
      if (method !== "*" && !isValidPart(method))
        throw new Error(`res: invalid ${kind} method name "${method}" for "${pattern}"`);
    }
  }
  if (h.parallel === true && h.group !== undefined)
    throw new Error(`res: handler for "${pattern}" has both group and parallel`);
}

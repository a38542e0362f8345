/**
 * Collection of subscriptions that are no longer reachable from a direct
 * subscription (Resgate's wsConnGC.go). References can form cycles, so counts alone
 * cannot tell: the graph below a released subscription is walked, counting how many
 * of each subscription's referrers lie inside it.
 */
import type { Subscription } from "./subscription.js";

const GcState = { stop: 0, root: 1, none: 2, delete: 3, keep: 4, unsend: 5 } as const;
type GcState = (typeof GcState)[keyof typeof GcState];

interface Node {
  readonly sub: Subscription;
  indirect: number;
  indirectSent: number;
  state: GcState;
}

/** Held by the client, or by a request still answering: never collected. */
function isHeld(sub: Subscription): boolean {
  return sub.direct > 0 || sub.pending > 0;
}

function traverse(
  sub: Subscription,
  state: GcState,
  visit: (sub: Subscription, state: GcState) => GcState,
): void {
  if (isHeld(sub)) return;
  const next = visit(sub, state);
  if (next === GcState.stop) return;
  for (const ref of sub.references()) traverse(ref, next, visit);
}

/**
 * Disposes `root` and everything only it kept alive; subscriptions still referenced
 * from outside are kept, and those whose every sent referrer is gone are unsent.
 * Returns the rids that were disposed.
 */
export function collect(root: Subscription): Subscription[] {
  if (isHeld(root)) return [];
  const nodes = new Map<string, Node>();
  const rootNode: Node = {
    sub: root,
    indirect: root.indirect,
    indirectSent: root.indirectSent,
    state: GcState.none,
  };
  nodes.set(root.rid, rootNode);
  const sentDiff = root.isSent() ? 1 : 0;

  // Count, for each subscription below the root, its referrers outside the walked graph.
  traverse(root, GcState.root, (sub, state) => {
    if (state === GcState.root) return GcState.none;
    const n = nodes.get(sub.rid);
    if (n) {
      n.indirect--;
      n.indirectSent -= sentDiff;
      return GcState.stop;
    }
    nodes.set(sub.rid, {
      sub,
      indirect: sub.indirect - 1,
      indirectSent: sub.indirectSent - sentDiff,
      state: GcState.none,
    });
    return GcState.none;
  });

  const sent = sentDiff === 1;
  if (rootNode.indirect > 0 && !(sent && rootNode.indirectSent === 0)) return [];

  traverse(root, GcState.delete, (sub, state) => {
    const n = nodes.get(sub.rid) as Node;
    if (n.state >= GcState.keep) return GcState.stop;
    if (n.indirect > 0 || state === GcState.keep) {
      n.state = sent && n.indirectSent === 0 ? GcState.unsend : GcState.keep;
      return GcState.keep;
    }
    if (n.state !== GcState.none) return GcState.stop;
    n.state = GcState.delete;
    return GcState.delete;
  });

  const disposed: Subscription[] = [];
  for (const n of nodes.values()) {
    if (n.state === GcState.delete) {
      n.sub.dispose();
      disposed.push(n.sub);
    } else if (n.state === GcState.unsend) {
      n.sub.unsend();
    }
  }
  return disposed;
}

// Sums a V8 heap snapshot's self sizes by object kind (constructor or function name,
// grouped with the node type), and compares two snapshots per connection.
//
//   node bench/heap-summary.mjs after.heapsnapshot [before.heapsnapshot]
//     [--per N] [--top K] [--retainers]
//
// Used by bench/conn-memory.mjs; also runs on its own, on snapshots from anywhere.
import { readFileSync } from "node:fs";

/**
 * Reads a snapshot file into a Map of kind → { count, bytes }. A kind is the node type
 * with the node's name for objects, closures and V8's own (hidden) objects; strings and
 * code are summed by type alone, as their names are their contents. Anonymous closures
 * are named by where their function is (file:line:column). With `retainers`, each kind
 * also names what holds the object: its first retainer's kind and the edge's name.
 * @param {string} file
 * @param {{ retainers?: boolean }} [opts]
 * @returns {Map<string, { count: number; bytes: number }>}
 */
export function summarize(file, opts = {}) {
  const snap = JSON.parse(readFileSync(file, "utf8"));
  const meta = snap.snapshot.meta;
  const fields = meta.node_fields;
  const stride = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const edgeCountAt = fields.indexOf("edge_count");
  const typeNames = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const edgeStride = meta.edge_fields.length;
  const nodes = snap.nodes;
  const edges = snap.edges;
  const strings = snap.strings;
  const count = nodes.length / stride;

  // Where each node's edges start in the edges array.
  const firstEdge = new Uint32Array(count + 1);
  for (let n = 0, e = 0; n < count; n++) {
    firstEdge[n] = e;
    e += nodes[n * stride + edgeCountAt] * edgeStride;
    firstEdge[n + 1] = e;
  }
  const edgeName = (e) => {
    const t = edgeTypes[edges[e]];
    return t === "element" || t === "hidden" ? `[${edges[e + 1]}]` : strings[edges[e + 1]];
  };
  /** The node an edge named `name` of node `n` leads to, or -1. */
  const follow = (n, prefix) => {
    for (let e = firstEdge[n]; e < firstEdge[n + 1]; e += edgeStride) {
      if (String(edgeName(e)).startsWith(prefix)) return edges[e + 2] / stride;
    }
    return -1;
  };
  /** Where a closure's function is: file:line:column (locations are 0-based). */
  const where = new Map();
  const locFields = meta.location_fields ?? [];
  const locStride = locFields.length;
  const locs = snap.locations ?? [];
  for (let i = 0; i + locStride <= locs.length && locStride > 0; i += locStride) {
    const n = locs[i] / stride;
    const shared = follow(n, "shared");
    const script = shared < 0 ? -1 : follow(shared, "script");
    const nameNode = script < 0 ? -1 : follow(script, "name");
    const path = nameNode < 0 ? "?" : strings[nodes[nameNode * stride + nameAt]];
    const short = String(path).split("/").slice(-2).join("/");
    where.set(n, `${short}:${locs[i + 2] + 1}:${locs[i + 3] + 1}`);
  }
  const kindOf = (n) => {
    const type = typeNames[nodes[n * stride + typeAt]];
    const name = strings[nodes[n * stride + nameAt]];
    let kind;
    switch (type) {
      case "object":
        kind = name;
        break;
      case "closure":
        kind = `(closure) ${name || where.get(n) || "(anonymous)"}`;
        break;
      case "hidden":
      case "array":
      case "native":
      case "synthetic":
      case "object shape":
        kind = `(${type}) ${name}`;
        break;
      default:
        kind = `(${type})`;
    }
    // Long generated names (a system string's contents) are cut to keep the table narrow.
    return kind.length > 60 ? kind.slice(0, 57) + "..." : kind;
  };
  /** The first strong retainer of every node: its index and the edge's offset. */
  let retainer;
  if (opts.retainers) {
    retainer = new Int32Array(count * 2).fill(-1);
    for (let n = 0; n < count; n++) {
      for (let e = firstEdge[n]; e < firstEdge[n + 1]; e += edgeStride) {
        const t = edgeTypes[edges[e]];
        if (t === "weak" || t === "shortcut") continue;
        const to = edges[e + 2] / stride;
        if (retainer[to * 2] >= 0) continue;
        retainer[to * 2] = n;
        retainer[to * 2 + 1] = e;
      }
    }
  }
  /** @type {Map<string, { count: number; bytes: number }>} */
  const kinds = new Map();
  for (let n = 0; n < count; n++) {
    const size = nodes[n * stride + sizeAt];
    let kind = kindOf(n);
    if (retainer && retainer[n * 2] >= 0) {
      kind += ` <- ${kindOf(retainer[n * 2])}.${edgeName(retainer[n * 2 + 1])}`;
    }
    const k = kinds.get(kind);
    if (k) {
      k.count++;
      k.bytes += size;
    } else {
      kinds.set(kind, { count: 1, bytes: size });
    }
  }
  return kinds;
}

/**
 * The kinds that grew from `before` to `after`, per unit (connection), largest first.
 * @param {Map<string, { count: number; bytes: number }>} after
 * @param {Map<string, { count: number; bytes: number }> | undefined} before
 * @param {number} per
 */
export function growth(after, before, per) {
  const rows = [];
  for (const [kind, a] of after) {
    const b = before?.get(kind) ?? { count: 0, bytes: 0 };
    rows.push({ kind, count: (a.count - b.count) / per, bytes: (a.bytes - b.bytes) / per });
  }
  rows.sort((x, y) => y.bytes - x.bytes);
  return rows;
}

/**
 * Prints the first `top` rows and the total of every row.
 * @param {{ kind: string; count: number; bytes: number }[]} rows
 * @param {number} top
 */
export function printGrowth(rows, top) {
  const total = rows.reduce((s, r) => s + r.bytes, 0);
  console.log(`${"kind".padEnd(100)} ${"objects".padStart(8)} ${"bytes".padStart(9)}`);
  for (const r of rows.slice(0, top)) {
    console.log(
      `${r.kind.padEnd(100)} ${r.count.toFixed(2).padStart(8)} ${r.bytes.toFixed(0).padStart(9)}`,
    );
  }
  console.log(
    `${"total (all kinds)".padEnd(100)} ${"".padStart(8)} ${total.toFixed(0).padStart(9)}`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const option = (name, dflt) => {
    const i = args.indexOf(name);
    if (i < 0) return dflt;
    const v = Number(args[i + 1]);
    args.splice(i, 2);
    return v;
  };
  const per = option("--per", 1);
  const top = option("--top", 30);
  const [afterFile, beforeFile] = args.filter((a) => !a.startsWith("--"));
  if (!afterFile) {
    console.error(
      "usage: node bench/heap-summary.mjs after.heapsnapshot [before.heapsnapshot] [--per N] [--top K] [--retainers]",
    );
    process.exit(2);
  }
  const opts = { retainers: args.includes("--retainers") };
  const after = summarize(afterFile, opts);
  const before = beforeFile ? summarize(beforeFile, opts) : undefined;
  printGrowth(growth(after, before, per), top);
}

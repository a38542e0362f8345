// Prints the functions with the most self time in a V8 CPU profile (.cpuprofile),
// e.g. the one `npm run bench -- --quick --profile` writes to bench/out.
//   node bench/top-frames.mjs bench/out/<file>.cpuprofile [count]
import { readFileSync } from "node:fs";

const [file, count = "15"] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, "utf8"));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = profile.timeDeltas;
for (let i = 0; i < profile.samples.length; i++) {
  const n = byId.get(profile.samples[i]);
  const f = n.callFrame;
  const key = `${f.functionName || "(anonymous)"} ${f.url.split("/").slice(-2).join("/")}:${f.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const rows = [...self.entries()]
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(count))
  .map(([frame, us]) => ({
    frame,
    ms: Math.round(us / 1000),
    pct: +((100 * us) / total).toFixed(1),
  }));
console.table(rows);

// Preloaded (node --import) into the benchmarked Node servers, the gateway and the bare
// ws baseline alike: on SIGUSR2 it runs a full garbage collection and writes the heap
// in use to the file named by HEAP_PROBE_FILE, so that memory per connection can be
// read as live heap bytes, not only as RSS (which garbage and V8's reserves blur).
import { writeFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

const file = process.env.HEAP_PROBE_FILE;
if (file) {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc");
  process.on("SIGUSR2", () => {
    gc();
    const m = process.memoryUsage();
    writeFileSync(file, JSON.stringify({ heapUsed: m.heapUsed, external: m.external }));
  });
}

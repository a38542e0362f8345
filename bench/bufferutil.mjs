// Does `bufferutil` (native masking for ws) help the gateway? Servers unmask every
// client frame (clients must mask) and mask nothing, so this times ws's Receiver on
// masked request frames of typical and large sizes, with and without bufferutil, in
// two child processes (WS_NO_BUFFER_UTIL=1 turns ws's use of it off). utf-8-validate
// is not measured: on Node >= 18.14 ws validates with the built-in buffer.isUtf8 and
// never loads it.
//
//   node bench/bufferutil.mjs   # bufferutil is an optional dependency of the gateway
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

if (process.argv[2] === "--child") {
  const { Receiver } = require("ws");
  const sizes = [100, 2048, 65536];
  const out = {};
  for (const size of sizes) {
    const payload = Buffer.from(`{"id":1,"method":"call.x.y","params":"${"x".repeat(size)}"}`);
    const header = payload.length < 126 ? 2 : payload.length < 65536 ? 4 : 10;
    const frame = Buffer.alloc(header + 4 + payload.length);
    frame[0] = 0x81;
    if (header === 2) frame[1] = 0x80 | payload.length;
    else if (header === 4) {
      frame[1] = 0x80 | 126;
      frame.writeUInt16BE(payload.length, 2);
    } else {
      frame[1] = 0x80 | 127;
      frame.writeBigUInt64BE(BigInt(payload.length), 2);
    }
    const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
    mask.copy(frame, header);
    for (let i = 0; i < payload.length; i++) frame[header + 4 + i] = payload[i] ^ mask[i & 3];
    const receiver = new Receiver({ isServer: true, maxPayload: 0 });
    let got = 0;
    receiver.on("message", () => got++);
    const n = Math.max(2000, Math.floor(2e8 / frame.length));
    // The receiver unmasks in place: each write gets a fresh copy of the frame.
    const copies = Array.from({ length: 64 }, () => Buffer.from(frame));
    const run = (count) => {
      for (let i = 0; i < count; i++) {
        const c = copies[i & 63];
        frame.copy(c);
        receiver.write(c);
      }
    };
    run(Math.min(n, 20000));
    const start = process.hrtime.bigint();
    run(n);
    const ns = Number(process.hrtime.bigint() - start);
    out[size] = Math.round(n / (ns / 1e9));
    if (got === 0) throw new Error("no message parsed");
  }
  process.stdout.write(JSON.stringify(out));
} else {
  let installed = true;
  try {
    require.resolve("bufferutil");
  } catch {
    installed = false;
  }
  if (!installed) {
    console.log("bufferutil is not installed (an optional dependency: its install failed?)");
    process.exit(0);
  }
  const run = (env) =>
    JSON.parse(
      execFileSync(process.execPath, [import.meta.filename, "--child"], {
        env: { ...process.env, ...env },
      }).toString(),
    );
  const rows = [];
  for (let round = 0; round < 3; round++) {
    const js = run({ WS_NO_BUFFER_UTIL: "1" });
    const native = run({});
    for (const size of Object.keys(js)) {
      rows.push({
        round,
        "params bytes": Number(size),
        "js frames/s": js[size],
        "bufferutil frames/s": native[size],
        ratio: +(native[size] / js[size]).toFixed(2),
      });
    }
  }
  console.table(rows);
}

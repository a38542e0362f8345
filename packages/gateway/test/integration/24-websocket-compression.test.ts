// --wscompression (Resgate's TestWebSocketOptions_WithCompressionEnabled_CanSubscribe):
// permessage-deflate is negotiated only when enabled, without context takeover.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { WebSocket } from "ws";
import { TestEnv } from "../support/env.js";
import { ExtraGateway } from "../support/request-basics-helpers.js";

let env: TestEnv;
let compressed: ExtraGateway;
before(async () => {
  env = await TestEnv.start();
  compressed = await ExtraGateway.onEnv(env, { wsCompression: true });
});
after(async () => {
  await compressed.stop();
  await env.stop();
});

/** Opens a client that offers permessage-deflate; resolves once open, with the agreed extensions. */
function open(url: string): Promise<{ ws: WebSocket; extensions: string | undefined }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: { threshold: 0 } });
    let extensions: string | undefined;
    const t = setTimeout(() => reject(new Error("no upgrade within 3 s")), 3000);
    ws.once("upgrade", (res) => (extensions = res.headers["sec-websocket-extensions"]));
    ws.once("open", () => {
      clearTimeout(t);
      resolve({ ws, extensions });
    });
    ws.once("error", reject);
  });
}

function next(ws: WebSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("no message within 3 s")), 3000);
    ws.once("message", (d: Buffer) => {
      clearTimeout(t);
      resolve(d.toString());
    });
  });
}

test("without --wscompression, no extension is negotiated", async () => {
  const { ws, extensions } = await open(env.wsUrl);
  assert.equal(extensions, undefined);
  ws.close();
});

test("with --wscompression, permessage-deflate without context takeover; subscribe works", async () => {
  const { ws, extensions } = await open(compressed.wsUrl);
  assert.equal(
    extensions,
    "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
  );
  const p = env.prefix();
  env.service.serveModel(`${p}.model`, { text: "x".repeat(10_000) });
  ws.send(JSON.stringify({ id: 1, method: `subscribe.${p}.model` }));
  const reply = await next(ws);
  assert.equal(
    reply,
    `{"result":{"models":{"${p}.model":{"text":"${"x".repeat(10_000)}"}}},"id":1}`,
  );
  env.service.event(`${p}.model`, "change", { values: { text: "y".repeat(5000) } });
  const ev = await next(ws);
  assert.equal(
    ev,
    `{"event":"${p}.model.change","data":{"values":{"text":"${"y".repeat(5000)}"}}}`,
  );
  ws.close();
});

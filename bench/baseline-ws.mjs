// The baseline: a bare `ws` server that broadcasts NATS messages to every connection,
// the same bytes a gateway would send. It answers any request with an empty result so
// that the load generator can treat it like a gateway.
import { connect } from "@nats-io/transport-node";
import { createServer } from "node:http";
import { WebSocketServer } from "ws";

const [natsUrl, port] = process.argv.slice(2);
const server = createServer((req, res) => res.end("ok"));
const wss = new WebSocketServer({ server, perMessageDeflate: false });
wss.on("connection", (ws) => {
  ws.on("message", (data) => {
    const m = /"id":(\d+)/.exec(data.toString());
    if (m) ws.send(`{"result":{},"id":${m[1]}}`);
  });
  ws.on("error", () => undefined);
});
const nc = await connect({ servers: natsUrl });
nc.subscribe("baseline.broadcast", {
  callback: (_err, msg) => {
    const frame = Buffer.from(msg.data);
    for (const ws of wss.clients) ws.send(frame, { binary: false });
  },
});
server.listen(Number(port), "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));

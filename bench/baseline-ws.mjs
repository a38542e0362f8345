// The baseline: a bare `ws` server that broadcasts NATS messages to every connection,
// the same bytes a gateway would send, as fast as `ws` allows. It answers any request with an empty result so
// that the load generator can treat it like a gateway.
import { connect } from "@nats-io/transport-node";
import { createServer } from "node:http";
import { Sender, WebSocketServer } from "ws";

const [natsUrl, port] = process.argv.slice(2);
// The same bytes as the gateway's GET /api/bench/model answer.
const body = Buffer.from('{"name":"bench","n":0}');
const server = createServer((req, res) => {
  res.writeHead(200, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": body.length,
  });
  res.end(body);
});
const wss = new WebSocketServer({ server, perMessageDeflate: false });
wss.on("connection", (ws) => {
  ws.on("message", (data) => {
    const m = /"id":(\d+)/.exec(data.toString());
    if (m) ws.send(`{"result":{},"id":${m[1]}}`);
  });
  ws.on("error", () => undefined);
});
const nc = await connect({ servers: natsUrl });
// The ceiling: frame once with ws's own Sender.frame, write the same bytes to every
// socket, corked per tick (what socket.io does with pre-encoded frames).
let corked = [];
nc.subscribe("baseline.broadcast", {
  callback: (_err, msg) => {
    const frame = Buffer.concat(
      Sender.frame(Buffer.from(msg.data), {
        fin: true,
        rsv1: false,
        opcode: 1,
        mask: false,
        readOnly: false,
      }),
    );
    for (const ws of wss.clients) {
      const socket = ws._socket;
      if (!socket || ws.readyState !== 1) continue;
      if (!ws.corked) {
        ws.corked = true;
        socket.cork();
        corked.push(ws);
        if (corked.length === 1) process.nextTick(uncorkAll);
      }
      socket.write(frame);
    }
  },
});
function uncorkAll() {
  const list = corked;
  corked = [];
  for (const ws of list) {
    ws.corked = false;
    ws._socket?.uncork();
  }
}
server.listen(Number(port), "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));

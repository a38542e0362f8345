// TLS and credentials: HTTPS/WSS with --tls/--tlscert/--tlskey (metrics too), and
// towards NATS --natscert/--natskey/--natsrootca and --creds. Certificates are made
// with openssl for each run; without openssl these tests are skipped.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  connect,
  credsAuthenticator,
  nkeys,
  type ConnectionOptions,
  type NatsConnection,
} from "@nats-io/transport-node";
import { pino } from "pino";
import { WebSocket } from "ws";
import { defaultConfig, Gateway, type Config } from "../../src/index.js";
import { TestEnv } from "../support/env.js";
import { freePort, NatsServer } from "../support/nats-server.js";
import { ExtraGateway } from "../support/request-basics-helpers.js";
import { makeCerts, type TestCerts } from "../support/tls.js";

const certs: TestCerts | undefined = makeCerts();
const skip = certs ? false : "openssl is not available";

let env: TestEnv;
before(async () => {
  env = await TestEnv.start();
});
after(async () => {
  await env.stop();
  certs?.remove();
});

function must<T>(v: T | undefined): T {
  assert.ok(v !== undefined);
  return v;
}

/** GET over HTTPS trusting the test CA. */
function httpsGet(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: 3000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

describe("--tls", { skip }, () => {
  let g: ExtraGateway;
  let port = 0;
  let metricsPort = 0;
  let ca = "";
  before(async () => {
    const c = must(certs);
    ca = readFileSync(c.ca, "utf8");
    metricsPort = await freePort();
    g = await ExtraGateway.onEnv(env, {
      tls: true,
      certFile: c.serverCert,
      keyFile: c.serverKey,
      metricsPort,
    });
    port = g.gateway.address().port;
  });
  after(async () => {
    await g.stop();
  });

  test("the HTTP API is served over HTTPS", async () => {
    const p = env.prefix();
    env.service.serveModel(`${p}.model`, { secure: true });
    const r = await httpsGet(`https://127.0.0.1:${port}/api/${p}/model`, ca);
    assert.deepEqual(r, { status: 200, body: '{"secure":true}' });
  });

  test("WebSockets are served over WSS", async () => {
    const p = env.prefix();
    env.service.serveModel(`${p}.model`, { n: 1 });
    const ws = new WebSocket(`wss://127.0.0.1:${port}/`, { ca });
    const reply = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("no reply within 3 s")), 3000);
      ws.once("open", () => ws.send(JSON.stringify({ id: 1, method: `subscribe.${p}.model` })));
      ws.once("message", (d: Buffer) => {
        clearTimeout(t);
        resolve(d.toString());
      });
      ws.once("error", reject);
    });
    ws.close();
    assert.equal(reply, `{"result":{"models":{"${p}.model":{"n":1}}},"id":1}`);
  });

  test("plain HTTP is not answered as HTTP", async () => {
    await assert.rejects(
      fetch(`http://127.0.0.1:${port}/api/x/y`, { signal: AbortSignal.timeout(3000) }),
    );
  });

  test("the metrics endpoint uses TLS too", async () => {
    const r = await httpsGet(`https://127.0.0.1:${metricsPort}/metrics`, ca);
    assert.equal(r.status, 200);
    assert.match(r.body, /^# HELP resgate /);
  });
});

/** A minimal service over its own NATS connection: full access and one model. */
async function modelService(opts: ConnectionOptions, rid: string): Promise<NatsConnection> {
  const nc = await connect(opts);
  nc.subscribe(`access.${rid}`, {
    callback: (_e, m) => void m.respond('{"result":{"get":true}}'),
  });
  nc.subscribe(`get.${rid}`, {
    callback: (_e, m) => void m.respond('{"result":{"model":{"ok":1}}}'),
  });
  await nc.flush();
  return nc;
}

/** Starts a gateway on `natsUrl` with `config`, subscribes to `rid` over WebSocket, and stops it. */
async function subscribeThrough(
  natsUrl: string,
  config: Partial<Config>,
  rid: string,
): Promise<string> {
  const gw = new Gateway(
    { ...defaultConfig(), natsUrl, addr: "127.0.0.1", port: 0, requestTimeout: 1000, ...config },
    { logger: pino({ level: "silent" }) },
  );
  await gw.start();
  try {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.address().port}/`);
    return await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("no reply within 3 s")), 3000);
      ws.once("open", () => ws.send(JSON.stringify({ id: 1, method: `subscribe.${rid}` })));
      ws.once("message", (d: Buffer) => {
        clearTimeout(t);
        ws.close();
        resolve(d.toString());
      });
      ws.once("error", reject);
    });
  } finally {
    await gw.stop();
  }
}

describe(
  "NATS over TLS with a client certificate (--natscert, --natskey, --natsrootca)",
  { skip },
  () => {
    test("the gateway connects and serves", async () => {
      const c = must(certs);
      const conf = join(c.dir, "nats-tls.conf");
      writeFileSync(
        conf,
        `tls {\n  cert_file: "${c.serverCert}"\n  key_file: "${c.serverKey}"\n  ca_file: "${c.ca}"\n  verify: true\n}\n`,
      );
      const nats = await NatsServer.start({ args: ["-c", conf] });
      try {
        const tls = { certFile: c.clientCert, keyFile: c.clientKey, caFile: c.ca };
        const svc = await modelService({ servers: nats.url, tls }, "tls.model");
        try {
          const reply = await subscribeThrough(
            nats.url,
            { natsCert: c.clientCert, natsKey: c.clientKey, natsRootCAs: [c.ca] },
            "tls.model",
          );
          assert.equal(reply, '{"result":{"models":{"tls.model":{"ok":1}}},"id":1}');
        } finally {
          await svc.close();
        }
      } finally {
        await nats.stop();
      }
    });
  },
);

describe("NATS user credentials (--creds)", { skip }, () => {
  test("the gateway signs in with the credentials file's nkey", async () => {
    const c = must(certs);
    const user = nkeys.createUser();
    const seed = new TextDecoder().decode(user.getSeed());
    const conf = join(c.dir, "nats-nkey.conf");
    writeFileSync(conf, `authorization { users = [ { nkey: ${user.getPublicKey()} } ] }\n`);
    // A user credentials file: the JWT (not read by a server without an operator) and the seed.
    const credsFile = join(c.dir, "user.creds");
    const creds =
      "-----BEGIN NATS USER JWT-----\neyJhbGciOiJub25lIn0.e30.x\n------END NATS USER JWT------\n\n" +
      `-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`;
    writeFileSync(credsFile, creds);
    const nats = await NatsServer.start({ args: ["-c", conf] });
    try {
      const authenticator = credsAuthenticator(new TextEncoder().encode(creds));
      const svc = await modelService({ servers: nats.url, authenticator }, "creds.model");
      try {
        const reply = await subscribeThrough(nats.url, { natsCreds: credsFile }, "creds.model");
        assert.equal(reply, '{"result":{"models":{"creds.model":{"ok":1}}},"id":1}');
      } finally {
        await svc.close();
      }
    } finally {
      await nats.stop();
    }
  });
});

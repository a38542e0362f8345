/**
 * `npm start`: the gateway with its embedded NATS broker, the book-collection and
 * edit-text services, and a web page served by the gateway itself, all in one process
 * that needs nothing but Node. Open http://localhost:8080/ in two windows.
 *
 *   node examples/dist/demo.js [--port 8080] [--host 127.0.0.1] [--nats <url>]
 *
 * With --nats, an existing NATS server is used instead of the embedded broker.
 */
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Gateway, defaultConfig } from "@resgate-ts/gateway";
import type { Service } from "@resgate-ts/service";
import { pino } from "pino";
import { libraryService } from "./book-collection/service.js";
import { textService } from "./edit-text/service.js";
import { examplesDir, resclientBundle } from "./lib/page-server.js";

interface DemoOptions {
  port: number;
  host: string;
  natsUrl: string | undefined;
}

/** The demo's page and the resclient bundle, read once. */
function pages(): (req: IncomingMessage, res: ServerResponse) => boolean {
  const files = new Map<string, { type: string; body: Buffer }>([
    [
      "/",
      {
        type: "text/html; charset=utf-8",
        body: readFileSync(join(examplesDir, "demo", "index.html")),
      },
    ],
    [
      "/resclient.min.js",
      { type: "text/javascript; charset=utf-8", body: readFileSync(resclientBundle()) },
    ],
  ]);
  return (req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const file = req.method === "GET" || req.method === "HEAD" ? files.get(path) : undefined;
    if (!file) return false;
    res.writeHead(200, {
      "Content-Type": file.type,
      "Content-Length": file.body.length,
      "Cache-Control": "no-store",
    });
    res.end(req.method === "HEAD" ? undefined : file.body);
    return true;
  };
}

export interface RunningDemo {
  readonly gateway: Gateway;
  /** The page to open. */
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts the demo; the returned stop() undoes everything. */
export async function startDemo(opts: DemoOptions): Promise<RunningDemo> {
  const gateway = new Gateway(
    {
      ...defaultConfig(),
      natsUrl: opts.natsUrl ?? "nats://127.0.0.1:4222",
      addr: opts.host,
      port: opts.port,
    },
    { embedded: opts.natsUrl === undefined, pages: pages(), logger: pino({ level: "warn" }) },
  );
  await gateway.start();
  const natsUrl = gateway.broker?.url ?? opts.natsUrl ?? "";
  const errors = { info: () => undefined, error: (m: string) => console.error(m) };
  const services: Service[] = [libraryService({ logger: errors }), textService({ logger: errors })];
  await Promise.all(services.map((s) => s.serve(natsUrl)));
  const host = opts.host === "0.0.0.0" || opts.host === "127.0.0.1" ? "localhost" : opts.host;
  return {
    gateway,
    url: `http://${host}:${gateway.address().port}/`,
    stop: async () => {
      await Promise.all(services.map((s) => s.close()));
      await gateway.stop();
    },
  };
}

function parseArgs(argv: readonly string[]): DemoOptions {
  const opts: DemoOptions = { port: 8080, host: "127.0.0.1", natsUrl: undefined };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`missing value for ${flag ?? ""}`);
    if (flag === "--port") opts.port = Number(value);
    else if (flag === "--host") opts.host = value;
    else if (flag === "--nats") opts.natsUrl = value;
    else throw new Error(`unknown option ${flag ?? ""} (use --port, --host, --nats)`);
    i++;
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535)
    throw new Error("invalid --port");
  return opts;
}

async function main(): Promise<void> {
  const started = performance.now();
  let opts: DemoOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`demo: ${(err as Error).message}`);
    process.exit(1);
  }
  const demo = await startDemo(opts);
  console.log(
    `resgate-ts demo ready in ${Math.round(performance.now() - started)} ms: open ${demo.url} (Ctrl-C to stop)`,
  );
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    demo.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

if (process.argv[1] && import.meta.filename === process.argv[1]) await main();

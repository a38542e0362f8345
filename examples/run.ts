/**
 * `npm run example -- <name> [--nats <url>] [--port <n>] [--web-port <n>] [--host <addr>]`
 *
 * Starts the resgate-ts gateway in-process, the example's services and its web page,
 * and prints the page to open. Ctrl-C stops everything.
 */
import { parseArgs } from "node:util";
import { exampleNames, findExample } from "./lib/registry.js";
import { startExample, type RunningExample } from "./lib/runner.js";

const USAGE = `Usage: npm run example -- <name> [options]

Examples: ${exampleNames.join(", ")}

Options:
  --nats <url>      NATS server (default nats://127.0.0.1:4222)
  --port <n>        gateway HTTP/WebSocket port (default 8080)
  --web-port <n>    web page port (default 8081)
  --host <addr>     address to listen on (default 127.0.0.1)
  -h, --help        print this help`;

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(1);
}

function port(value: string, flag: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n > 65535) fail(`${flag}: not a port: ${value}`);
  return n;
}

let args: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    allowPositionals: true,
    options: {
      nats: { type: "string", default: "nats://127.0.0.1:4222" },
      port: { type: "string", default: "8080" },
      "web-port": { type: "string", default: "8081" },
      host: { type: "string", default: "127.0.0.1" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
}
try {
  args = parse();
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}

if (args.values.help) {
  console.log(USAGE);
  process.exit(0);
}
const [name, ...extra] = args.positionals;
if (name === undefined) fail("Which example?");
if (extra.length > 0) fail(`Unexpected arguments: ${extra.join(" ")}`);
const example = findExample(name);
if (!example) fail(`No example named "${name}"`);

const natsUrl = args.values.nats;
let running: RunningExample | undefined;

// Ctrl-C: stop everything, then exit. A second Ctrl-C exits at once.
let stopping = false;
const onSignal = (signal: NodeJS.Signals): void => {
  if (stopping || running === undefined) process.exit(130);
  stopping = true;
  console.log(`\n${signal}: stopping ${example.name}...`);
  running.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

// The gateway waits for NATS; say so when that takes a while.
const waiting = setTimeout(() => {
  console.log(`Waiting for NATS at ${natsUrl} (is nats-server running?)...`);
}, 2000);
try {
  running = await startExample(example, {
    natsUrl,
    host: args.values.host,
    port: port(args.values.port, "--port"),
    webPort: port(args.values["web-port"], "--web-port"),
  });
} catch (err) {
  console.error(`${example.name}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
} finally {
  clearTimeout(waiting);
}
console.log(
  `${example.name}: ${example.title}. Open ${running.pageUrl} (gateway ${running.wsUrl}, NATS ${natsUrl}); Ctrl-C to stop.`,
);

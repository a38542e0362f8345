/**
 * `npm run example -- <name> [--nats <url>] [--port <n>] [--web-port <n>] [--host <addr>]`
 *
 * Starts the resgate-ts gateway in-process, the example's services and its web page,
 * and prints the page to open. Ctrl-C stops everything.
 */
import { parseArgs } from "node:util";
import type { Example } from "./lib/example.js";
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

interface CommandLine {
  readonly example: Example;
  readonly natsUrl: string;
  readonly host: string;
  readonly port: number;
  readonly webPort: number;
}

class UsageError extends Error {}

function port(value: string, flag: string): number {
  if (!/^[0-9]{1,5}$/.test(value) || Number(value) > 65535) {
    throw new UsageError(`${flag}: not a port: ${value}`);
  }
  return Number(value);
}

/** The command line, or undefined for --help. */
function parseCommandLine(args: string[]): CommandLine | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        nats: { type: "string", default: "nats://127.0.0.1:4222" },
        port: { type: "string", default: "8080" },
        "web-port": { type: "string", default: "8081" },
        host: { type: "string", default: "127.0.0.1" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help) return undefined;
  const [name, ...extra] = positionals;
  if (name === undefined) throw new UsageError("Which example?");
  if (extra.length > 0) throw new UsageError(`Unexpected arguments: ${extra.join(" ")}`);
  const example = findExample(name);
  if (!example) throw new UsageError(`No example named "${name}"`);
  return {
    example,
    natsUrl: values.nats,
    host: values.host,
    port: port(values.port, "--port"),
    webPort: port(values["web-port"], "--web-port"),
  };
}

let cmd: CommandLine | undefined;
try {
  cmd = parseCommandLine(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  console.error(`${err.message}\n\n${USAGE}`);
  process.exit(1);
}
if (cmd === undefined) {
  console.log(USAGE);
  process.exit(0);
}
const { example, natsUrl } = cmd;

let running: RunningExample | undefined;
let stopping = false;
// Ctrl-C: stop everything, then exit. Before everything is up, or a second time: exit.
const onSignal = (signal: NodeJS.Signals): void => {
  if (stopping || running === undefined) process.exit(130);
  stopping = true;
  console.log(`${signal}: stopping ${example.name}...`);
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

// The gateway waits for NATS to come up; say so when that takes a while.
const waiting = setTimeout(() => {
  console.log(`Waiting for NATS at ${natsUrl} (is nats-server running?)...`);
}, 2000);
try {
  running = await startExample(example, cmd);
} catch (err) {
  console.error(`${example.name}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
} finally {
  clearTimeout(waiting);
}
console.log(
  `${example.name}: ${example.title}. Open ${running.pageUrl} ` +
    `(gateway ${running.wsUrl}, NATS ${natsUrl}); Ctrl-C to stop.`,
);

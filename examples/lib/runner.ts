/**
 * Runs an example: the resgate-ts gateway in-process, the example's services, and its
 * page server, all in one process. Used by `npm run example` and by the tests.
 */
import { Gateway, defaultConfig } from "@resgate-ts/gateway";
import type { Logger as ServiceLogger, Service } from "@resgate-ts/service";
import { pino, type Logger as GatewayLogger } from "pino";
import type { Example } from "./example.js";
import { PageServer } from "./page-server.js";

export interface RunOptions {
  /** The NATS server the gateway and the services connect to. */
  readonly natsUrl: string;
  /** Address of the gateway and the page server (default 127.0.0.1). */
  readonly host?: string;
  /** The gateway's HTTP/WebSocket port (default 8080; 0 for any free port). */
  readonly port?: number;
  /** The page server's port (default 8081; 0 for any free port). */
  readonly webPort?: number;
  /** The gateway's request timeout in ms (default 3000). */
  readonly requestTimeout?: number;
  /** Default: warnings and errors only. */
  readonly gatewayLogger?: GatewayLogger;
  /** Default: errors to stderr. */
  readonly serviceLogger?: ServiceLogger;
}

export interface RunningExample {
  readonly example: Example;
  readonly gateway: Gateway;
  readonly services: readonly Service[];
  readonly page: PageServer;
  /** The gateway's WebSocket URL. */
  readonly wsUrl: string;
  /** The page to open in a browser. */
  readonly pageUrl: string;
  /** Stops the page server, the services and the gateway. Safe to call more than once. */
  stop(): Promise<void>;
}

const errorsOnly: ServiceLogger = { info: () => undefined, error: (m) => console.error(m) };

/** `http://host:port/`, with IPv6 hosts in brackets and "any address" shown as localhost. */
function httpUrl(host: string, port: number, path = "/"): string {
  const h =
    host === "0.0.0.0" || host === "::" ? "localhost" : host.includes(":") ? `[${host}]` : host;
  return `http://${h}:${port}${path}`;
}

export async function startExample(example: Example, options: RunOptions): Promise<RunningExample> {
  const host = options.host ?? "127.0.0.1";
  const gateway = new Gateway(
    {
      ...defaultConfig(),
      natsUrl: options.natsUrl,
      addr: host,
      port: options.port ?? 8080,
      requestTimeout: options.requestTimeout ?? 3000,
    },
    { logger: options.gatewayLogger ?? pino({ name: "resgate-ts", level: "warn" }) },
  );
  const services = example.services({ logger: options.serviceLogger ?? errorsOnly });
  const serving: Service[] = [];
  let page: PageServer | undefined;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await page?.stop();
      await Promise.all(serving.map((s) => s.close()));
      await gateway.stop();
    })());

  try {
    await gateway.start();
    for (const service of services) {
      await service.serve(options.natsUrl);
      serving.push(service);
    }
    page = await PageServer.start({
      example,
      gatewayPort: gateway.address().port,
      wsPath: gateway.config.wsPath,
      host,
      port: options.webPort ?? 8081,
    });
  } catch (err) {
    await stop();
    throw err;
  }

  const gatewayPort = gateway.address().port;
  return {
    example,
    gateway,
    services,
    page,
    wsUrl: httpUrl(host, gatewayPort, gateway.config.wsPath).replace(/^http/, "ws"),
    pageUrl: httpUrl(host, page.port),
    stop,
  };
}

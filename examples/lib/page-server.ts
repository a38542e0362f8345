/**
 * The web page of an example over node:http: `index.html` from the example's folder,
 * resclient's browser bundle from node_modules, a `config.js` telling the page where
 * the gateway is, and the example's own routes. Nothing else is served.
 */
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import type { Example, PageResponse } from "./example.js";

/** The examples folder (this file runs from examples/dist/lib/). */
export const examplesDir = join(import.meta.dirname, "..", "..");

/** resclient's browser bundle (a UMD script defining `window.resclient`). */
export function resclientBundle(): string {
  const pkg = createRequire(import.meta.url).resolve("resclient/package.json");
  return join(dirname(pkg), "dist", "resclient.min.js");
}

export interface PageServerOptions {
  readonly example: Example;
  /** The gateway's port and WebSocket path, for `config.js`. */
  readonly gatewayPort: number;
  readonly wsPath: string;
  readonly host: string;
  /** 0 for any free port. */
  readonly port: number;
}

export class PageServer {
  readonly #server: Server;

  private constructor(
    server: Server,
    readonly options: PageServerOptions,
  ) {
    this.#server = server;
  }

  static async start(options: PageServerOptions): Promise<PageServer> {
    const server = createServer();
    const page = new PageServer(server, options);
    server.on("request", (req, res) => page.#handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, options.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    return page;
  }

  get port(): number {
    const a: AddressInfo | string | null = this.#server.address();
    if (a === null || typeof a === "string") throw new Error("page server is not listening");
    return a.port;
  }

  /** Closes the server and every open connection. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    this.#respond(req)
      .catch((err: unknown) => ({
        status: 500,
        contentType: "text/plain; charset=utf-8",
        body: `Internal error: ${String(err)}\n`,
      }))
      .then((r) => {
        res.writeHead(r.status, {
          "Content-Type": r.contentType,
          "Content-Length": Buffer.byteLength(r.body),
          "Cache-Control": "no-store",
        });
        res.end(req.method === "HEAD" ? undefined : r.body);
      })
      .catch(() => res.destroy());
  }

  async #respond(req: IncomingMessage): Promise<PageResponse> {
    if (req.method !== "GET" && req.method !== "HEAD") {
      return {
        status: 405,
        contentType: "text/plain; charset=utf-8",
        body: "Method not allowed\n",
      };
    }
    const url = new URL(req.url ?? "/", "http://page");
    const { example } = this.options;
    switch (url.pathname) {
      case "/":
      case "/index.html":
        return {
          status: 200,
          contentType: "text/html; charset=utf-8",
          body: await readFile(join(examplesDir, example.name, "index.html"), "utf8"),
        };
      case "/resclient.min.js":
        return {
          status: 200,
          contentType: "text/javascript; charset=utf-8",
          body: await readFile(resclientBundle(), "utf8"),
        };
      case "/config.js":
        return {
          status: 200,
          contentType: "text/javascript; charset=utf-8",
          body: this.#config(),
        };
    }
    const route = example.routes?.[url.pathname];
    if (route) return route(url);
    return { status: 404, contentType: "text/plain; charset=utf-8", body: "Not found\n" };
  }

  /** Where the page finds the gateway: the host the page came from, the gateway's port. */
  #config(): string {
    const { gatewayPort, wsPath } = this.options;
    return (
      `// Written by the example runner: the gateway's WebSocket URL.\n` +
      `window.RESGATE_URL = "ws://" + location.hostname + ":${gatewayPort}${wsPath}";\n`
    );
  }
}

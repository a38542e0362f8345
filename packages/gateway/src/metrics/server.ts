/**
 * The metrics endpoint (-m/--metricsport): GET /metrics on its own port, as
 * Resgate's metricsServer.go serves it (any other path is Go's ServeMux 404).
 */
import { createServer as createHttpServer, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Logger } from "pino";
import type { GatewayMetrics } from "./metrics.js";

export class MetricsServer {
  readonly server: Server;

  constructor(
    private readonly metrics: GatewayMetrics,
    private readonly log: Logger,
    tls?: { cert: Buffer; key: Buffer },
  ) {
    const handler = (url: string | undefined, res: ServerResponse) => this.handle(url, res);
    this.server = tls
      ? createHttpsServer(tls, (req, res) => handler(req.url, res))
      : createHttpServer((req, res) => handler(req.url, res));
    this.server.on("clientError", (_err, socket) => socket.destroy());
  }

  private handle(url: string | undefined, res: ServerResponse): void {
    const path = (url ?? "/").split("?")[0];
    if (path !== "/metrics") {
      res.writeHead(404, {
        "Content-Type": "text/plain; charset=utf-8",
        "X-Content-Type-Options": "nosniff",
      });
      res.end("404 page not found\n");
      return;
    }
    this.metrics.text().then(
      (text) => {
        res.writeHead(200, { "Content-Type": this.metrics.contentType });
        res.end(text);
      },
      (err: unknown) => {
        this.log.error({ err }, "error collecting metrics");
        res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
        res.end("error collecting metrics\n");
      },
    );
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host === "" ? undefined : host, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

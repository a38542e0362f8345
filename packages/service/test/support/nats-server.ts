/**
 * A real nats-server on a free loopback port, for one test file. The process is
 * stopped by its PID; every wait is bounded.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { connect as tcpConnect, createServer } from "node:net";

const CANDIDATES = ["/usr/sbin/nats-server", "/usr/local/bin/nats-server", "/usr/bin/nats-server"];

function binary(): string {
  const fromEnv = process.env["NATS_SERVER"];
  if (fromEnv) return fromEnv;
  const found = CANDIDATES.find((p) => existsSync(p));
  if (!found) throw new Error("nats-server not found (set NATS_SERVER)");
  return found;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const a = srv.address();
      const port = typeof a === "object" && a !== null ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ port, host: "127.0.0.1" });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

export class NatsServer {
  #child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<NatsServer> {
    const s = new NatsServer(await freePort());
    await s.run();
    return s;
  }

  /** Starts (or restarts) the process on the same port, waiting at most 5 s. */
  async run(): Promise<void> {
    const child = spawn(binary(), ["-a", "127.0.0.1", "-p", String(this.port)], {
      stdio: "ignore",
    });
    this.#child = child;
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}`);
      if (await portOpen(this.port)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    if (child.pid !== undefined) process.kill(child.pid, "SIGKILL");
    throw new Error("nats-server did not start within 5 s");
  }

  /** Stops the process by its PID and waits (at most 3 s) for it to exit. */
  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.pid === undefined) return;
    const pid = child.pid;
    const exited = new Promise((r) => child.once("exit", r));
    process.kill(pid, "SIGTERM");
    const timer = setTimeout(() => {
      if (child.exitCode === null) process.kill(pid, "SIGKILL");
    }, 3000);
    await exited;
    clearTimeout(timer);
  }
}

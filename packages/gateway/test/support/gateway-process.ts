/**
 * Runs the built `resgate-ts` command as a child process, for tests that look at the
 * gateway from outside: its file descriptors, its sockets, its exit code, its memory.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { freePort } from "./nats-server.js";

/** The compiled CLI, relative to this file's compiled location (dist/test/support). */
export const CLI_PATH = join(import.meta.dirname, "..", "..", "src", "cli.js");

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/", timeout: 500 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

export class GatewayProcess {
  output = "";

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    const append = (d: Buffer) => {
      this.output += d.toString();
      if (this.output.length > 256 * 1024) this.output = this.output.slice(-128 * 1024);
    };
    child.stdout?.on("data", append);
    child.stderr?.on("data", append);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/`;
  }

  static async start(natsUrl: string, extraArgs: string[] = []): Promise<GatewayProcess> {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        CLI_PATH,
        "--nats",
        natsUrl,
        "-i",
        "127.0.0.1",
        "-p",
        String(port),
        "-r",
        "1000",
        ...extraArgs,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const g = new GatewayProcess(child, port);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`gateway exited early:\n${g.output}`);
      if (await answers(port)) return g;
      await new Promise((r) => setTimeout(r, 30));
    }
    child.kill("SIGKILL");
    throw new Error(`gateway did not start within 10 s:\n${g.output}`);
  }

  /** Open file descriptors of the gateway process. */
  fdCount(): number {
    return readdirSync(`/proc/${this.pid}/fd`).length;
  }

  /** Resident memory of the gateway process, in bytes. */
  rss(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, "utf8");
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) * 1024 : 0;
  }

  /** TCP sockets on the gateway's port in a given state (hex code, e.g. "08" = CLOSE_WAIT). */
  socketsInState(state: string): number {
    let n = 0;
    for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch {
        continue;
      }
      for (const line of text.split("\n").slice(1)) {
        const cols = line.trim().split(/\s+/);
        const local = cols[1];
        if (!local || cols[3] !== state) continue;
        const port = parseInt(local.split(":")[1] ?? "", 16);
        if (port === this.port) n++;
      }
    }
    return n;
  }

  /** Stops the gateway with SIGTERM; resolves with its exit code. */
  async stop(): Promise<number | null> {
    const child = this.child;
    if (child.exitCode !== null) return child.exitCode;
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 5000);
    const code = await exited;
    clearTimeout(t);
    return code;
  }
}

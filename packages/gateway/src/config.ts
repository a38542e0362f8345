/**
 * Configuration with Resgate's names, defaults and validation: command-line flags
 * (Go flag syntax: `-p 8080`, `--port=8080`, `-port 8080`) and the `-c` JSON file,
 * whose keys are Resgate's. Flags override the file.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { isValidRid, isValidRidPart } from "@resgate-ts/protocol";
import {
  DEFAULT_ADDR,
  DEFAULT_API_PATH,
  DEFAULT_NATS_URL,
  DEFAULT_PORT,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_WS_PATH,
  MAX_CLIENT_FRAME_BYTES,
  MAX_OUTGOING_BYTES,
  MAX_REQUESTS_IN_FLIGHT,
} from "./constants.js";
import { parseAllowOrigin } from "./http/cors.js";

/** The gateway's configuration; keys are those of Resgate's JSON config file. */
export interface Config {
  natsUrl: string;
  natsCreds: string;
  natsCert: string;
  natsKey: string;
  natsRootCAs: string[];
  /** Milliseconds. */
  requestTimeout: number;
  debug: boolean;
  trace: boolean;
  addr: string;
  port: number;
  wsPath: string;
  apiPath: string;
  metricsPort: number;
  apiEncoding: string;
  headerAuth: string | null;
  wsHeaderAuth: string | null;
  allowOrigin: string;
  putMethod: string | null;
  deleteMethod: string | null;
  patchMethod: string | null;
  tls: boolean;
  certFile: string;
  keyFile: string;
  wsCompression: boolean;
  resetThrottle: number;
  referenceThrottle: number;
  /** Gateway processes sharing the port (resgate-ts only; 1 = no cluster). */
  workers: number;
  /** Run the embedded NATS broker in-process (resgate-ts only). */
  embedded: boolean;
  /** Largest client WebSocket message, in bytes (resgate-ts only). */
  maxFrameBytes: number;
  /** Bytes queued for one client before it is cut off as too slow (resgate-ts only). */
  maxOutgoingBytes: number;
  /** Requests one connection may have in flight (resgate-ts only). */
  maxRequestsInFlight: number;
}

export function defaultConfig(): Config {
  return {
    natsUrl: DEFAULT_NATS_URL,
    natsCreds: "",
    natsCert: "",
    natsKey: "",
    natsRootCAs: [],
    requestTimeout: DEFAULT_REQUEST_TIMEOUT_MS,
    debug: false,
    trace: false,
    addr: DEFAULT_ADDR,
    port: DEFAULT_PORT,
    wsPath: DEFAULT_WS_PATH,
    apiPath: DEFAULT_API_PATH,
    metricsPort: 0,
    apiEncoding: "json",
    headerAuth: null,
    wsHeaderAuth: null,
    allowOrigin: "*",
    putMethod: null,
    deleteMethod: null,
    patchMethod: null,
    tls: false,
    certFile: "",
    keyFile: "",
    wsCompression: false,
    resetThrottle: 0,
    referenceThrottle: 0,
    workers: 1,
    embedded: false,
    maxFrameBytes: MAX_CLIENT_FRAME_BYTES,
    maxOutgoingBytes: MAX_OUTGOING_BYTES,
    maxRequestsInFlight: MAX_REQUESTS_IN_FLIGHT,
  };
}

/** A configuration problem; the CLI prints the message on one line and exits with 1. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

type FlagKind = "string" | "int" | "bool" | "list";

interface FlagSpec {
  names: readonly string[];
  kind: FlagKind;
  /** The config key it sets; undefined for flags handled by the CLI itself. */
  key?: keyof Config;
  /** Not supported yet: giving it is an error rather than being ignored. */
  unsupported?: boolean;
}

const FLAGS: readonly FlagSpec[] = [
  { names: ["h", "help"], kind: "bool" },
  { names: ["v", "version"], kind: "bool" },
  { names: ["c", "config"], kind: "string" },
  { names: ["n", "nats"], kind: "string", key: "natsUrl" },
  { names: ["i", "addr"], kind: "string", key: "addr" },
  { names: ["p", "port"], kind: "int", key: "port" },
  { names: ["w", "wspath"], kind: "string", key: "wsPath" },
  { names: ["a", "apipath"], kind: "string", key: "apiPath" },
  { names: ["r", "reqtimeout"], kind: "int", key: "requestTimeout" },
  { names: ["u", "headauth"], kind: "string", key: "headerAuth" },
  { names: ["t", "wsheadauth"], kind: "string", key: "wsHeaderAuth" },
  { names: ["m", "metricsport"], kind: "int", key: "metricsPort" },
  { names: ["apiencoding"], kind: "string", key: "apiEncoding" },
  { names: ["putmethod"], kind: "string", key: "putMethod" },
  { names: ["deletemethod"], kind: "string", key: "deleteMethod" },
  { names: ["patchmethod"], kind: "string", key: "patchMethod" },
  { names: ["wscompression"], kind: "bool", key: "wsCompression" },
  { names: ["resetthrottle"], kind: "int", key: "resetThrottle" },
  { names: ["referencethrottle"], kind: "int", key: "referenceThrottle" },
  { names: ["tls"], kind: "bool", key: "tls" },
  { names: ["tlscert"], kind: "string", key: "certFile" },
  { names: ["tlskey"], kind: "string", key: "keyFile" },
  { names: ["creds"], kind: "string", key: "natsCreds" },
  { names: ["natscert"], kind: "string", key: "natsCert" },
  { names: ["natskey"], kind: "string", key: "natsKey" },
  { names: ["natsrootca"], kind: "list", key: "natsRootCAs" },
  { names: ["alloworigin"], kind: "list", key: "allowOrigin" },
  { names: ["workers"], kind: "int", key: "workers" },
  { names: ["embedded"], kind: "bool", key: "embedded" },
  { names: ["maxframesize"], kind: "int", key: "maxFrameBytes" },
  { names: ["maxoutgoing"], kind: "int", key: "maxOutgoingBytes" },
  { names: ["maxinflight"], kind: "int", key: "maxRequestsInFlight" },
  { names: ["D", "debug"], kind: "bool", key: "debug" },
  { names: ["V", "trace"], kind: "bool", key: "trace" },
  { names: ["DV"], kind: "bool" },
];

const BY_NAME = new Map<string, FlagSpec>();
for (const f of FLAGS) for (const n of f.names) BY_NAME.set(n, f);

/** Flags as given, by their first (short) name; list flags collect every value. */
export type ParsedFlags = Map<string, string | number | boolean | string[]>;

/**
 * Reads an integer as Go's strconv.ParseInt(s, 0, 64) does: an optional sign, then
 * decimal, `0x` hex, `0o`/leading-0 octal or `0b` binary, with `_` between digits
 * allowed after a prefix.
 */
export function parseGoInt(flag: string, v: string): number {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9]*)$/.exec(v);
  if (!m) throw new ConfigError(`invalid value "${v}" for flag -${flag}: parse error`);
  const sign = m[1] === "-" ? -1 : 1;
  let digits = m[2] ?? "0";
  if (digits.includes("_") && !/^0[xXoObB]?/.test(digits)) {
    throw new ConfigError(`invalid value "${v}" for flag -${flag}: parse error`);
  }
  digits = digits.replaceAll("_", "");
  let n: number;
  if (/^0[xX]/.test(digits)) n = parseInt(digits.slice(2), 16);
  else if (/^0[oO]/.test(digits)) n = parseInt(digits.slice(2), 8);
  else if (/^0[bB]/.test(digits)) n = parseInt(digits.slice(2), 2);
  else if (digits.length > 1 && digits.startsWith("0")) n = parseInt(digits.slice(1), 8);
  else n = parseInt(digits, 10);
  if (!Number.isFinite(n))
    throw new ConfigError(`invalid value "${v}" for flag -${flag}: parse error`);
  return sign * n;
}

/** Parses arguments the way Go's flag package does; parsing stops at the first non-flag. */
export function parseFlags(args: readonly string[]): ParsedFlags {
  const out: ParsedFlags = new Map();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") break;
    if (!arg.startsWith("-") || arg === "-") break;
    let body = arg.slice(arg.startsWith("--") ? 2 : 1);
    let value: string | undefined;
    const eq = body.indexOf("=");
    if (eq >= 0) {
      value = body.slice(eq + 1);
      body = body.slice(0, eq);
    }
    const spec = BY_NAME.get(body);
    if (!spec) throw new ConfigError(`flag provided but not defined: -${body}`);
    const id = spec.names[0] as string;
    if (spec.kind === "bool") {
      if (value === undefined) out.set(id, true);
      else if (/^(1|t|T|TRUE|true|True)$/.test(value)) out.set(id, true);
      else if (/^(0|f|F|FALSE|false|False)$/.test(value)) out.set(id, false);
      else throw new ConfigError(`invalid boolean value "${value}" for -${body}`);
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= args.length) throw new ConfigError(`flag needs an argument: -${body}`);
      value = args[++i] ?? "";
    }
    if (spec.kind === "int") out.set(id, parseGoInt(body, value));
    else if (spec.kind === "list") {
      const prev = out.get(id);
      out.set(id, [...(Array.isArray(prev) ? prev : []), value]);
    } else out.set(id, value);
  }
  return out;
}

function specFor(key: keyof Config): FlagSpec | undefined {
  return FLAGS.find((f) => f.key === key);
}

/** Names the first unsupported setting in use, so the gateway can refuse to start. */
function checkSupported(config: Config, flags: ParsedFlags): void {
  for (const f of FLAGS) {
    if (!f.unsupported) continue;
    const id = f.names[0] as string;
    if (flags.has(id)) {
      throw new ConfigError(
        `flag --${f.names[f.names.length - 1] ?? id} is not supported yet by resgate-ts`,
      );
    }
  }
  const defaults = defaultConfig();
  for (const key of Object.keys(defaults) as (keyof Config)[]) {
    const spec = specFor(key);
    if (!spec?.unsupported) continue;
    if (JSON.stringify(config[key]) !== JSON.stringify(defaults[key])) {
      throw new ConfigError(`config setting "${key}" is not supported yet by resgate-ts`);
    }
  }
}

/** Reads the JSON config file; when it does not exist, Resgate writes the defaults to it. */
function readConfigFile(path: string, config: Config): boolean {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return true;
    throw new ConfigError(`Error loading config file: ${(err as Error).message}`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`Error parsing config file: ${(err as Error).message}`);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new ConfigError("Error parsing config file: not a JSON object");
  }
  const defaults = defaultConfig();
  const byLowerName = new Map(Object.keys(defaults).map((k) => [k.toLowerCase(), k]));
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    // Go's decoder matches keys ignoring case and ignores unknown ones (bufferSize).
    const name = k in defaults ? k : byLowerName.get(k.toLowerCase());
    if (name === undefined) continue;
    const key = name as keyof Config;
    const expected = typeof defaults[key];
    const nullable = defaults[key] === null;
    const ok =
      (nullable && (val === null || typeof val === "string")) ||
      (key === "natsRootCAs" &&
        (val === null || (Array.isArray(val) && val.every((s) => typeof s === "string")))) ||
      (key === "addr" && (val === null || typeof val === "string")) ||
      typeof val === expected;
    if (!ok) throw new ConfigError(`Error parsing config file: invalid value for "${k}"`);
    if (val === null && !nullable) continue;
    (config as unknown as Record<string, unknown>)[key] = val;
  }
  return false;
}

export interface LoadedConfig {
  config: Config;
  /** A NATS URL was given (flag or config file); without one the embedded broker may start. */
  natsGiven: boolean;
  /** -h or -v was given: the CLI prints and exits. */
  help: boolean;
  version: boolean;
}

/** Builds and validates the configuration from command-line arguments. */
export function loadConfig(args: readonly string[]): LoadedConfig {
  const flags = parseFlags(args);
  const config = defaultConfig();
  const file = flags.get("c");
  let writeDefaults = false;
  if (typeof file === "string" && file !== "") writeDefaults = readConfigFile(file, config);
  const fileSetNats = config.natsUrl !== DEFAULT_NATS_URL;
  for (const [id, value] of flags) {
    const spec = BY_NAME.get(id);
    if (!spec?.key) continue;
    const key = spec.key;
    if (key === "allowOrigin" && Array.isArray(value)) config.allowOrigin = value.join(";");
    else if (
      (key === "headerAuth" || key === "wsHeaderAuth" || key.endsWith("Method")) &&
      value === ""
    )
      (config as unknown as Record<string, unknown>)[key] = null;
    else (config as unknown as Record<string, unknown>)[key] = value;
  }
  if (flags.get("DV") === true) {
    config.debug = true;
    config.trace = true;
  }
  validate(config);
  checkSupported(config, flags);
  if (writeDefaults && typeof file === "string") {
    writeFileSync(file, JSON.stringify(config, null, "\t"), { mode: 0o664 });
  }
  return {
    config,
    natsGiven: flags.has("n") || fileSetNats,
    help: flags.get("h") === true,
    version: flags.get("v") === true,
  };
}

/** Checks every value and normalizes paths, with Resgate's messages. */
export function validate(c: Config): void {
  if (!Number.isInteger(c.port) || c.port < 0 || c.port >= 65536) {
    throw new ConfigError(`Invalid port "${c.port}": must be less than 65536`);
  }
  if (c.port === 0) c.port = DEFAULT_PORT;
  if (!Number.isInteger(c.metricsPort) || c.metricsPort < 0 || c.metricsPort >= 65536) {
    throw new ConfigError(`Invalid metrics port "${c.metricsPort}": must be less than 65536`);
  }
  if (c.metricsPort !== 0 && c.port === c.metricsPort) {
    throw new ConfigError(
      `invalid metrics port "${c.metricsPort}": must be different from API port ("${c.port}")`,
    );
  }
  if (c.addr !== "" && isIP(c.addr) === 0) {
    throw new ConfigError(`invalid addr setting (${c.addr}): must be a valid IPv4 or IPv6 address`);
  }
  if (!Number.isInteger(c.requestTimeout) || c.requestTimeout < 0) {
    throw new ConfigError(`invalid request timeout "${c.requestTimeout}"`);
  }
  if (c.requestTimeout === 0) c.requestTimeout = DEFAULT_REQUEST_TIMEOUT_MS;
  else if (c.requestTimeout <= 10) {
    // Resgate's deprecated behaviour: small values are read as seconds.
    process.stderr.write(
      `[DEPRECATED] Request timeout should be in milliseconds.\nChange your requestTimeout from ${c.requestTimeout} to ${c.requestTimeout * 1000}, and you won't be bothered anymore.\n`,
    );
    c.requestTimeout *= 1000;
  }
  for (const key of ["maxFrameBytes", "maxOutgoingBytes", "maxRequestsInFlight"] as const) {
    if (!Number.isInteger(c[key]) || c[key] < 1) {
      throw new ConfigError(`invalid ${key} setting (${c[key]}): must be a positive integer`);
    }
  }
  if (!Number.isInteger(c.workers) || c.workers < 1 || c.workers > 64) {
    throw new ConfigError(`invalid workers setting (${c.workers}): must be from 1 to 64`);
  }
  for (const key of ["resetThrottle", "referenceThrottle"] as const) {
    if (!Number.isInteger(c[key]) || c[key] < 0) {
      throw new ConfigError(
        `invalid ${key} setting (${c[key]}): must be zero or a positive integer`,
      );
    }
  }
  if (c.natsUrl === "") c.natsUrl = DEFAULT_NATS_URL;
  for (const [key, value] of [
    ["headerAuth", c.headerAuth],
    ["wsHeaderAuth", c.wsHeaderAuth],
  ] as const) {
    if (value !== null && (!isValidRid(value, false) || !value.includes("."))) {
      throw new ConfigError(`invalid ${key} setting (${value}): must be a valid resource method`);
    }
  }
  for (const [key, value] of [
    ["putMethod", c.putMethod],
    ["deleteMethod", c.deleteMethod],
    ["patchMethod", c.patchMethod],
  ] as const) {
    if (value !== null && !isValidRidPart(value)) {
      throw new ConfigError(`invalid ${key} setting (${value}): must be a valid call method name`);
    }
  }
  if (c.apiEncoding === "") c.apiEncoding = "json";
  if (c.apiEncoding.toLowerCase() !== "json" && c.apiEncoding.toLowerCase() !== "jsonflat") {
    throw new ConfigError(
      `invalid apiEncoding setting (${c.apiEncoding}) - available encodings: json, jsonflat`,
    );
  }
  try {
    parseAllowOrigin(c.allowOrigin);
  } catch (err) {
    throw new ConfigError(
      `invalid allowOrigin setting (${c.allowOrigin}): ${(err as Error).message}; valid options are *, or a list of semi-colon separated origins`,
    );
  }
  if (c.tls && (c.certFile === "" || c.keyFile === "")) {
    throw new ConfigError(
      `TLS requires a certificate and its key: missing --${c.certFile === "" ? "tlscert" : "tlskey"} file option`,
    );
  }
  if (c.natsCert !== "" && c.natsKey === "") {
    throw new ConfigError("missing --natskey file option");
  }
  if (c.natsKey !== "" && c.natsCert === "") {
    throw new ConfigError("missing --natscert file option");
  }
  if (c.wsPath === "") c.wsPath = "/";
  if (!c.wsPath.startsWith("/")) c.wsPath = "/" + c.wsPath;
  if (!c.apiPath.endsWith("/")) c.apiPath += "/";
  if (!c.apiPath.startsWith("/")) c.apiPath = "/" + c.apiPath;
}

/** The NATS server list from the natsUrl setting (comma-separated). */
export function natsServers(c: Config): string[] {
  return c.natsUrl
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

export const USAGE = `
Usage: resgate-ts [options]

Server Options:
    -n, --nats <url>                 NATS Server URL(s), comma-separated (default: nats://127.0.0.1:4222)
    -i  --addr <host>                Bind to HOST address (default: 0.0.0.0)
    -p, --port <port>                HTTP port for client connections (default: 8080)
    -w, --wspath <path>              WebSocket path for clients (default: /)
    -a, --apipath <path>             Web resource path for clients (default: /api/)
    -r, --reqtimeout <milliseconds>  Timeout duration for NATS requests (default: 3000)
    -u, --headauth <method>          Resource method for header authentication
    -t, --wsheadauth <method>        Resource method for WebSocket header authentication
    -m, --metricsport <port>         HTTP port for OpenMetrics connections (default: disabled)
        --apiencoding <type>         Encoding for web resources: json, jsonflat (default: json)
        --putmethod <methodName>     Call method name mapped to HTTP PUT requests
        --deletemethod <methodName>  Call method name mapped to HTTP DELETE requests
        --patchmethod <methodName>   Call method name mapped to HTTP PATCH requests
        --wscompression              Enable WebSocket per message compression
        --resetthrottle <limit>      Limit on parallel requests sent in response to a system reset
        --referencethrottle <limit>  Limit on parallel requests sent when following resource references
    -c, --config <file>              Configuration file (JSON, Resgate's keys)
        --workers <n>                Gateway processes sharing the port, one per core (default: 1)
        --maxframesize <bytes>       Largest client WebSocket message; larger closes with 1009 (default: 16777216)
        --maxoutgoing <bytes>        Bytes queued for a client before it is cut off with 1008 (default: 33554432)
        --maxinflight <n>            Requests a connection may have in flight before its socket is not read (default: 64)
        --embedded                   Run the embedded NATS broker (default when no --nats is given
                                     and nothing listens on 127.0.0.1:4222); development only

Security Options:
        --tls                        Enable TLS for HTTP (default: false)
        --tlscert <file>             HTTP server certificate file
        --tlskey <file>              Private key for HTTP server certificate
        --creds <file>               NATS User Credentials file
        --natscert <file>            NATS Client certificate file
        --natskey <file>             NATS Client certificate key file
        --natsrootca <file>          NATS Root CA file(s)
        --alloworigin <origin>       Allowed origin(s): *, or <scheme>://<hostname>[:<port>] (default: *)

Logging Options:
    -D, --debug                      Enable debugging output
    -V, --trace                      Enable trace logging
    -DV                              Debug and trace

Common Options:
    -h, --help                       Show this message
    -v, --version                    Show version
`;

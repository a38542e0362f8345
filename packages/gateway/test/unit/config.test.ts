// Configuration: Go-style flags, Resgate's defaults, the -c JSON file, validation, and
// the settings resgate-ts refuses because it does not support them yet.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { ConfigError, USAGE, defaultConfig, loadConfig, parseFlags } from "../../src/config.js";

function flags(...args: string[]): Record<string, unknown> {
  return Object.fromEntries(parseFlags(args));
}

/** Asserts that `fn` throws a ConfigError whose message matches `pattern`. */
function configError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes("\n"), `message is not one line: ${err.message}`);
    return true;
  });
}

describe("parseFlags: Go flag syntax", () => {
  test("-p 8080", () => assert.deepEqual(flags("-p", "8080"), { p: 8080 }));
  test("--port=8080", () => assert.deepEqual(flags("--port=8080"), { p: 8080 }));
  test("-port 8080", () => assert.deepEqual(flags("-port", "8080"), { p: 8080 }));
  test("--port 8080", () => assert.deepEqual(flags("--port", "8080"), { p: 8080 }));
  test("-p=8080", () => assert.deepEqual(flags("-p=8080"), { p: 8080 }));
  test("--p 8080", () => assert.deepEqual(flags("--p", "8080"), { p: 8080 }));

  test("long and short names are the same flag; the last one wins", () => {
    assert.deepEqual(flags("-p", "1", "--port", "2"), { p: 2 });
    assert.deepEqual(flags("--nats", "nats://a:1", "-n", "nats://b:2"), { n: "nats://b:2" });
  });

  test("string flags", () => {
    assert.deepEqual(
      flags("-n", "nats://h:1", "-i", "127.0.0.1", "-w", "/ws", "-a", "/rest", "-c", "f.json"),
      { n: "nats://h:1", i: "127.0.0.1", w: "/ws", a: "/rest", c: "f.json" },
    );
    assert.deepEqual(flags("--addr=::1", "--wspath=/x=y"), { i: "::1", w: "/x=y" });
  });

  test("a string flag takes the next argument even when it starts with -", () => {
    assert.deepEqual(flags("-w", "-x"), { w: "-x" });
  });

  test("int flags", () => {
    assert.deepEqual(flags("-r", "1000", "--resetthrottle", "5", "--referencethrottle=7"), {
      r: 1000,
      resetthrottle: 5,
      referencethrottle: 7,
    });
  });

  test("bool flags take no argument", () => {
    assert.deepEqual(flags("-D"), { D: true });
    assert.deepEqual(flags("--debug"), { D: true });
    assert.deepEqual(flags("-V"), { V: true });
    assert.deepEqual(flags("--trace"), { V: true });
    assert.deepEqual(flags("-DV"), { DV: true });
    assert.deepEqual(flags("-h"), { h: true });
    assert.deepEqual(flags("--help"), { h: true });
    assert.deepEqual(flags("-v"), { v: true });
    assert.deepEqual(flags("--version"), { v: true });
    assert.deepEqual(flags("-D", "-p", "1"), { D: true, p: 1 });
  });

  test("bool flags with =value, as Go's strconv.ParseBool", () => {
    for (const v of ["1", "t", "T", "TRUE", "true", "True"]) {
      assert.deepEqual(flags(`-D=${v}`), { D: true }, v);
    }
    for (const v of ["0", "f", "F", "FALSE", "false", "False"]) {
      assert.deepEqual(flags(`--debug=${v}`), { D: false }, v);
    }
    configError(() => parseFlags(["-D=yes"]), /yes/);
    configError(() => parseFlags(["-D="]), /-D/);
  });

  test("parsing stops at the first non-flag argument, at - and at --", () => {
    assert.deepEqual(flags("foo", "-p", "1"), {});
    assert.deepEqual(flags("-D", "true", "-p", "1"), { D: true });
    assert.deepEqual(flags("-p", "1", "--", "-p", "2"), { p: 1 });
    assert.deepEqual(flags("-p", "1", "-", "-p", "2"), { p: 1 });
  });

  test("list flags collect every value", () => {
    assert.deepEqual(flags("--natsrootca", "a.pem", "--natsrootca=b.pem"), {
      natsrootca: ["a.pem", "b.pem"],
    });
  });

  test("an unknown flag is a ConfigError naming it", () => {
    configError(() => parseFlags(["-x"]), /flag provided but not defined: -x/);
    configError(() => parseFlags(["--unknown=1"]), /flag provided but not defined: -unknown/);
    configError(() => parseFlags(["-p", "1", "--bogus"]), /-bogus/);
    configError(() => parseFlags(["-P", "1"]), /-P/);
  });

  test("a bad int is a ConfigError", () => {
    configError(() => parseFlags(["-p", "notanumber"]), /notanumber/);
    configError(() => parseFlags(["--port=80a"]), /80a/);
    configError(() => parseFlags(["-r", "1.5"]), /1\.5/);
    configError(() => parseFlags(["-p", ""]), /-p/);
    configError(() => parseFlags(["--resetthrottle", "ten"]), /ten/);
  });

  test("a flag without its value is a ConfigError", () => {
    configError(() => parseFlags(["-p"]), /flag needs an argument: -p/);
    configError(() => parseFlags(["--nats"]), /flag needs an argument: -nats/);
  });

  test("int flags accept Go's base prefixes (strconv.ParseInt with base 0)", {}, () => {
    assert.deepEqual(flags("-p", "0x1f90"), { p: 8080 });
    assert.deepEqual(flags("-p", "010"), { p: 8 });
  });
});

describe("loadConfig: defaults", () => {
  test("no arguments give Resgate's defaults", () => {
    const { config, help, version } = loadConfig([]);
    assert.equal(help, false);
    assert.equal(version, false);
    assert.deepEqual(config, {
      natsUrl: "nats://127.0.0.1:4222",
      natsCreds: "",
      natsCert: "",
      natsKey: "",
      natsRootCAs: [],
      requestTimeout: 3000,
      debug: false,
      trace: false,
      addr: "0.0.0.0",
      port: 8080,
      wsPath: "/",
      apiPath: "/api/",
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
      maxFrameBytes: 16 * 1024 * 1024,
      maxOutgoingBytes: 32 * 1024 * 1024,
      maxRequestsInFlight: 64,
    });
  });

  test("defaultConfig() returns a fresh object each time", () => {
    const a = defaultConfig();
    a.natsRootCAs.push("x");
    a.port = 1;
    assert.deepEqual(defaultConfig().natsRootCAs, []);
    assert.equal(defaultConfig().port, 8080);
  });

  test("-h and -v are reported", () => {
    assert.equal(loadConfig(["-h"]).help, true);
    assert.equal(loadConfig(["--help"]).help, true);
    assert.equal(loadConfig(["-v"]).version, true);
    assert.equal(loadConfig(["--version"]).version, true);
  });
});

describe("loadConfig: flags", () => {
  test("flags set their settings", () => {
    const { config } = loadConfig([
      "-n",
      "nats://10.0.0.1:4223",
      "-i",
      "127.0.0.1",
      "-p",
      "9000",
      "-w",
      "/ws",
      "-a",
      "/rest",
      "-r",
      "1500",
      "--resetthrottle",
      "4",
      "--referencethrottle",
      "6",
      "-D",
    ]);
    assert.equal(config.natsUrl, "nats://10.0.0.1:4223");
    assert.equal(config.addr, "127.0.0.1");
    assert.equal(config.port, 9000);
    assert.equal(config.wsPath, "/ws");
    assert.equal(config.apiPath, "/rest/");
    assert.equal(config.requestTimeout, 1500);
    assert.equal(config.resetThrottle, 4);
    assert.equal(config.referenceThrottle, 6);
    assert.equal(config.debug, true);
    assert.equal(config.trace, false);
  });

  test("-DV sets debug and trace", () => {
    const { config } = loadConfig(["-DV"]);
    assert.equal(config.debug, true);
    assert.equal(config.trace, true);
  });

  test("-V sets trace only", () => {
    const { config } = loadConfig(["-V"]);
    assert.equal(config.debug, false);
    assert.equal(config.trace, true);
  });

  test("IPv6 and empty addresses are accepted", () => {
    assert.equal(loadConfig(["-i", "::1"]).config.addr, "::1");
    assert.equal(loadConfig(["-i", ""]).config.addr, "");
  });

  test("-p 0 means the default port", () => {
    assert.equal(loadConfig(["-p", "0"]).config.port, 8080);
  });

  test("-r of 10 or less is read as seconds, with Resgate's deprecation warning", (t) => {
    const written: string[] = [];
    t.mock.method(process.stderr, "write", (chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const { config } = loadConfig(["-r", "5"]);
    t.mock.restoreAll();
    assert.equal(config.requestTimeout, 5000);
    assert.match(written.join(""), /\[DEPRECATED\] Request timeout should be in milliseconds/);
  });

  test("an invalid addr is a ConfigError", () => {
    configError(() => loadConfig(["-i", "localhost"]), /invalid addr setting \(localhost\)/);
    configError(() => loadConfig(["--addr=256.0.0.1"]), /invalid addr setting/);
    configError(() => loadConfig(["-i", "1.2.3"]), /invalid addr setting/);
  });

  test("an invalid port is a ConfigError", () => {
    configError(() => loadConfig(["-p", "65536"]), /Invalid port "65536": must be less than 65536/);
    configError(() => loadConfig(["-p", "100000"]), /Invalid port/);
    configError(() => loadConfig(["-p", "-1"]), /-1/);
  });

  test("a negative throttle or request timeout is a ConfigError", () => {
    configError(() => loadConfig(["--resetthrottle", "-1"]), /resetThrottle/);
    configError(() => loadConfig(["--referencethrottle", "-2"]), /referenceThrottle/);
    configError(() => loadConfig(["-r", "-5"]), /request timeout/);
  });

  test("-t sets the WebSocket header auth method; an empty value unsets it", () => {
    assert.equal(loadConfig(["-t", "auth.user.login"]).config.wsHeaderAuth, "auth.user.login");
    assert.equal(loadConfig(["--wsheadauth=auth.x"]).config.wsHeaderAuth, "auth.x");
    assert.equal(loadConfig(["-t", ""]).config.wsHeaderAuth, null);
  });

  test("an invalid WebSocket header auth method is a ConfigError", () => {
    configError(() => loadConfig(["-t", "login"]), /invalid wsHeaderAuth setting \(login\)/);
    configError(() => loadConfig(["-t", "auth..login"]), /invalid wsHeaderAuth setting/);
  });

  /** Asserts that loadConfig(args) throws a ConfigError whose message names `name`. */
  function refused(args: string[], name: string): void {
    assert.throws(
      () => loadConfig(args),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
        assert.ok(err.message.includes(name), `message does not name ${name}: ${err.message}`);
        assert.ok(!err.message.includes("\n"), `message is not one line: ${err.message}`);
        return true;
      },
    );
  }

  test("--tls needs a certificate and a key", () => {
    refused(["--tls"], "--tlscert");
    refused(["--tls=true", "--tlscert", "c.pem"], "--tlskey");
    const c = loadConfig(["--tls", "--tlscert", "c.pem", "--tlskey", "k.pem"]).config;
    assert.deepEqual([c.tls, c.certFile, c.keyFile], [true, "c.pem", "k.pem"]);
  });

  test("NATS credentials, client certificate and root CAs", () => {
    const c = loadConfig([
      "--creds",
      "u.creds",
      "--natscert",
      "c.pem",
      "--natskey",
      "k.pem",
      "--natsrootca",
      "a.pem",
      "--natsrootca",
      "b.pem",
    ]).config;
    assert.deepEqual(
      [c.natsCreds, c.natsCert, c.natsKey, c.natsRootCAs],
      ["u.creds", "c.pem", "k.pem", ["a.pem", "b.pem"]],
    );
    refused(["--natscert", "c.pem"], "--natskey");
    refused(["--natskey", "k.pem"], "--natscert");
  });

  test("--wscompression", () => {
    assert.equal(loadConfig([]).config.wsCompression, false);
    assert.equal(loadConfig(["--wscompression"]).config.wsCompression, true);
  });

  test("--alloworigin values are joined with ';' and validated", () => {
    assert.equal(
      loadConfig(["--alloworigin", "http://a.com", "--alloworigin", "https://B.io:8443"]).config
        .allowOrigin,
      "http://a.com;https://B.io:8443",
    );
    assert.equal(loadConfig(["--alloworigin", "*"]).config.allowOrigin, "*");
    for (const bad of ["*;http://a.com", "a.com", "http://a.com/path", "http://a.com?x=1", ""]) {
      assert.throws(
        () => loadConfig(["--alloworigin", bad]),
        (err: unknown) => err instanceof ConfigError && err.message.includes("allowOrigin"),
        bad,
      );
    }
  });

  test("--headauth, --apiencoding and the method mappings are read and validated", () => {
    const c = loadConfig([
      "-u",
      "auth.user.login",
      "--apiencoding",
      "jsonFlat",
      "--putmethod",
      "set",
      "--deletemethod",
      "delete",
      "--patchmethod",
      "patch",
    ]).config;
    assert.equal(c.headerAuth, "auth.user.login");
    assert.equal(c.apiEncoding, "jsonFlat");
    assert.deepEqual([c.putMethod, c.deleteMethod, c.patchMethod], ["set", "delete", "patch"]);
    assert.throws(() => loadConfig(["--headauth", "nodot"]), ConfigError);
    assert.throws(() => loadConfig(["--apiencoding", "xml"]), ConfigError);
    assert.throws(() => loadConfig(["--putmethod", "a.b"]), ConfigError);
    assert.equal(loadConfig(["--putmethod", ""]).config.putMethod, null);
  });

  // Every flag the usage text lists is accepted, by its short name too.
  const sampleValues: Record<string, string[]> = {
    tls: ["--tlscert", "c.pem", "--tlskey", "k.pem"],
    natscert: ["x.pem", "--natskey", "k.pem"],
    natskey: ["x.pem", "--natscert", "c.pem"],
    headauth: ["auth.user.login"],
    wsheadauth: ["auth.user.login"],
    metricsport: ["8090"],
    port: ["8091"],
    reqtimeout: ["2000"],
    resetthrottle: ["4"],
    referencethrottle: ["4"],
    apiencoding: ["jsonflat"],
    putmethod: ["put"],
    deletemethod: ["delete"],
    patchmethod: ["patch"],
    alloworigin: ["http://example.com"],
    addr: ["127.0.0.1"],
    nats: ["nats://127.0.0.1:4222"],
    wspath: ["/ws"],
    apipath: ["/api"],
    creds: ["u.creds"],
    natsrootca: ["ca.pem"],
    tlscert: ["c.pem", "--tlskey", "k.pem"],
    tlskey: ["k.pem", "--tlscert", "c.pem"],
    workers: ["2"],
    maxframesize: ["1048576"],
    maxoutgoing: ["1048576"],
    maxinflight: ["16"],
  };
  const listed = [...USAGE.matchAll(/^ {4}(?:-(\w+), |-(\w+) {2}| {4})--(\w+)/gm)].map((m) => ({
    short: m[1] ?? m[2],
    long: m[3] ?? "",
  }));
  test("the usage text lists every flag (Resgate's and resgate-ts's own five)", () => {
    assert.equal(listed.length, 34);
  });
  for (const { short, long } of listed) {
    if (long === "help" || long === "version" || long === "config") continue;
    const args = (flag: string) => [flag, ...(sampleValues[long] ?? [])];
    test(`--${long} is accepted`, () => {
      loadConfig(args(`--${long}`));
      if (short) loadConfig(args(`-${short}`));
    });
  }
});

describe("loadConfig: -c config file", () => {
  let dir = "";
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "resgate-ts-config-test-"));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let n = 0;
  function file(content: unknown): string {
    const path = join(dir, `config-${++n}.json`);
    writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
    return path;
  }

  const fileSettings = {
    natsUrl: "nats://10.1.2.3:4300",
    requestTimeout: 5000,
    debug: true,
    trace: true,
    addr: "127.0.0.1",
    port: 9100,
    wsPath: "/ws",
    apiPath: "/rest",
    resetThrottle: 3,
    referenceThrottle: 9,
  };

  test("the file's keys are read", () => {
    const { config } = loadConfig(["-c", file(fileSettings)]);
    assert.equal(config.natsUrl, "nats://10.1.2.3:4300");
    assert.equal(config.requestTimeout, 5000);
    assert.equal(config.debug, true);
    assert.equal(config.trace, true);
    assert.equal(config.addr, "127.0.0.1");
    assert.equal(config.port, 9100);
    assert.equal(config.wsPath, "/ws");
    assert.equal(config.apiPath, "/rest/");
    assert.equal(config.resetThrottle, 3);
    assert.equal(config.referenceThrottle, 9);
    // Untouched keys keep their defaults.
    assert.equal(config.apiEncoding, "json");
    assert.equal(config.allowOrigin, "*");
  });

  test("flags override the file, whatever their position", () => {
    const path = file(fileSettings);
    const { config } = loadConfig(["-p", "9200", "--config", path, "-n", "nats://127.0.0.1:4400"]);
    assert.equal(config.port, 9200);
    assert.equal(config.natsUrl, "nats://127.0.0.1:4400");
    // Keys not given as flags still come from the file.
    assert.equal(config.addr, "127.0.0.1");
    assert.equal(config.requestTimeout, 5000);
    assert.equal(config.wsPath, "/ws");
  });

  test("the file is not rewritten when it exists", () => {
    const path = file(fileSettings);
    const before = readFileSync(path, "utf8");
    loadConfig(["-c", path, "-p", "9300"]);
    assert.equal(readFileSync(path, "utf8"), before);
  });

  test("unknown keys (such as Resgate's bufferSize) are ignored", () => {
    const { config } = loadConfig(["-c", file({ bufferSize: 8192, foo: "bar", port: 9400 })]);
    assert.equal(config.port, 9400);
  });

  test("null keeps the default; port 0 means the default port", () => {
    const { config } = loadConfig(["-c", file({ addr: null, natsUrl: "", port: 0 })]);
    assert.equal(config.addr, "0.0.0.0");
    assert.equal(config.natsUrl, "nats://127.0.0.1:4222");
    assert.equal(config.port, 8080);
  });

  test("supported settings at their default values are accepted", () => {
    const { config } = loadConfig([
      "-c",
      file({ tls: false, allowOrigin: "*", headerAuth: null, natsRootCAs: [], metricsPort: 0 }),
    ]);
    assert.equal(config.tls, false);
  });

  test("a missing file gets the defaults written to it", () => {
    const path = join(dir, "missing.json");
    assert.equal(existsSync(path), false);
    const { config } = loadConfig(["-c", path]);
    assert.equal(existsSync(path), true);
    const written = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    assert.equal(written["natsUrl"], "nats://127.0.0.1:4222");
    assert.equal(written["requestTimeout"], 3000);
    assert.equal(written["addr"], "0.0.0.0");
    assert.equal(written["port"], 8080);
    assert.equal(written["wsPath"], "/");
    assert.equal(written["apiEncoding"], "json");
    assert.equal(written["allowOrigin"], "*");
    assert.equal(written["tls"], false);
    assert.equal(config.port, 8080);
    // The written file loads back to the same configuration.
    assert.deepEqual(loadConfig(["-c", path]).config, config);
  });

  test("a missing file gets the flags' values written to it", () => {
    const path = join(dir, "missing-with-flags.json");
    loadConfig(["-c", path, "-p", "9500", "-n", "nats://127.0.0.1:4500"]);
    const written = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    assert.equal(written["port"], 9500);
    assert.equal(written["natsUrl"], "nats://127.0.0.1:4500");
  });

  test("invalid JSON is a ConfigError", () => {
    configError(() => loadConfig(["-c", file("{ not json")]), /Error parsing config file/);
    configError(() => loadConfig(["-c", file("[1,2]")]), /Error parsing config file/);
  });

  test("a value of the wrong type is a ConfigError", () => {
    configError(() => loadConfig(["-c", file({ port: "8080" })]), /port/);
    configError(() => loadConfig(["-c", file({ debug: "yes" })]), /debug/);
    configError(() => loadConfig(["-c", file({ natsRootCAs: "ca.pem" })]), /natsRootCAs/);
  });

  test("invalid values in the file are ConfigErrors", () => {
    configError(() => loadConfig(["-c", file({ addr: "example.com" })]), /invalid addr setting/);
    configError(() => loadConfig(["-c", file({ port: 70000 })]), /port/i);
  });

  test("every Resgate key is read, matched ignoring case as Go does", () => {
    const { config } = loadConfig([
      "-c",
      file({
        natsCreds: "u.creds",
        natscert: "c.pem",
        NATSKEY: "k.pem",
        natsRootCAs: ["a.pem"],
        metricsPort: 9091,
        apiEncoding: "jsonflat",
        headerAuth: "auth.a.b",
        allowOrigin: "https://app.example.com",
        putMethod: "set",
        deleteMethod: "delete",
        patchMethod: "patch",
        tls: true,
        certFile: "c.pem",
        keyFile: "k.pem",
        wsCompression: true,
        bufferSize: 8192,
      }),
    ]);
    assert.equal(config.natsCreds, "u.creds");
    assert.equal(config.natsCert, "c.pem");
    assert.equal(config.natsKey, "k.pem");
    assert.deepEqual(config.natsRootCAs, ["a.pem"]);
    assert.equal(config.metricsPort, 9091);
    assert.equal(config.apiEncoding, "jsonflat");
    assert.equal(config.headerAuth, "auth.a.b");
    assert.equal(config.allowOrigin, "https://app.example.com");
    assert.deepEqual(
      [config.putMethod, config.deleteMethod, config.patchMethod],
      ["set", "delete", "patch"],
    );
    assert.deepEqual([config.tls, config.certFile, config.keyFile], [true, "c.pem", "k.pem"]);
    assert.equal(config.wsCompression, true);
  });

  test("TLS in the file without a certificate is a ConfigError", () => {
    configError(() => loadConfig(["-c", file({ tls: true })]), /tlscert/);
  });

  test("an unreadable config path is a ConfigError", () => {
    // A directory exists but cannot be read as a file.
    configError(() => loadConfig(["-c", dir]), /Error loading config file/);
  });
});

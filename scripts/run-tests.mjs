// Runs every packages/*/dist/test/**/*.test.js and examples/dist/test/**/*.test.js
// with `node --test`.
//
// Node 20's `node --test <dir>` also runs every .js file under a `test/` directory
// (helpers, fixtures), and Node 21+ treats arguments as globs instead, so we collect
// the files ourselves. Extra arguments are passed through to `node --test`,
// e.g. `npm test -- --test-name-pattern=rid`.
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";

const root = join(import.meta.dirname, "..");
const packagesDir = join(root, "packages");

/** @param {string} dir @returns {string[]} */
function collect(dir) {
  /** @type {string[]} */
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...collect(path));
    else if (entry.isFile() && entry.name.endsWith(".test.js")) found.push(path);
  }
  return found;
}

const testDirs = [
  ...readdirSync(packagesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(packagesDir, entry.name, "dist", "test")),
  join(root, "examples", "dist", "test"),
];

const files = testDirs
  .filter((dir) => existsSync(dir))
  .flatMap(collect)
  .map((file) => relative(root, file))
  .sort();

if (files.length === 0) {
  console.error("run-tests: no packages/*/dist/test/**/*.test.js files found (run `tsc -b` first)");
  process.exit(1);
}

/** Runs `node --test` on some files; resolves with its exit code. */
function run(list, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ["--test", "--test-concurrency=2", ...process.argv.slice(2), ...list],
      { cwd: root, stdio: "inherit", env: { ...process.env, ...env } },
    );
    child.on("exit", (code, signal) => resolve(signal ? 1 : (code ?? 1)));
  });
}

// The gateway's core integration suite runs a second time against the embedded broker
// (@resgate-ts/broker) instead of nats-server; files that need nats-server itself
// (clusters, its config file, spawning it) are left out of that pass.
const NATS_SERVER_ONLY = /(21-abuse|22-limits|24-nats-cluster)\.test\.js$/;
const embedded = files.filter(
  (f) =>
    f.startsWith(join("packages", "gateway", "dist", "test", "integration")) &&
    !NATS_SERVER_ONLY.test(f),
);

const first = await run(files);
let second = 0;
if (embedded.length > 0 && !process.argv.includes("--test-name-pattern")) {
  console.log(
    "\n# the integration suite again, against the embedded broker (TEST_BROKER=embedded)\n",
  );
  second = await run(embedded, { TEST_BROKER: "embedded" });
}
process.exit(first || second);

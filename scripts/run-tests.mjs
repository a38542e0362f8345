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

const child = spawn(
  process.execPath,
  ["--test", "--test-concurrency=2", ...process.argv.slice(2), ...files],
  { cwd: root, stdio: "inherit" },
);
child.on("exit", (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});

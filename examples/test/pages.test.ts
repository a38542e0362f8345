/**
 * Every example's web page and README, checked without a browser: the page loads
 * resclient and config.js from the page server, and its inline scripts compile; the
 * README gives the one command that runs the example.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { Script } from "node:vm";
import { examplesDir } from "../lib/page-server.js";
import { exampleNames, findExample } from "../lib/registry.js";

for (const name of exampleNames) {
  test(`${name}: the page and the README`, async () => {
    const example = findExample(name);
    assert.equal(example?.name, name);

    const html = await readFile(join(examplesDir, name, "index.html"), "utf8");
    assert.match(html, /<script src="\/resclient\.min\.js"><\/script>/);
    assert.match(html, /<script src="\/config\.js"><\/script>/);
    assert.match(html, /new resclient\.default\(window\.RESGATE_URL\)/);
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? "");
    assert.ok(scripts.length > 0, "no inline script");
    for (const code of scripts) assert.doesNotThrow(() => new Script(code, { filename: name }));

    const readme = await readFile(join(examplesDir, name, "README.md"), "utf8");
    assert.ok(readme.includes(`npm run example -- ${name}`), "the README has no run command");
  });
}

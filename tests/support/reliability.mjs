// Records reliability cases of a JS test file for docs/RELIABILITY.md: each `check` asserts the
// observed outcome equals the expected one and keeps the row; after the file's tests, the rows go
// to target/reliability/<name>.jsonl (rendered by scripts/reliability-table.mjs).
import { after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
// Keys sorted, so equal values always read the same; loopback ports change every run, so the
// table shows PORT and does not drift.
const sorted = (_k, v) =>
  v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v;
const text = (v) => (typeof v === "string" ? v : JSON.stringify(v, sorted)).replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:PORT");

/** A recorder writing target/reliability/<name>.jsonl; `servers` are closed after the tests. */
export function recorder(name) {
  const rows = [];
  const servers = [];
  after(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    mkdirSync(resolve(ROOT, "target/reliability"), { recursive: true });
    writeFileSync(resolve(ROOT, `target/reliability/${name}.jsonl`), rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  });
  /** Records a case, then asserts the observed outcome equals the expected one. */
  function check(area, kase, expected, observed) {
    rows.push({ area, case: kase, expected: text(expected), observed: text(observed), pass: text(expected) === text(observed) });
    assert.deepEqual(observed, expected, `${area}: ${kase}`);
  }
  return { check, servers };
}

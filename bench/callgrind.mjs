// Instructions per node per call by phase, from a callgrind profile of examples/fleet_profile
// (bench/profile.sh): `callgrind_annotate --inclusive=yes` read for the functions that start
// each phase; what they do not cover (writing the result, the content text; claw_multi_invoke's
// own fan-out) is the rest.
//   node bench/callgrind.mjs <nodes> <callgrind.out>…
import { execFileSync } from "node:child_process";

const PHASES = [
  ["node list (Plugin::fleet)", [/Plugin::fleet::\{\{closure\}\}$/], true],
  ["fan-out, probe, parse, assess (Plugin::check)", [/Plugin::check::\{\{closure\}\}$/], true],
  ["  of which node.health parse", [/node::health::parse$/]],
  ["  of which gpu.metrics parse", [/node::gpu::parse_metrics$/]],
  ["  of which workload.list parse", [/node::workload::parse_list$/]],
  ["  of which assessment", [/assess::assess$/]],
  ["payloads kept or redacted (multi_invoke)", [/redact::redacted$/], true],
  ["aggregation", [/fleet::status::aggregate$/, /fleet::inventory::\w+$/, /fleet::workloads::aggregate$/], true],
];
const [nodes, ...files] = process.argv.slice(2);
const n = Number(nodes);
for (const file of files) {
  const out = execFileSync("callgrind_annotate", ["--inclusive=yes", file], { encoding: "utf8", maxBuffer: 64 << 20 });
  const rows = [];
  let total = 0;
  for (const line of out.split("\n")) {
    const m = line.match(/^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$/);
    if (!m) continue;
    const ir = Number(m[1].replaceAll(",", ""));
    const name = m[2].replace(/\[[0-9a-f]{16}\]/g, "").replace(/ \[\/.*$/, "").replace("???:", "");
    if (name.includes("PROGRAM TOTALS")) total = ir;
    else if (!name.includes("'2")) rows.push([ir, name]);
  }
  console.log(`${file}: ${Math.round(total / n)} instructions per node per call`);
  let covered = 0;
  for (const [label, patterns, top] of PHASES) {
    const ir = Math.max(0, ...patterns.map((p) => rows.find(([, name]) => p.test(name))?.[0] ?? 0));
    if (!ir) continue;
    if (top) covered += ir;
    console.log(`  ${String(Math.round(ir / n)).padStart(8)}  ${label}`);
  }
  console.log(`  ${String(Math.round((total - covered) / n)).padStart(8)}  the rest: the result and its content text (and claw_multi_invoke's own fan-out)`);
}

// bench/results/latest.json -> docs/benchmarks/README.md (tables) and docs/benchmarks/ratio-cpu.svg
// (plot). The hand-written analysis in docs/benchmarks/notes.md, when present, is included.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./lib.mjs";

const data = JSON.parse(readFileSync(join(ROOT, "bench/results/latest.json"), "utf8"));
const outDir = join(ROOT, "docs/benchmarks");
mkdirSync(outDir, { recursive: true });

const ip = data.inProcess;
const gw = data.gateway;
const inProc = data.records.filter((r) => r.host === "in-process");
const inGw = data.records.filter((r) => r.host === "gateway");
const TOOLS = [...new Set(data.records.map((r) => r.tool))];
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"];
const colorOf = (tool) => COLORS[TOOLS.indexOf(tool) % COLORS.length];
const fmt = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? "–" : typeof x === "number" ? (d > 0 ? x.toFixed(d).replace(/\.?0+$/, "") : x.toFixed(0)) : String(x));
const kb = (b) => (b === null || b === undefined ? "–" : b >= 1024 ? `${(b / 1024).toFixed(1)} KB` : `${b} B`);
const byCmd = (p) => (p ? Object.entries(p.byCommand ?? {}).sort((a, b) => b[1] - a[1]).map(([c, v]) => `${c} ${fmt(v, 2)}`).join(", ") || "none" : "–");
const short = (tool) => tool.replace(/^claw_/, "");

// ---- plot: three panels over N (log scale): wall/ideal and plugin CPU (in process, realistic
// shape), and the real gateway's wall time with and without the plugin.
function svg() {
  const real = inProc.filter((r) => r.shape === "realistic");
  const panels = [
    { title: "wall / ideal (in process, realistic)", rows: real, key: "ratio", lo: 1, hi: Math.max(1.2, ...real.map((r) => r.ratio).filter(Number.isFinite)), target: [[1.05, "1.05 (N ≤ 5000)"], [1.1, "1.10 (N = 20,000)"]], unit: "×" },
    { title: "plugin's own CPU per node per call", rows: real, key: "cpuUsPerNode", lo: 0, hi: Math.max(20, ...real.map((r) => r.cpuUsPerNode).filter(Number.isFinite)) * 1.1, target: [[10, "target 10 µs"]], unit: "µs" },
    { title: "real gateway: wall ms (dashed: no plugin)", rows: inGw, key: "wallMs", alt: (r) => r.withoutPlugin?.wallMs, lo: 0, hi: Math.max(100, ...inGw.map((r) => r.wallMs).filter(Number.isFinite)) * 1.1, target: [], unit: "ms" },
  ].filter((p) => p.rows.length);
  const W = 330 * panels.length + 40, H = 360, pad = { l: 62, r: 14, t: 40, b: 56 }, pw = 250, ph = H - pad.t - pad.b;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H + 24 * Math.ceil(TOOLS.length / 3)}" font-family="sans-serif" font-size="12">`, `<rect width="100%" height="100%" fill="white"/>`];
  const step = (lo, hi, k) => {
    const raw = (hi - lo) / k;
    const mag = 10 ** Math.floor(Math.log10(raw));
    const s = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((m) => m >= raw);
    const out = [];
    for (let v = Math.ceil(lo / s) * s; v <= hi + 1e-9; v += s) out.push(Math.round(v * 1e6) / 1e6);
    return out;
  };
  panels.forEach((p, pi) => {
    const x0 = pad.l + pi * (pw + 80);
    const sizes = [...new Set(p.rows.map((r) => r.nodes))].sort((a, b) => a - b);
    const l0 = Math.log10(sizes[0]), l1 = Math.log10(sizes[sizes.length - 1]);
    const x = (n) => x0 + (l1 > l0 ? ((Math.log10(n) - l0) / (l1 - l0)) * pw : pw / 2);
    const y = (v) => pad.t + ph - ((Math.min(v, p.hi) - p.lo) / (p.hi - p.lo)) * ph;
    parts.push(`<text x="${x0 + pw / 2}" y="${pad.t - 16}" text-anchor="middle" font-size="13" font-weight="bold">${p.title}</text>`);
    parts.push(`<rect x="${x0}" y="${pad.t}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
    for (const n of sizes) parts.push(`<line x1="${x(n)}" y1="${pad.t}" x2="${x(n)}" y2="${pad.t + ph}" stroke="#eee"/><text x="${x(n)}" y="${pad.t + ph + 16}" text-anchor="middle" font-size="10">${n}</text>`);
    parts.push(`<text x="${x0 + pw / 2}" y="${pad.t + ph + 36}" text-anchor="middle">nodes (log scale)</text>`);
    for (const t of step(p.lo, p.hi, 6)) parts.push(`<line x1="${x0}" y1="${y(t)}" x2="${x0 + pw}" y2="${y(t)}" stroke="#eee"/><text x="${x0 - 6}" y="${y(t) + 4}" text-anchor="end" font-size="10">${fmt(t, 3)}</text>`);
    parts.push(`<text transform="translate(${x0 - 46},${pad.t + ph / 2}) rotate(-90)" text-anchor="middle">${p.unit}</text>`);
    for (const [v, label] of p.target) parts.push(`<line x1="${x0}" y1="${y(v)}" x2="${x0 + pw}" y2="${y(v)}" stroke="#444" stroke-dasharray="5,4"/><text x="${x0 + 4}" y="${y(v) - 4}" font-size="10">${label}</text>`);
    for (const tool of TOOLS) {
      const rs = p.rows.filter((r) => r.tool === tool).sort((a, b) => a.nodes - b.nodes);
      const line = (val, dash) => {
        const pts = rs.filter((r) => Number.isFinite(val(r))).map((r) => `${x(r.nodes).toFixed(1)},${y(val(r)).toFixed(1)}`);
        if (!pts.length) return;
        parts.push(`<polyline points="${pts.join(" ")}" fill="none" stroke="${colorOf(tool)}" stroke-width="2"${dash ? ' stroke-dasharray="4,3"' : ""}/>`);
        for (const pt of pts) parts.push(`<circle cx="${pt.split(",")[0]}" cy="${pt.split(",")[1]}" r="2.5" fill="${colorOf(tool)}"/>`);
      };
      line((r) => r[p.key], false);
      if (p.alt) line(p.alt, true);
    }
  });
  TOOLS.forEach((tool, i) => {
    const lx = pad.l + (i % 3) * 280, ly = H + 4 + 22 * Math.floor(i / 3);
    parts.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${colorOf(tool)}" stroke-width="3"/><text x="${lx + 30}" y="${ly + 4}">${tool}</text>`);
  });
  parts.push(`</svg>`);
  return parts.join("\n");
}

// ---- markdown
const L = [];
const m = data.machine;
const loadText = (la) => (la ? `${la.atStart.join("/")} at the start, ${la.atEnd.join("/")} at the end` : "not recorded");
L.push(`# Benchmarks`);
L.push("");
L.push(`Generated by \`make bench\` (\`bench/\`) on ${data.generatedAt.slice(0, 10)}. Machine: ${m.cpu}, ${m.nproc} cores, ${m.memoryGb} GB RAM, ${m.kernel}, Node ${m.node}. Other agents' builds and gateways may share this machine: each section gives the load average (1/5/15 min) it ran under, and CPU comparisons between builds use instruction counts (callgrind, in the notes below) rather than these timings.`);
L.push("");
if (ip) L.push(`- **In process**: commit \`${ip.machine?.commit ?? "?"}\`, ${ip.generatedAt}, ${fmt(ip.durationS, 0)} s, load ${loadText(ip.loadAverage)}${ip.quick ? " — **quick run: few repetitions, not for quoting**" : ""}.`);
if (gw) L.push(`- **Real gateway**: commit \`${gw.machine?.commit ?? ip?.machine?.commit ?? "?"}\`, ${gw.generatedAt}, ${fmt(gw.durationS, 0)} s, load ${loadText(gw.loadAverage)}.`);
L.push("");
L.push(`![wall/ideal and plugin CPU in process, wall time in the real gateway, against fleet size](ratio-cpu.svg)`);
L.push("");

L.push(`## Targets (issue 14)`);
L.push("");
L.push(`| target | limit | measured | | where |`);
L.push(`|---|---|---|---|---|`);
for (const t of data.targets) {
  const show = (v) => (t.unit === "bytes" ? kb(v) : `${fmt(v, 3)} ${t.unit}`);
  L.push(`| ${t.name} | ≤ ${show(t.limit)} | ${show(t.measured)} | ${t.met ? "met" : `**missed** by ${show(t.by)}`} | ${t.where ?? ""} |`);
}
L.push("");

if (gw) {
  L.push(`## One real gateway`);
  L.push("");
  L.push(`A real OpenClaw 2026.9.6 gateway on loopback (\`tests/e2e/harness.mjs\`) with the plugin, plugin config \`${JSON.stringify(gw.pluginConfig)}\` (the default, with the monitor's own timer pushed out so it does not overlap the measured calls; the tick is measured through \`clawbernetes.health-check\`), \`gateway.nodes.commands.allow\` as the README asks. \`clawsim run --nodes N --shape ${gw.shape}\` (wire ${gw.wire}) connected and approved; each tool over \`POST /tools/invoke\` after one warm-up \`claw_fleet_status\` (it fills the cache of every node's static facts), repeated ${Object.entries(gw.reps ?? {}).map(([n, r]) => `${r}× at N=${n}`).join(", ")} (median wall, and the slowest). **right**: the totals equal \`clawsim fleet --summary\` (nodes, healthy, GPUs total/busy/free, containers total/running/exited, one answer per node). Gateway CPU is its whole process tree's CPU time over the call, in % of one core; RSS its peak during the call. **Without the plugin**: ${gw.withoutPlugin}.`);
  L.push("");
  const refusals = (r) => (r ? `${r.resultsRefused} / ${r.eventsRefused} / ${r.invokesOverloaded}` : "–");
  L.push(`| N | connected and approved | gateway CPU to connect | gateway RSS idle → connected | a tool call asking one node: wall, gateway CPU | gateway log while connecting / measuring: node results refused / node events refused / invokes overloaded | load before / after |`);
  L.push(`|---:|---|---:|---|---|---|---|`);
  for (const s of gw.sizes ?? []) {
    L.push(`| ${s.nodes} | ${s.connected ? `${fmt(s.connectS, 1)} s` : `**no**, gave up after ${fmt(s.connectS, 0)} s${s.connectError ? `: ${s.connectError.split("\n")[0].slice(0, 160)}` : ""}`} | ${fmt(s.connectGatewayCpuS, 1)} CPU-s | ${fmt(s.gatewayRssMbIdle, 0)} → ${fmt(s.gatewayRssMbConnected, 0)} MB | ${s.oneNodeCall ? `${fmt(s.oneNodeCall.wallMs, 0)} ms, ${fmt(s.oneNodeCall.gatewayCpuS, 2)} CPU-s` : "–"} | ${refusals(s.refusalsWhileConnecting)}; ${refusals(s.refusalsWhileMeasuring)} | ${s.loadAverage?.before?.[0] ?? "–"} / ${s.loadAverage?.after?.[0] ?? "–"} |`);
  }
  L.push("");
  L.push(`The gateway log counts are of lines: \`node.invoke.result\` / \`node.event\` answered \`UNAVAILABLE node pairing changed …\` (the gateway could not confirm the node's pairing while its shared-state read pool was full, so it dropped the node's answer and the invoke waits out its deadline), and \`node.invoke\` refused with \`WorkerTaskError … code=overloaded\`.`);
  L.push("");
  L.push(`| tool | N | wall ms (max) | right | gateway CPU | gateway RSS | content | fan-out limit / peak / retries / overloaded | invokes per node | without plugin: wall ms, CPU | plugin's share: wall ms, CPU-s |`);
  L.push(`|---|---:|---:|---|---:|---:|---:|---|---:|---|---|`);
  for (const tool of TOOLS) {
    for (const r of inGw.filter((x) => x.tool === tool).sort((a, b) => a.nodes - b.nodes)) {
      const f = r.fanout;
      L.push(`| ${tool} | ${r.nodes} | ${fmt(r.wallMs, 0)} (${fmt(r.wallMsMax, 0)}) | ${r.correct ? "yes" : `**no**: ${(r.wrong ?? []).join("; ").slice(0, 400)}`} | ${fmt(r.gatewayCpuPct, 0)}% | ${fmt(r.gatewayRssMb, 0)} MB | ${tool === "monitor_tick" ? "–" : kb(r.contentBytes)} | ${f ? `${f.limit} / ${f.peakInFlight} / ${f.retries} / ${f.overloaded}` : "–"} | ${r.invokesPerNode} | ${fmt(r.withoutPlugin?.wallMs, 0)}, ${fmt(r.withoutPlugin?.gatewayCpuPct, 0)}%${r.withoutPlugin?.failedInvokes ? ` (${r.withoutPlugin.failedInvokes} failed)` : ""} | ${fmt(r.pluginShare?.wallMs, 0)}, ${fmt(r.pluginShare?.gatewayCpuS, 2)} |`);
    }
  }
  L.push("");
  if (gw.error) L.push(`Gateway run error: ${gw.error}`, "");
}

if (ip) {
  L.push(`## In process`);
  L.push("");
  L.push(`The built plugin (\`${ip.plugin}\`, through its JS shim) in an in-process fake OpenClaw host (\`tests/support/fake-openclaw.mjs\`): N simulated clawnodes answering with fixture-shaped payloads, one invoke at a time per node (FIFO; an invoke's deadline runs from dispatch, as in the gateway), log-normal latency per invoke (median ${ip.latencyModel.median} ms, p99 ${ip.latencyModel.p99} ms, seeded). The host admits at most ${ip.hostModel.capacity} pending invokes and answers the gateway's overload error past that. ${ip.config}.`);
  L.push("");
  for (const [name, s] of Object.entries(ip.shapes ?? {})) L.push(`- shape **${name}**: ${s.describe}; N = ${s.sizes.join(", ")}.`);
  L.push("");
  L.push(`- **ideal** = ${ip.hostModel.ideal}: no call can finish sooner. **ratio** = wall / ideal (median over repetitions, warm cache); **at bound**: the same with the plugin's own ceiling (maxConcurrency 120) in place of the host's 128 — a plugin that keeps 120 in flight can at best reach 128/120 = 1.067 when the fleet is large enough to be throughput-bound.`);
  L.push(`- **schedule**: the wall time of a fan-out with no CPU cost that takes the nodes in the order they were served, each as soon as one of the host's ${ip.hostModel.capacity} slots is free, its invokes back to back (\`bench/lib.mjs\` \`scheduleMs\`). It is what the ideal would be without knowing in advance which nodes are slow: where the slowest node's own time and all invokes' time / ${ip.hostModel.capacity} are close (N ≈ 1000 here), a node drawn slow that starts late ends late, and no fan-out that cannot see latencies in advance avoids it. **wall / schedule** is the plugin's own overhead.`);
  L.push(`- **head / tail**: from the call to its first invoke (listing the fleet), and from the last answer to the result (aggregation, serialisation, the shim's JSON.parse): work no invoke overlaps.`);
  L.push(`- **plugin CPU**: process CPU time of a call on a zero-latency fleet minus the CPU of the same invokes (and node lists) replayed straight into the fake host with no plugin (120 nodes at a time), per node; **host CPU** is the replay's share.`);
  L.push(`- **invokes/node**: per-node maximum, and the mean per node by command; *cold* is the first call on a freshly registered plugin (N ≤ 1000), *warm* a later one.`);
  L.push(`- **peak RSS**: of the process running the latency measurements (fake host included); in brackets the fake host alone replaying the same invokes (N ≤ 5000).`);
  L.push(`- **right**: the call's totals equal those computed from the fleet's specs (\`bench/lib.mjs\` \`wrongTotals\`).`);
  L.push("");
  for (const shape of Object.keys(ip.shapes ?? {})) {
    L.push(`### Shape ${shape}`);
    L.push("");
    L.push(`| tool | N | wall ms | ideal ms | ratio (max) | at bound | schedule ms (wall / schedule) | head / tail ms | right | warm invokes/node (max; mean by command) | cold (max) | plugin CPU µs/node | host CPU µs/node | content | fan-out limit / peak | peak RSS MB (host only) | load before |`);
    L.push(`|---|---:|---:|---:|---:|---:|---|---|---|---|---:|---:|---:|---:|---|---:|---|`);
    for (const tool of TOOLS) {
      for (const r of inProc.filter((x) => x.tool === tool && x.shape === shape).sort((a, b) => a.nodes - b.nodes)) {
        const w = r.invokesPerNode.warm;
        const c = r.invokesPerNode.cold;
        L.push(`| ${tool} | ${r.nodes} | ${fmt(r.wallMs, 1)} | ${fmt(r.idealMs, 1)} | ${fmt(r.ratio, 3)} (${fmt(r.ratioMax, 3)}) | ${fmt(r.ratioAtBound, 3)} | ${fmt(r.scheduleMs, 0)} (${fmt(r.ratioToSchedule, 3)}) | ${fmt(r.headMs, 0)} / ${fmt(r.tailMs, 0)} | ${r.correct ? "yes" : `**no**: ${(r.wrong ?? r.errors ?? []).join("; ").slice(0, 160)}`} | ${w ? `${w.max}; ${byCmd(w)}` : "–"} | ${c ? c.max : "–"} | ${fmt(r.cpuUsPerNode, 1)} | ${fmt(r.hostCpuUsPerNode, 1)} | ${tool === "monitor_tick" ? "–" : kb(r.contentBytes)} | ${r.fanout ? `${r.fanout.limit} / ${r.fanout.peakInFlight}` : "–"} | ${fmt(r.peakRssMb, 1)} (${fmt(r.hostPeakRssMb, 1)}) | ${r.loadAverage?.before?.[0] ?? "–"} |`);
      }
    }
    L.push("");
    const g = ip.rssGrowth?.[shape];
    if (g) L.push(`Peak RSS growth N=${g.fromNodes}→${g.toNodes}: ${fmt(g.withPluginMb, 1)} MB for the process with the plugin, ${fmt(g.hostOnlyMb, 1)} MB for the fake host alone replaying the same invokes in the same order (gc() between calls in both); the plugin's share is the difference, ${fmt(g.pluginMb, 1)} MB.`, "");
  }
  const tc = ip.timeoutCheck;
  if (tc) {
    L.push(`### Deadlines: ${tc.shape} N=${tc.nodes}, invokeTimeoutMs ${tc.invokeTimeoutMs}`);
    L.push("");
    L.push(`Every call run ${Object.values(tc.calls)[0]?.calls ?? "?"} times on the log-normal fleet. An invoke "timed out by the latency model" took longer than the deadline on the node itself; "queued" ones were answered in time by the node but waited behind other invokes to the same node first.`);
    L.push("");
    L.push(`| call | invokes timed out | by the latency model | queued behind a timed-out invoke | queued behind live invokes | nodes reported failed | of them with no slow invoke |`);
    L.push(`|---|---:|---:|---:|---:|---:|---:|`);
    for (const [tool, c] of Object.entries(tc.calls)) L.push(`| ${tool} | ${c.timedOut} | ${c.slowNode} | ${c.queuedBehindTimedOut} | ${c.queuedBehindLive} | ${c.failedNodes} | ${c.lostNodes} |`);
    L.push("");
  }
  L.push(`### Size and start-up`);
  L.push("");
  if (ip.wasm) L.push(`- wasm: \`${ip.wasm.file}\` ${kb(ip.wasm.rawBytes)} raw, ${kb(ip.wasm.gzipBytes)} gzip -9.`);
  const s = ip.startup;
  L.push(`- import of the entry (instantiates the wasm) + \`register()\` in a fresh process: ${fmt(s.importAndRegisterMs, 2)} ms median of ${s.runs} (import ${fmt(s.importMs, 2)} ms, register ${fmt(s.registerMs, 2)} ms); the first tool call on a one-node fleet then takes ${fmt(s.firstCallMs, 2)} ms, the second ${fmt(s.secondCallMs, 2)} ms.`);
  L.push("");
  const errs = inProc.filter((r) => r.errors?.length);
  if (errs.length) {
    L.push(`### Errors seen during the run`);
    L.push("");
    for (const r of errs) L.push(`- ${r.tool} ${r.shape} N=${r.nodes}: ${r.errors.map((e) => e.slice(0, 300)).join("; ")}`);
    L.push("");
  }
}

const notes = join(outDir, "notes.md");
if (existsSync(notes)) {
  L.push(readFileSync(notes, "utf8").trim());
  L.push("");
}
L.push(`## Reproduce`);
L.push("");
L.push("`make bench` builds, then runs everything unattended (about 30 minutes on this 2-core machine, under `nice`) and writes `bench/results/latest.json`, this page and the plot. `BENCH_GATEWAY=0 make bench` runs only the in-process part (keeping the last gateway figures), `BENCH_GATEWAY=only make bench` only the real gateway; `BENCH_QUICK=1` few repetitions (a smoke run), `BENCH_SHAPES=realistic`, `BENCH_SIZES=10,1000` and `BENCH_GATEWAY_SIZES=100` pick what runs. Profiles: `bench/profile.sh` (V8 and callgrind, see the notes).");
L.push("");

writeFileSync(join(outDir, "README.md"), L.join("\n"));
writeFileSync(join(outDir, "ratio-cpu.svg"), `${svg()}\n`);
process.stderr.write(`[bench] wrote docs/benchmarks/README.md and docs/benchmarks/ratio-cpu.svg\n`);

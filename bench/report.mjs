// bench/results/latest.json -> docs/benchmarks/README.md (tables) and docs/benchmarks/ratio-cpu.svg (plot).
// A hand-written analysis in docs/benchmarks/notes.md, when present, is included in the README.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./lib.mjs";

const data = JSON.parse(readFileSync(join(ROOT, "bench/results/latest.json"), "utf8"));
const outDir = join(ROOT, "docs/benchmarks");
mkdirSync(outDir, { recursive: true });

const TOOLS = [...new Set(data.records.map((r) => r.tool))];
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"];
const fmt = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? "–" : typeof x === "number" ? x.toFixed(d).replace(/\.?0+$/, "") || "0" : String(x));
const kb = (b) => (b >= 1024 ? `${(b / 1024).toFixed(1)} KB` : `${b} B`);
const byCmd = (p) =>
  p ? Object.entries(p.byCommand ?? {}).sort((a, b) => b[1] - a[1]).map(([c, v]) => `${c} ${fmt(v, 2)}`).join(", ") || "none" : "–";

// ---- plot
function svg() {
  const W = 920, H = 380, pad = { l: 62, r: 18, t: 40, b: 56 }, gap = 70;
  const pw = (W - pad.l - pad.r - gap) / 2, ph = H - pad.t - pad.b;
  const sizes = data.sizes;
  const lx = (n, x0) => x0 + ((Math.log10(n) - Math.log10(sizes[0])) / (Math.log10(sizes[sizes.length - 1]) - Math.log10(sizes[0]) || 1)) * pw;
  const ratios = data.records.map((r) => r.ratio).filter(Number.isFinite);
  const rMax = Math.max(1.12, ...ratios) ;
  const rMin = 1.0;
  const cpus = data.records.map((r) => r.cpuUsPerNode).filter(Number.isFinite);
  const cMax = Math.max(20, ...cpus) * 1.1;
  const cMin = Math.min(0, ...cpus);
  const ry = (v) => pad.t + ph - ((v - rMin) / (rMax - rMin)) * ph;
  const cy = (v) => pad.t + ph - ((v - cMin) / (cMax - cMin)) * ph;
  const x1 = pad.l, x2 = pad.l + pw + gap;
  const parts = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H + 24 * Math.ceil(TOOLS.length / 3)}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="100%" height="100%" fill="white"/>`);
  const axes = (x0, title, ticks, y, label) => {
    parts.push(`<text x="${x0 + pw / 2}" y="${pad.t - 16}" text-anchor="middle" font-size="14" font-weight="bold">${title}</text>`);
    parts.push(`<rect x="${x0}" y="${pad.t}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
    for (const n of sizes) {
      const x = lx(n, x0);
      parts.push(`<line x1="${x}" y1="${pad.t}" x2="${x}" y2="${pad.t + ph}" stroke="#eee"/>`);
      parts.push(`<text x="${x}" y="${pad.t + ph + 16}" text-anchor="middle">${n}</text>`);
    }
    parts.push(`<text x="${x0 + pw / 2}" y="${pad.t + ph + 36}" text-anchor="middle">nodes (log scale)</text>`);
    for (const t of ticks) {
      parts.push(`<line x1="${x0}" y1="${y(t)}" x2="${x0 + pw}" y2="${y(t)}" stroke="#eee"/>`);
      parts.push(`<text x="${x0 - 6}" y="${y(t) + 4}" text-anchor="end">${fmt(t, 3)}</text>`);
    }
    parts.push(`<text transform="translate(${x0 - 48},${pad.t + ph / 2}) rotate(-90)" text-anchor="middle">${label}</text>`);
  };
  const step = (lo, hi, k) => {
    const raw = (hi - lo) / k;
    const mag = 10 ** Math.floor(Math.log10(raw));
    const s = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((m) => m >= raw);
    const out = [];
    for (let v = Math.ceil(lo / s) * s; v <= hi + 1e-9; v += s) out.push(Math.round(v * 1e6) / 1e6);
    return out;
  };
  axes(x1, "wall time / ideal wall time", step(rMin, rMax, 6), ry, "ratio");
  axes(x2, "plugin CPU per node per call (zero latency)", step(cMin, cMax, 6), cy, "µs");
  // targets
  const dash = 'stroke="#444" stroke-dasharray="5,4"';
  if (sizes.includes(1000)) parts.push(`<line x1="${lx(1000, x1) - 18}" y1="${ry(1.05)}" x2="${lx(1000, x1) + 18}" y2="${ry(1.05)}" ${dash} stroke-width="2"/><text x="${lx(1000, x1) + 4}" y="${ry(1.05) - 5}" font-size="10">target 1.05</text>`);
  if (sizes.includes(5000)) parts.push(`<line x1="${lx(5000, x1) - 18}" y1="${ry(1.1)}" x2="${lx(5000, x1)}" y2="${ry(1.1)}" ${dash} stroke-width="2"/><text x="${lx(5000, x1) - 60}" y="${ry(1.1) - 5}" font-size="10">target 1.10</text>`);
  parts.push(`<line x1="${x2}" y1="${cy(15)}" x2="${x2 + pw}" y2="${cy(15)}" ${dash}/><text x="${x2 + 4}" y="${cy(15) - 5}" font-size="10">target 15 µs</text>`);
  TOOLS.forEach((tool, i) => {
    const rs = data.records.filter((r) => r.tool === tool).sort((a, b) => a.nodes - b.nodes);
    const color = COLORS[i % COLORS.length];
    for (const [x0, key, y] of [[x1, "ratio", ry], [x2, "cpuUsPerNode", cy]]) {
      const pts = rs.filter((r) => Number.isFinite(r[key])).map((r) => `${lx(r.nodes, x0).toFixed(1)},${y(Math.min(r[key], key === "ratio" ? rMax : cMax)).toFixed(1)}`);
      if (pts.length) parts.push(`<polyline points="${pts.join(" ")}" fill="none" stroke="${color}" stroke-width="2"/>`);
      for (const p of pts) {
        const [px, py] = p.split(",");
        parts.push(`<circle cx="${px}" cy="${py}" r="3" fill="${color}"/>`);
      }
    }
    const lxp = pad.l + (i % 3) * 280, lyp = H + 4 + 22 * Math.floor(i / 3);
    parts.push(`<line x1="${lxp}" y1="${lyp}" x2="${lxp + 24}" y2="${lyp}" stroke="${color}" stroke-width="3"/><text x="${lxp + 30}" y="${lyp + 4}">${tool}</text>`);
  });
  parts.push(`</svg>`);
  return parts.join("\n");
}

// ---- markdown
const m = data.machine;
const date = data.generatedAt.slice(0, 10);
const lines = [];
lines.push(`# Benchmarks`);
lines.push("");
lines.push(`Generated by \`make bench\` on ${date} (${data.generatedAt}), commit \`${m.commit || "?"}\` (the \`pkg/\` and \`js-shim/\` found in the checkout when the run started, copied aside so a rebuild during the run changes nothing), in ${data.durationS} s${data.quick ? " — **quick run: few repetitions, not for quoting**" : ""}.`);
lines.push("");
lines.push(`Machine: ${m.cpu}, ${m.nproc} cores (\`nproc\`), ${m.memoryGb} GB RAM, ${m.kernel}, Node ${m.node}.${data.loadAverage ? ` Load average (1/5/15 min) ${data.loadAverage.atStart.join("/")} at the start, ${data.loadAverage.atEnd.join("/")} at the end: other work shared the machine, so CPU and wall figures carry that noise.` : ""}`);
lines.push("");
lines.push(`The built plugin (\`${data.plugin}\`) is loaded through its JS shim into an in-process fake OpenClaw host (\`tests/support/fake-openclaw.mjs\`) whose N simulated clawnodes answer with the fixture payloads, one invoke at a time per node (FIFO; an invoke's deadline runs from dispatch, as in the gateway). Latency per invoke: seeded log-normal, median ${data.latencyModel.median} ms, p99 ${data.latencyModel.p99} ms. Fleet: ${data.fleet}. Config: ${data.config}.`);
lines.push("");
lines.push(`- **ideal** wall time: per node, the sum of the latencies of the invokes actually sent to it; the ideal is the maximum over nodes. **ratio** = wall / ideal (median over repetitions, warm cache).`);
lines.push(`- **plugin CPU**: process CPU time of a call on the zero-latency fleet, minus the CPU of the same invokes (and node lists) replayed straight into the fake host with no plugin, per node; **host CPU** is that replay's share.`);
lines.push(`- **invokes/node**: per-node maximum, and the mean per node by command; *cold* is the first call on a freshly started plugin, *warm* a later one.`);
lines.push(`- **peak RSS**: of the process running the latency measurements at that N (fake host included; the host alone, replaying the same invokes, is given for comparison).`);
lines.push("");
lines.push(`![wall/ideal ratio and plugin CPU per node against fleet size](ratio-cpu.svg)`);
lines.push("");
lines.push(`## Targets (issue 6)`);
lines.push("");
lines.push(`| target | limit | measured | | where |`);
lines.push(`|---|---|---|---|---|`);
for (const t of data.targets) {
  const lim = t.unit === "bytes" ? kb(t.limit) : `${fmt(t.limit, 3)} ${t.unit}`;
  const mea = t.unit === "bytes" ? kb(t.measured) : `${fmt(t.measured, 3)} ${t.unit}`;
  lines.push(`| ${t.name} | ≤ ${lim} | ${mea} | ${t.met ? "met" : `**missed** by ${t.unit === "bytes" ? kb(t.by) : `${fmt(t.by, 3)} ${t.unit}`}`} | ${t.where ?? ""} |`);
}
lines.push("");
lines.push(`## Per tool and fleet size`);
lines.push("");
lines.push(`| tool | N | wall ms | ideal ms | ratio | warm invokes/node (max; mean by command) | cold invokes/node (max) | plugin CPU µs/node | host CPU µs/node | content | peak RSS MB (host only) | timed out |`);
lines.push(`|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|`);
for (const tool of TOOLS) {
  for (const r of data.records.filter((x) => x.tool === tool).sort((a, b) => a.nodes - b.nodes)) {
    const w = r.invokesPerNode.warm;
    const c = r.invokesPerNode.cold;
    lines.push(
      `| ${tool} | ${r.nodes} | ${fmt(r.wallMs, 1)} | ${fmt(r.idealMs, 1)} | ${fmt(r.ratio, 3)} | ${w ? `${w.max}; ${byCmd(w)}` : "–"} | ${c ? `${c.max} (${byCmd(c)})` : "–"} | ${fmt(r.cpuUsPerNode, 1)} | ${fmt(r.hostCpuUsPerNode, 1)} | ${tool === "monitor_tick" ? "–" : kb(r.contentBytes)} | ${fmt(r.peakRssMb, 1)} (${fmt(r.hostPeakRssMb, 1)}) | ${r.timedOut} |`,
    );
  }
}
lines.push("");
lines.push(`Peak RSS growth N=${data.rssGrowth.fromNodes}→${data.rssGrowth.toNodes}: ${fmt(data.rssGrowth.withPluginMb, 1)} MB for the process with the plugin, ${fmt(data.rssGrowth.hostOnlyMb, 1)} MB for the fake host alone replaying the same invokes in the same order (gc() between calls in both); the plugin's share is the difference, ${fmt(data.rssGrowth.pluginMb, 1)} MB.`);
lines.push("");
const tc = data.timeoutCheck;
if (tc) {
  lines.push(`## Deadlines at N=${tc.nodes}, invokeTimeoutMs ${tc.invokeTimeoutMs}`);
  lines.push("");
  lines.push(`Every call run ${Object.values(tc.calls)[0]?.calls ?? "?"} times on the log-normal fleet. An invoke "timed out by the latency model" took longer than the deadline on the node itself; "timed out by queueing" was answered in time by the node but waited behind other invokes to the same node first.`);
  lines.push("");
  lines.push(`| call | invokes timed out | by the latency model | queued behind a timed-out invoke | queued behind live invokes | longest wait before service, ms | nodes reported failed | of them with no slow invoke |`);
  lines.push(`|---|---:|---:|---:|---:|---:|---:|---:|`);
  for (const [tool, c] of Object.entries(tc.calls)) {
    lines.push(`| ${tool} | ${c.timedOut} | ${c.slowNode} | ${c.queuedBehindTimedOut ?? "–"} | ${c.queuedBehindLive ?? "–"} | ${fmt(c.maxQueuedMs, 1)} | ${c.failedNodes} | ${c.lostNodes} |`);
  }
  lines.push("");
}
const sup = data.supplementary;
if (sup?.records?.length) {
  lines.push(`## Nodes listing only the 8 commands the tools use`);
  lines.push("");
  lines.push(`The same runs with each node's \`commands\` cut from the 68 of a default clawnode build to the 8 the tools and the monitor send (node.health, node.capabilities, gpu.list, gpu.metrics, system.info, workload.list, workload.run, workload.stop): a \`node.list\` about 4× smaller. Not a configuration an operator gets by default (the plugin's own node invoke policy admits 51 commands); it shows the fan-out where the full list is the problem.`);
  lines.push("");
  lines.push(`| tool | N | wall ms | ideal ms | ratio | warm invokes/node (max) | plugin CPU µs/node | host CPU µs/node | content | peak RSS MB | errors |`);
  lines.push(`|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|`);
  for (const r of sup.records) {
    lines.push(`| ${r.tool} | ${r.nodes} | ${fmt(r.wallMs, 1)} | ${fmt(r.idealMs, 1)} | ${fmt(r.ratio, 3)} | ${r.invokesPerNode.warm?.max ?? "–"} | ${fmt(r.cpuUsPerNode, 1)} | ${fmt(r.hostCpuUsPerNode, 1)} | ${r.tool === "monitor_tick" ? "–" : kb(r.contentBytes)} | ${fmt(r.peakRssMb, 1)} | ${(r.errors ?? []).map((e) => e.slice(0, 120)).join("; ")} |`);
  }
  lines.push("");
}
lines.push(`## Size and start-up`);
lines.push("");
if (data.wasm) lines.push(`- wasm: \`${data.wasm.file}\` ${kb(data.wasm.rawBytes)} raw, ${kb(data.wasm.gzipBytes)} gzip -9.`);
const s = data.startup;
lines.push(`- import of the entry + \`register()\` (mode "full") in a fresh process: ${fmt(s.importAndRegisterMs, 2)} ms median of ${s.runs} (import ${fmt(s.importMs, 2)} ms, register ${fmt(s.registerMs, 2)} ms); the first tool call on a one-node fleet then takes ${fmt(s.firstCallMs, 2)} ms, the second ${fmt(s.secondCallMs, 2)} ms.`);
lines.push("");
const errs = data.records.filter((r) => r.errors?.length);
const logged = data.records.filter((r) => r.logProblems?.length && r.tool === TOOLS[0]);
if (errs.length || logged.length) {
  lines.push(`## Errors seen during the run`);
  lines.push("");
  for (const r of errs) lines.push(`- ${r.tool} N=${r.nodes}: ${r.errors.map((e) => e.slice(0, 300)).join("; ")}`);
  for (const r of logged) lines.push(`- plugin log at N=${r.nodes} (warn/error): ${r.logProblems.join("; ")}`);
  lines.push("");
}
const notes = join(outDir, "notes.md");
if (existsSync(notes)) {
  lines.push(readFileSync(notes, "utf8").trim());
  lines.push("");
}
lines.push(`## Reproduce`);
lines.push("");
lines.push("`make bench` (builds first; ~10 minutes on 2 cores, run under `nice`). `BENCH_QUICK=1 make bench` for a fast smoke run, `BENCH_SIZES=10,100` to pick fleet sizes. Raw figures: `bench/results/latest.json`.");
lines.push("");

writeFileSync(join(outDir, "README.md"), lines.join("\n"));
writeFileSync(join(outDir, "ratio-cpu.svg"), `${svg()}\n`);
process.stderr.write(`[bench] wrote docs/benchmarks/README.md and docs/benchmarks/ratio-cpu.svg\n`);

// One benchmark phase in a fresh process; prints one JSON object on stdout.
//   node --expose-gc bench/phase.mjs <phase> [--shape small|realistic] [--nodes N] [--reps R] [--timeout MS] [--logs FILE]
// Phases:
//   latency  the log-normal fleet: every call R times (after one warm-up each), wall vs ideal, right totals
//   zero     the zero-latency fleet: CPU of each call, then of the same invokes replayed with no plugin
//   cold     every call once, each on a freshly registered plugin (cold caches): invokes per node
//   timeout  the log-normal fleet with invokeTimeoutMs from --timeout: which invokes time out, and why
//   host     the recorded invokes (--logs) replayed with no plugin: the host's own peak RSS
//   startup  import the entry, register(), first and second call on a one-node fleet
// The fake gateway admits at most 128 pending invokes (GATEWAY_CAPACITY) and answers overloaded
// past that, so the ideal wall time of a call is max(slowest node's own invokes, all invokes' time / 128).
import { readFileSync, writeFileSync } from "node:fs";
import { replay, createFleet, createApi, makeNodes } from "../tests/support/fake-openclaw.mjs";
import {
  CALLS, DEFAULT_MAX_CONCURRENCY, GATEWAY_CAPACITY, scheduleMs, benchFleet, registeredHost, runCall, invokeProfile, pluginConfigFromEnv, expectedTotals, wrongTotals,
  fanoutOf, median, round, cpuUs, peakRssMb, gc, PLUGIN_ENTRY,
} from "./lib.mjs";

const args = process.argv.slice(2);
const phase = args[0];
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const N = Number(opt("nodes", 10));
const R = Number(opt("reps", 5));
const SHAPE = opt("shape", "realistic");
const CONFIG = pluginConfigFromEnv();
const BOUND = CONFIG.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY;

const failedCount = (r) => {
  const d = r?.details;
  const s = d?.status ?? d;
  return Array.isArray(s?.failedNodes) ? s.failedNodes.length : 0;
};

async function latencyPhase() {
  const fleet = benchFleet(N, SHAPE);
  const expected = expectedTotals(fleet);
  const host = await registeredHost(fleet, CONFIG);
  const out = {};
  for (const call of CALLS) out[call.tool] = { reps: [], errors: [], wrong: [], lastLog: null, warmProfile: null, fanout: null };
  // one warm-up call each: fills the plugin's caches
  const warmupLogs = {};
  for (const call of CALLS) {
    fleet.takeLog();
    gc();
    const r = await runCall(host, call);
    if (r.error) out[call.tool].errors.push(`warm-up: ${r.error}`);
    await fleet.idle();
    warmupLogs[call.tool] = fleet.takeLog();
  }
  for (let rep = 0; rep < R; rep++) {
    for (const call of CALLS) {
      await fleet.idle();
      fleet.takeLog();
      gc();
      fleet.resetStats(); // after gc(): head and tail are measured from the fleet's clock
      const t0 = performance.now();
      const r = await runCall(host, call);
      const wallMs = performance.now() - t0;
      await fleet.idle();
      const st = fleet.stats();
      const rec = out[call.tool];
      if (r.error) rec.errors.push(r.error);
      else rec.wrong.push(...wrongTotals(call.tool, r.details, expected));
      const atBound = Math.max(st.slowestNodeMs, st.busyMsTotal / BOUND);
      const schedule = scheduleMs(st.perNode, GATEWAY_CAPACITY);
      rec.reps.push({
        wallMs, idealMs: st.idealMs, slowestNodeMs: st.slowestNodeMs, busyMsTotal: st.busyMsTotal,
        ratio: st.idealMs > 0 ? wallMs / st.idealMs : NaN, ratioAtBound: atBound > 0 ? wallMs / atBound : NaN,
        scheduleMs: schedule, ratioToSchedule: schedule > 0 ? wallMs / schedule : NaN,
        timeouts: st.timeoutSummary.total, failedNodes: failedCount(r), contentBytes: r.contentBytes,
        overloaded: st.overloaded, peakPending: st.peakPending,
        // before the first invoke (listing the fleet) and after the last answer (aggregating, writing the result)
        headMs: st.firstAdmittedMs ?? NaN, tailMs: st.lastSettledMs === undefined ? NaN : wallMs - st.lastSettledMs,
      });
      rec.fanout = fanoutOf(r.details);
      rec.warmProfile = invokeProfile(st, fleet);
      rec.lastLog = fleet.takeLog();
    }
  }
  const logsFile = opt("logs");
  if (logsFile) {
    writeFileSync(logsFile, JSON.stringify({ reps: R, warmup: warmupLogs, rep: Object.fromEntries(CALLS.map((c) => [c.tool, out[c.tool].lastLog])) }));
  }
  const result = {};
  for (const call of CALLS) {
    const rec = out[call.tool];
    const med = (k) => median(rec.reps.map((x) => x[k]));
    result[call.tool] = {
      wallMs: round(med("wallMs"), 1),
      idealMs: round(med("idealMs"), 1),
      slowestNodeMs: round(med("slowestNodeMs"), 1),
      busyMsTotal: round(med("busyMsTotal"), 0),
      ratio: round(med("ratio"), 3),
      ratioMax: round(Math.max(...rec.reps.map((x) => x.ratio)), 3),
      ratioAtBound: round(med("ratioAtBound"), 3),
      scheduleMs: round(med("scheduleMs"), 1),
      ratioToSchedule: round(med("ratioToSchedule"), 3),
      headMs: round(med("headMs"), 1),
      tailMs: round(med("tailMs"), 1),
      timedOut: rec.reps.reduce((a, x) => a + x.timeouts, 0),
      failedNodes: Math.max(0, ...rec.reps.map((x) => x.failedNodes)),
      contentBytes: Math.max(0, ...rec.reps.map((x) => x.contentBytes)),
      hostOverloaded: rec.reps.reduce((a, x) => a + x.overloaded, 0),
      hostPeakPending: Math.max(0, ...rec.reps.map((x) => x.peakPending)),
      fanout: rec.fanout,
      correct: rec.errors.length === 0 && rec.wrong.length === 0,
      wrong: [...new Set(rec.wrong)].slice(0, 5),
      warm: rec.warmProfile,
      reps: rec.reps.length,
      errors: [...new Set(rec.errors)].slice(0, 3),
    };
  }
  const logProblems = [...new Set(host.logs.filter((l) => l.level === "warn" || l.level === "error").map((l) => `${l.level}: ${l.msg.slice(0, 300)}`))].slice(0, 5);
  return { phase, shape: SHAPE, nodes: N, expected, peakRssMb: peakRssMb(), calls: result, logProblems };
}

async function zeroPhase() {
  const fleet = benchFleet(N, SHAPE, { zeroLatency: true });
  const host = await registeredHost(fleet, CONFIG);
  for (let i = 0; i < 2; i++) for (const call of CALLS) { await runCall(host, call); await fleet.idle(); }
  fleet.takeLog();
  const acc = Object.fromEntries(CALLS.map((c) => [c.tool, { plugin: [], host: [], total: [], wall: [], content: [], errors: [] }]));
  for (let rep = 0; rep < R; rep++) {
    for (const call of CALLS) {
      await fleet.idle();
      fleet.takeLog();
      gc();
      const c0 = cpuUs();
      const t0 = performance.now();
      const r = await runCall(host, call);
      const t1 = performance.now();
      const c1 = cpuUs();
      await fleet.idle();
      const log = fleet.takeLog();
      fleet.setRecording(false);
      gc();
      const h0 = cpuUs();
      await replay(fleet, log, { concurrency: BOUND });
      const h1 = cpuUs();
      fleet.setRecording(true);
      const a = acc[call.tool];
      const total = c1 - c0;
      const hostOnly = h1 - h0;
      a.total.push(total / N);
      a.host.push(hostOnly / N);
      a.plugin.push((total - hostOnly) / N);
      a.wall.push(t1 - t0);
      a.content.push(r.contentBytes);
      if (r.error) a.errors.push(r.error);
    }
  }
  const calls = {};
  for (const call of CALLS) {
    const a = acc[call.tool];
    calls[call.tool] = {
      cpuUsPerNode: round(median(a.plugin), 2),
      hostCpuUsPerNode: round(median(a.host), 2),
      totalCpuUsPerNode: round(median(a.total), 2),
      zeroLatencyWallMs: round(median(a.wall), 2),
      contentBytes: Math.max(...a.content),
      reps: a.plugin.length,
      errors: [...new Set(a.errors)].slice(0, 3),
    };
  }
  return { phase, shape: SHAPE, nodes: N, peakRssMb: peakRssMb(), calls };
}

// Each call on a plugin registered just before it: a fresh core, so every cache is cold.
async function coldPhase() {
  const fleet = benchFleet(N, SHAPE);
  const calls = {};
  for (const call of CALLS) {
    const host = await registeredHost(fleet, CONFIG);
    await fleet.idle();
    fleet.resetStats();
    fleet.setRecording(false);
    const t0 = performance.now();
    const r = await runCall(host, call);
    const wallMs = performance.now() - t0;
    await fleet.idle();
    const st = fleet.stats();
    calls[call.tool] = {
      wallMs: round(wallMs, 1), idealMs: round(st.idealMs, 1), ratio: round(st.idealMs > 0 ? wallMs / st.idealMs : NaN, 3),
      cold: invokeProfile(st, fleet), timedOut: st.timeoutSummary.total, contentBytes: r.contentBytes, error: r.error,
    };
  }
  return { phase, shape: SHAPE, nodes: N, calls };
}

async function timeoutPhase() {
  const timeoutMs = Number(opt("timeout", 500));
  const fleet = benchFleet(N, SHAPE);
  const host = await registeredHost(fleet, pluginConfigFromEnv({ invokeTimeoutMs: timeoutMs }));
  const calls = {};
  for (const call of CALLS) calls[call.tool] = { calls: 0, timedOut: 0, slowNode: 0, queued: 0, queuedBehindTimedOut: 0, queuedBehindLive: 0, failedNodes: 0, lostNodes: 0, maxQueuedMs: 0, errors: [] };
  for (let rep = 0; rep < R + 1; rep++) {
    for (const call of CALLS) {
      await fleet.idle();
      fleet.resetStats();
      const r = await runCall(host, call);
      await fleet.idle();
      const st = fleet.stats();
      const c = calls[call.tool];
      c.calls++;
      c.timedOut += st.timeoutSummary.total;
      c.slowNode += st.timeoutSummary.slowNode;
      c.queued += st.timeoutSummary.queued;
      c.failedNodes += failedCount(r);
      for (const t of st.timeouts) {
        c.maxQueuedMs = Math.max(c.maxQueuedMs, round(t.queuedMs, 1));
        if (!(t.latencyMs >= t.timeoutMs)) {
          if (t.staleAhead) c.queuedBehindTimedOut++;
          else c.queuedBehindLive++;
        }
      }
      // nodes reported failed whose every invoke the latency model would have answered in time
      const slowIds = new Set(st.timeouts.filter((t) => t.latencyMs >= t.timeoutMs).map((t) => t.nodeId));
      const s = r?.details?.status ?? r?.details;
      if (Array.isArray(s?.failedNodes)) c.lostNodes += s.failedNodes.filter((f) => !slowIds.has(f.nodeId)).length;
      if (r.error) c.errors.push(r.error);
    }
  }
  for (const c of Object.values(calls)) c.errors = [...new Set(c.errors)].slice(0, 3);
  return { phase, shape: SHAPE, nodes: N, invokeTimeoutMs: timeoutMs, calls };
}

// The latency phase's sequence (warm-up, then every call R times, gc() and idle between calls)
// with the recorded invokes sent straight to the fleet: the fake host's own memory.
async function hostPhase() {
  const logs = JSON.parse(readFileSync(opt("logs"), "utf8"));
  const fleet = benchFleet(N, SHAPE);
  fleet.setRecording(false);
  const run = async (log) => {
    await fleet.idle();
    gc();
    if (log) await replay(fleet, log, { concurrency: BOUND });
    await fleet.idle();
  };
  for (const call of CALLS) await run(logs.warmup[call.tool]);
  for (let rep = 0; rep < logs.reps; rep++) for (const call of CALLS) await run(logs.rep[call.tool]);
  return { phase, shape: SHAPE, nodes: N, peakRssMb: peakRssMb() };
}

async function startupPhase() {
  const { pathToFileURL } = await import("node:url");
  const fleet = createFleet({ nodes: makeNodes(1), latency: 0 });
  const t0 = performance.now();
  const mod = await import(pathToFileURL(PLUGIN_ENTRY).href);
  const t1 = performance.now();
  const host = createApi({ fleet, pluginConfig: {}, registrationMode: "full" });
  host.register(mod.default);
  const t2 = performance.now();
  await host.callTool("claw_fleet_status", {});
  const t3 = performance.now();
  await host.callTool("claw_fleet_status", {});
  const t4 = performance.now();
  return { phase, importMs: t1 - t0, registerMs: t2 - t1, importAndRegisterMs: t2 - t0, firstCallMs: t3 - t2, secondCallMs: t4 - t3 };
}

const phases = { latency: latencyPhase, zero: zeroPhase, cold: coldPhase, timeout: timeoutPhase, host: hostPhase, startup: startupPhase };
if (!phases[phase]) {
  console.error(`unknown phase ${phase}; one of ${Object.keys(phases).join(", ")}`);
  process.exit(2);
}
const result = await phases[phase]();
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);

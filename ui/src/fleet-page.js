// The Fleet page: node table (problems first), GPU heat map, workloads by state, transition
// timeline and a "Check now" action. Everything shown comes from the plugin's gateway methods
// (read through ./shapes.js) and its health-transition event; the order of nodes, workloads
// and problems is the core's. The page fetches once when mounted, again after each transition
// event (coalesced: at most one fetch in flight) and after "Check now" — it never polls.
// At fleet scale the node and workload tables are paginated and the heat map is one HTML
// string of small cells (8000 GPUs render in one assignment).
import { CONTAINER_STATES, METHODS, NODE_STATES, TRANSITION_EVENT, loadFleet, readTransitionEvent } from "./shapes.js";
import { clock, esc, gbOf, heat, num, ratio } from "./format.js";

const PAGE_SIZE = 50;

const SKELETON = `
<section class="cbf" data-cb="page">
  <header class="cbf-head">
    <h1>Fleet <span class="cbf-sev" data-cb="severity"></span></h1>
    <p class="cbf-meta" data-cb="meta">Loading…</p>
    <button type="button" class="btn btn--sm cbf-check" data-cb="check">Check now</button>
    <p class="cbf-status" role="status" data-cb="status"></p>
  </header>
  <div class="cbf-summary" data-cb="summary"></div>
  <section class="cbf-card"><h2>Problems</h2><ul class="cbf-problems" data-cb="problems"></ul></section>
  <section class="cbf-card">
    <h2>Nodes</h2>
    <input class="cbf-filter" type="search" placeholder="Filter nodes by name or state" aria-label="Filter nodes" data-cb="filter">
    <table class="cbf-table">
      <thead><tr><th>Node</th><th>State</th><th>Why</th><th>GPUs free/total</th><th>Memory available</th><th>Load per CPU</th><th>Running</th></tr></thead>
      <tbody data-cb="nodes"></tbody>
    </table>
    <nav class="cbf-pager" data-cb="node-pager"></nav>
  </section>
  <section class="cbf-card">
    <h2>GPU utilisation</h2>
    <p class="cbf-legend">One cell per GPU, darker is busier; hover a cell for its temperature.</p>
    <div class="cbf-heat" data-cb="heatmap"></div>
  </section>
  <section class="cbf-card">
    <h2>Workloads</h2>
    <div class="cbf-chips" data-cb="workload-counts"></div>
    <table class="cbf-table">
      <thead><tr><th>Node</th><th>Name</th><th>Image</th><th>State</th><th>Health</th><th>Status</th></tr></thead>
      <tbody data-cb="workloads"></tbody>
    </table>
    <nav class="cbf-pager" data-cb="workload-pager"></nav>
  </section>
  <section class="cbf-card"><h2>Transitions</h2><ol class="cbf-timeline" data-cb="timeline"></ol></section>
</section>`;

const stateBadge = (state) => `<span class="cbf-state cbf-state--${esc(state)}">${esc(state ?? "—")}</span>`;

/** Mounts the page into `container`; the host calls `dispose` when it goes away. */
export function mountFleetPage(container, context) {
  const { host, signal } = context;
  container.innerHTML = SKELETON;
  const part = (name) => container.querySelector(`[data-cb="${name}"]`);
  const view = { fleet: null, workloads: null, timeline: [], nodePage: 0, workloadPage: 0, filter: "" };
  let inFlight = null;
  let again = false;

  function setStatus(text, isError = false) {
    const el = part("status");
    el.textContent = text;
    el.classList.toggle("cbf-status--error", isError);
  }

  function apply({ fleet, workloads }) {
    view.fleet = fleet;
    if (workloads) view.workloads = workloads;
    view.timeline = fleet.transitions;
    render();
  }

  /** Fetches the fleet; an event arriving meanwhile causes one more fetch afterwards. */
  function refresh() {
    if (inFlight) {
      again = true;
      return inFlight;
    }
    inFlight = loadFleet(host.request)
      .then((data) => {
        if (!signal.aborted) apply(data);
      })
      .catch((err) => {
        if (!signal.aborted) setStatus(`Could not read the fleet: ${err?.message ?? err}`, true);
      })
      .finally(() => {
        inFlight = null;
        if (again && !signal.aborted) {
          again = false;
          refresh();
        }
      });
    return inFlight;
  }

  async function checkNow() {
    const button = part("check");
    button.disabled = true;
    setStatus("Checking every node…");
    try {
      const data = await loadFleet(host.request, { method: METHODS.check });
      if (signal.aborted) return;
      apply(data);
      setStatus(`Checked at ${clock(data.fleet.checkedAt)} (monitor tick ${data.fleet.monitor?.ticks ?? "—"})`);
    } catch (err) {
      if (!signal.aborted) setStatus(`Check failed: ${err?.message ?? err}`, true);
    } finally {
      button.disabled = !host.connection.canWrite;
    }
  }

  function onTransition(payload) {
    const { transitions } = readTransitionEvent(payload);
    const seen = new Set(view.timeline.map(key));
    view.timeline = [...view.timeline, ...transitions.filter((t) => !seen.has(key(t)))];
    renderTimeline();
    refresh();
  }

  function render() {
    const started = performance.now();
    renderHeader();
    renderSummary();
    renderProblems();
    renderNodes();
    renderHeat();
    renderWorkloads();
    renderTimeline();
    const ms = performance.now() - started;
    part("page").dataset.renderMs = ms.toFixed(1);
    performance.measure("clawbernetes:render", { start: started, duration: ms });
  }

  function renderHeader() {
    const f = view.fleet;
    const sev = part("severity");
    sev.textContent = f.severity ?? "";
    sev.className = `cbf-sev cbf-sev--${f.severity ?? "none"}`;
    part("meta").textContent = `Last check ${clock(f.checkedAt)} · monitor tick ${f.monitor?.ticks ?? "—"} · every ${f.intervalMs ? `${f.intervalMs / 1000} s` : "—"}`;
  }

  function renderSummary() {
    const f = view.fleet;
    const chips = [];
    if (f.nodes) {
      if (typeof f.nodes.total === "number") chips.push(`<span class="cbf-chip" data-cb="count-total"><b>${f.nodes.total}</b> nodes</span>`);
      for (const s of NODE_STATES) {
        if (typeof f.nodes[s] === "number") chips.push(`<span class="cbf-chip cbf-state--${s}" data-cb="count-${s}"><b>${f.nodes[s]}</b> ${s}</span>`);
      }
    }
    chips.push(`<span class="cbf-chip" data-cb="gpus-free"><b>${ratio(f.gpus?.free, f.gpus?.total)}</b> GPUs free</span>`);
    if (f.memory) chips.push(`<span class="cbf-chip" data-cb="memory"><b>${gbOf(f.memory.availableMb, f.memory.totalMb)}</b> memory available</span>`);
    if (f.workloads) chips.push(`<span class="cbf-chip" data-cb="containers-running"><b>${num(f.workloads.running)}</b> of ${num(f.workloads.total)} containers running</span>`);
    part("summary").innerHTML = chips.join("");
  }

  function renderProblems() {
    const problems = view.fleet.problems;
    part("problems").innerHTML = problems.length
      ? problems.map((p) => `<li class="cbf-problem cbf-problem--${esc(p.severity)}" data-node="${esc(p.nodeName)}"><b>${esc(p.nodeName)}</b> <span class="cbf-sev cbf-sev--${esc(p.severity)}">${esc(p.severity)}</span> ${esc(p.message)}</li>`).join("")
      : `<li class="cbf-empty">No problems.</li>`;
  }

  function visibleNodes() {
    const q = view.filter.trim().toLowerCase();
    const nodes = view.fleet.nodeDetails;
    return q ? nodes.filter((n) => n.nodeName.toLowerCase().includes(q) || n.state.includes(q)) : nodes;
  }

  function renderNodes() {
    const nodes = visibleNodes();
    const pages = Math.max(1, Math.ceil(nodes.length / PAGE_SIZE));
    view.nodePage = Math.min(view.nodePage, pages - 1);
    const rows = nodes.slice(view.nodePage * PAGE_SIZE, (view.nodePage + 1) * PAGE_SIZE).map(
      (n) => `<tr data-node="${esc(n.nodeName)}" data-state="${esc(n.state)}">
        <td class="cbf-name">${esc(n.nodeName)}</td><td>${stateBadge(n.state)}</td><td class="cbf-why">${esc(n.reason)}</td>
        <td class="cbf-num">${ratio(n.gpusFree, n.gpusTotal)}</td><td class="cbf-num">${gbOf(n.memoryAvailableMb, n.memoryTotalMb)}</td>
        <td class="cbf-num">${num(n.loadPerCpu, 2)}</td><td class="cbf-num">${num(n.workloadsRunning)}</td></tr>`,
    );
    part("nodes").innerHTML = rows.join("") || `<tr><td colspan="7" class="cbf-empty">No nodes.</td></tr>`;
    part("node-pager").innerHTML = pager("node", view.nodePage, pages, nodes.length);
  }

  function renderHeat() {
    const blocks = visibleNodes()
      .filter((n) => n.gpus.length)
      .map((n) => {
        const cells = n.gpus.map((g) => {
          const tip = `${n.nodeName} GPU ${g.index}${g.model ? ` (${g.model})` : ""}: ${num(g.utilizationPercent)}% busy, ${num(g.temperatureC)} °C${g.state ? `, ${g.state}` : ""}`;
          return `<i class="cbf-gpu" style="background:${heat(g.utilizationPercent)}" title="${esc(tip)}" data-gpu="${g.index}" data-util="${g.utilizationPercent ?? ""}" data-temp="${g.temperatureC ?? ""}"></i>`;
        });
        return `<div class="cbf-heat-node" data-node="${esc(n.nodeName)}" data-state="${esc(n.state)}"><span class="cbf-heat-name">${esc(n.nodeName)}</span><span class="cbf-heat-cells">${cells.join("")}</span></div>`;
      });
    part("heatmap").innerHTML = blocks.join("") || `<p class="cbf-empty">No GPUs.</p>`;
  }

  function renderWorkloads() {
    const wl = view.workloads;
    if (!wl) return;
    const chips = CONTAINER_STATES.filter((s) => wl.counts[s]).map((s) => `<span class="cbf-chip cbf-wl--${s}" data-cb="workloads-${s}"><b>${wl.counts[s]}</b> ${s}</span>`);
    if (typeof wl.unhealthy === "number") chips.unshift(`<span class="cbf-chip cbf-wl--unhealthy" data-cb="workloads-unhealthy"><b>${wl.unhealthy}</b> unhealthy</span>`);
    chips.push(`<span class="cbf-chip" data-cb="workloads-total"><b>${wl.total}</b> containers</span>`);
    part("workload-counts").innerHTML = chips.join("");
    const pages = Math.max(1, Math.ceil(wl.workloads.length / PAGE_SIZE));
    view.workloadPage = Math.min(view.workloadPage, pages - 1);
    const rows = wl.workloads.slice(view.workloadPage * PAGE_SIZE, (view.workloadPage + 1) * PAGE_SIZE).map(
      (w) => `<tr data-workload="${esc(w.name)}" data-state="${esc(w.state)}">
        <td>${esc(w.nodeName)}</td><td class="cbf-name">${esc(w.name)}</td><td class="cbf-image">${esc(w.image)}</td>
        <td><span class="cbf-wl cbf-wl--${esc(w.state)}">${esc(w.state)}</span></td>
        <td>${w.health ? `<span class="cbf-wl cbf-wl--${esc(w.health)}">${esc(w.health)}</span>` : "—"}</td><td>${esc(w.status)}</td></tr>`,
    );
    part("workloads").innerHTML = rows.join("") || `<tr><td colspan="6" class="cbf-empty">No containers.</td></tr>`;
    part("workload-pager").innerHTML = pager("workload", view.workloadPage, pages, wl.workloads.length);
  }

  function renderTimeline() {
    const items = [...view.timeline].reverse();
    part("timeline").innerHTML = items.length
      ? items
          .map((t) => `<li data-node="${esc(t.nodeName)}" data-to="${esc(t.to)}"${t.beforeRestart ? ` data-before-restart="true"` : ""}><time>${clock(t.at)}</time> <b>${esc(t.nodeName)}</b> ${t.from ? stateBadge(t.from) : `<span class="cbf-state">new</span>`} → ${stateBadge(t.to)} <span class="cbf-why">${esc(t.reason)}</span>${t.beforeRestart ? ` <span class="cbf-restart" title="recorded before the gateway restarted; kept in the plugin's state store">before restart</span>` : ""}</li>`)
          .join("")
      : `<li class="cbf-empty">No transitions yet.</li>`;
  }

  function onClick(event) {
    const target = event.target.closest("button");
    if (!target || !container.contains(target)) return;
    if (target.dataset.cb === "check") checkNow();
    else if (target.dataset.pager) {
      const which = target.dataset.pager;
      view[`${which}Page`] += Number(target.dataset.step);
      if (which === "node") renderNodes();
      else renderWorkloads();
    }
  }

  function onInput(event) {
    if (event.target.dataset.cb !== "filter") return;
    view.filter = event.target.value;
    view.nodePage = 0;
    if (view.fleet) {
      renderNodes();
      renderHeat();
    }
  }

  container.addEventListener("click", onClick);
  container.addEventListener("input", onInput);
  part("check").disabled = !host.connection.canWrite;
  if (!host.connection.canWrite) part("check").title = "Needs the operator.write scope";
  const offEvent = host.onEvent(TRANSITION_EVENT, onTransition);
  let connected = host.connection.connected;
  const offHost = host.subscribe(() => {
    // after a reconnect the page may have missed events: read the fleet once more
    if (host.connection.connected && !connected) refresh();
    connected = host.connection.connected;
  });
  refresh();

  return {
    dispose() {
      offEvent();
      offHost();
      container.removeEventListener("click", onClick);
      container.removeEventListener("input", onInput);
    },
  };
}

function key(t) {
  return `${t.at}|${t.nodeId}|${t.to}`;
}

function pager(which, page, pages, count) {
  if (pages <= 1) return `<span>${count} shown</span>`;
  return `<button type="button" class="btn btn--sm" data-pager="${which}" data-step="-1" ${page === 0 ? "disabled" : ""}>Previous</button>
    <span data-cb="${which}-page">Page ${page + 1} of ${pages} (${count})</span>
    <button type="button" class="btn btn--sm" data-pager="${which}" data-step="1" ${page >= pages - 1 ? "disabled" : ""}>Next</button>`;
}

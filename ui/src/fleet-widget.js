// The dashboard widget: node states, GPUs free/total and the top problems, with a link to the
// Fleet page. Read from clawbernetes.fleet-status (./shapes.js) once when mounted and again
// after each transition event; the problems are the core's, critical first.
import { NODE_STATES, TRANSITION_EVENT, loadFleet } from "./shapes.js";
import { esc, ratio } from "./format.js";

const TOP_PROBLEMS = 3;

/** Mounts the widget into `container`; `pageTarget` is the Fleet page's navigation target. */
export function mountFleetWidget(container, context, pageTarget) {
  const { host, signal } = context;
  container.innerHTML = `<section class="cbf cbf-widget" data-cb="widget"><p class="cbf-meta">Loading…</p></section>`;
  const root = container.firstElementChild;
  let inFlight = false;
  let again = false;

  function render(fleet) {
    const chips = fleet.nodes
      ? NODE_STATES.filter((s) => fleet.nodes[s]).map((s) => `<span class="cbf-chip cbf-state--${s}" data-cb="count-${s}"><b>${fleet.nodes[s]}</b> ${s}</span>`)
      : [];
    const top = fleet.problems.slice(0, TOP_PROBLEMS);
    const more = fleet.problems.length - top.length;
    root.innerHTML = `
      <div class="cbf-chips">${typeof fleet.nodes?.total === "number" ? `<span class="cbf-chip" data-cb="count-total"><b>${fleet.nodes.total}</b> nodes</span>` : ""}${chips.join("")}</div>
      <p class="cbf-widget-gpus" data-cb="gpus-free"><b>${ratio(fleet.gpus?.free, fleet.gpus?.total)}</b> GPUs free</p>
      <ul class="cbf-problems" data-cb="problems">${
        top.map((p) => `<li class="cbf-problem cbf-problem--${esc(p.severity)}"><b>${esc(p.nodeName)}</b> ${esc(p.message)}</li>`).join("") || `<li class="cbf-empty">No problems.</li>`
      }${more > 0 ? `<li class="cbf-more">and ${more} more</li>` : ""}</ul>
      <a class="cbf-link" data-cb="open-page" href="${esc(host.navigation.pageHref(pageTarget))}">Open the Fleet page</a>`;
  }

  async function refresh() {
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    try {
      const { fleet } = await loadFleet(host.request, { workloads: false });
      if (!signal.aborted) render(fleet);
    } catch (err) {
      if (!signal.aborted) root.innerHTML = `<p class="cbf-status cbf-status--error" role="alert">Could not read the fleet: ${esc(err?.message ?? err)}</p>`;
    } finally {
      inFlight = false;
      if (again && !signal.aborted) {
        again = false;
        refresh();
      }
    }
  }

  function onClick(event) {
    const link = event.target.closest("a[data-cb=open-page]");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    host.navigation.openPage(pageTarget);
  }

  container.addEventListener("click", onClick);
  const off = host.onEvent(TRANSITION_EVENT, () => refresh());
  refresh();
  return {
    dispose() {
      off();
      container.removeEventListener("click", onClick);
    },
  };
}

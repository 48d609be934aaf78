//! `claw_fleet_status {nodeFilter?}`.

use super::{probe_all, Output};
use crate::args::Args;
use crate::fleet::probe::Needs;
use crate::fleet::status::{aggregate, FleetStatus};
use crate::host::Host;
use crate::plugin::Plugin;
use crate::schema::accepted;
use crate::summary::{gb, plural, Text};
use serde_json::Value;

pub(super) async fn run<H: Host>(p: &Plugin, host: &H, args: &Value) -> Result<Output, String> {
    let a = Args::of(args, accepted("claw_fleet_status"))?;
    let filter = a.text("nodeFilter", 256)?;
    let fleet = p.fleet(host).await?;
    let nodes: Vec<_> = fleet.nodes.iter().filter(|n| filter.is_none_or(|f| n.matches(f))).cloned().collect();
    if let (Some(f), true) = (filter, nodes.is_empty() && !fleet.nodes.is_empty()) {
        return Err(super::unknown_node(&fleet.nodes, "nodeFilter", f));
    }
    let needs = Needs { facts: true, health: true, metrics: true, containers: true };
    let reports = probe_all(p, host, &nodes, needs).await;
    let status = aggregate(&reports, fleet.pending, &p.config.thresholds, &p.ledger, host.now_ms());
    Output::new(text(&status), &status)
}

fn text(s: &FleetStatus) -> String {
    let mut t = Text::new();
    let n = &s.nodes;
    if n.total == 0 {
        t.line("No clawnode is connected to the gateway.");
    } else {
        t.line(format!(
            "Fleet: {} — {} healthy, {} degraded, {} unhealthy, {} unreachable.",
            plural(n.total, "clawnode", "clawnodes"),
            n.healthy,
            n.degraded,
            n.unhealthy,
            n.unreachable
        ));
        let models: Vec<String> =
            s.gpus.by_model.iter().map(|m| format!("{} {}/{} free", m.model, m.free, m.total)).collect();
        let by_model = if models.is_empty() { String::new() } else { format!(" ({})", models.join("; ")) };
        t.line(format!("GPUs: {}/{} free{by_model}.", s.gpus.free, s.gpus.total));
        t.line(format!(
            "Memory: {} available of {}. Workloads: {} running, {} containers in all.",
            gb(s.memory.available_mb),
            gb(s.memory.total_mb),
            s.workloads.running,
            s.workloads.total
        ));
    }
    t.list(format!("Problems ({}):", s.problems.len()), s.problems.iter(), |p| {
        format!("{} [{}] {}", p.node_name, p.severity.as_str(), p.message)
    });
    if !s.pending_nodes.is_empty() {
        let names: Vec<&str> = s.pending_nodes.iter().map(|n| n.node_name.as_str()).collect();
        t.line(format!(
            "Waiting for approval: {} ({}) — openclaw nodes pending, then openclaw nodes approve <requestId>.",
            plural(names.len(), "node", "nodes"),
            crate::summary::cut(&names.join(", "), 300)
        ));
    }
    t.finish()
}

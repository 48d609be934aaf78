//! `claw_gpu_inventory {model?, availableOnly?, nodeId?}`.

use super::args::{Args, Def, Kind, Param};
use super::{fleet, select, shared, shared_lines, unusable_failed, Reply};
use crate::error::Error;
use crate::fleet::inventory::{aggregate, Filter, Inventory};
use crate::io::host::Host;
use crate::io::probe::Needs;
use crate::plugin::Plugin;
use crate::summary::Text;
use serde_json::Value;

/// The tool.
pub const DEF: Def = Def {
    name: "claw_gpu_inventory",
    label: "GPU inventory",
    description: "Every GPU in the fleet, grouped by node: index, uuid, model, VRAM, memory used, utilisation, \
                  temperature, power, and its state — free, busy (its metrics show work), held (a container this \
                  plugin started has it, with heldBy) or unknown (its readings cannot be read, e.g. MIG or [N/A]). \
                  clawnode reports no allocation, so free is inferred.",
    params: &[
        Param::opt("model", Kind::Text { max: 128, pattern: None }, "Part of the GPU model name, any case, e.g. H100"),
        Param::opt("availableOnly", Kind::Bool, "Only free GPUs"),
        Param::opt(
            "nodeId",
            Kind::Text { max: 256, pattern: None },
            "Only this node: its id, or its display name (every node that has it)",
        ),
    ],
};

/// Runs the tool.
pub async fn run<H: Host>(p: &Plugin, host: &H, args: &Value) -> Result<Reply<Inventory>, Error> {
    let a = Args::of(args, &DEF)?;
    let filter = Filter { model: a.text("model").map(str::to_owned), available_only: a.flag("availableOnly") };
    let f = fleet(p, host).await?;
    let nodes = select(&f, a.text("nodeId"), "nodeId")?;
    let (checked, fanout) = p.check(host, &nodes, Needs { metrics: true, ..Needs::default() }).await;
    let mut inv = aggregate(&checked, &filter, fanout);
    inv.shared_names = a.text("nodeId").and_then(|k| shared(k, &nodes)).into_iter().collect();
    inv.failed_nodes.extend(unusable_failed(&f, a.text("nodeId")));
    Ok(Reply { text: text(&inv, nodes.len()), details: inv })
}

fn text(inv: &Inventory, nodes: usize) -> String {
    let mut t = Text::new();
    let mut other = Vec::new();
    for (count, name) in [(inv.busy, "busy"), (inv.held, "held by deploys"), (inv.unknown, "unknown")] {
        if count > 0 {
            other.push(format!("{count} {name}"));
        }
    }
    let other = if other.is_empty() { String::new() } else { format!(", {}", other.join(", ")) };
    t.line(format!("GPUs: {} listed, {} available{other}, on {nodes} clawnode(s).", inv.total, inv.available));
    shared_lines(&mut t, &inv.shared_names, "listed");
    t.list("By model:", inv.by_model.iter(), |m| format!("{}: {}/{} available", m.model, m.available, m.total));
    t.list(format!("Nodes whose reads failed ({}):", inv.failed_nodes.len()), inv.failed_nodes.iter(), |f| {
        format!("{}: {}", f.node_name, f.error)
    });
    let gpus = inv.nodes.iter().flat_map(|n| n.gpus.iter().map(move |g| (n, g)));
    t.list("GPUs (node #index model — state, used/total MB, util, temp):", gpus, |(n, g)| {
        let used = g.memory_used_mb.map_or("?".to_owned(), |u| format!("{u:.0}"));
        let util = g.utilization_percent.map_or("?".to_owned(), |u| format!("{u:.0}%"));
        let temp = g.temperature_c.map_or("?".to_owned(), |c| format!("{c:.0} °C"));
        let held = g
            .held_by
            .as_ref()
            .map(|h| format!(" by {}", if h.name.is_empty() { &h.container_id } else { &h.name }))
            .unwrap_or_default();
        format!(
            "{} #{} {} — {}{held}, {used}/{:.0} MB, {util}, {temp}",
            n.node_name,
            g.index,
            g.model,
            g.state.as_str(),
            g.memory_total_mb
        )
    });
    t.finish()
}

//! `claw_gpu_inventory {model?, availableOnly?, nodeId?}`.

use super::{probe_all, select, Output};
use crate::args::Args;
use crate::fleet::inventory::{aggregate, Filter, Inventory};
use crate::fleet::probe::Needs;
use crate::host::Host;
use crate::plugin::Plugin;
use crate::schema::accepted;
use crate::summary::Text;
use serde_json::Value;

pub(super) async fn run<H: Host>(p: &Plugin, host: &H, args: &Value) -> Result<Output, String> {
    let a = Args::of(args, accepted("claw_gpu_inventory"))?;
    let filter = Filter { model: a.text("model", 128)?.map(str::to_owned), available_only: a.flag("availableOnly")? };
    let node = a.text("nodeId", 256)?;
    let fleet = p.fleet(host).await?;
    let nodes = select(&fleet.nodes, node, "nodeId")?;
    let needs = Needs { facts: true, metrics: true, ..Needs::default() };
    let reports = probe_all(p, host, &nodes, needs).await;
    let inv = aggregate(&reports, &filter, &p.ledger, host.now_ms());
    Output::new(text(&inv, nodes.len()), &inv)
}

fn text(inv: &Inventory, nodes: usize) -> String {
    let mut t = Text::new();
    t.line(format!("GPUs: {} listed, {} available, on {nodes} clawnode(s).", inv.total, inv.available));
    t.list("By model:", inv.by_model.iter(), |m| format!("{}: {}/{} available", m.model, m.available, m.total));
    t.list(format!("Nodes that did not answer ({}):", inv.failed_nodes.len()), inv.failed_nodes.iter(), |f| {
        format!("{}: {}", f.node_name, f.error)
    });
    t.list("GPUs (node #index model — used/total MB, util, temp):", inv.gpus.iter(), |g| {
        format!(
            "{} #{} {} — {:.0}/{:.0} MB, {:.0}%, {:.0} °C{}",
            g.node_name,
            g.index,
            g.model,
            g.memory_used_mb,
            g.memory_total_mb,
            g.utilization_percent,
            g.temperature_c,
            if g.available { ", available" } else { "" }
        )
    });
    t.finish()
}

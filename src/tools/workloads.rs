//! `claw_workloads {state?, image?, nodeId?, name?}`.

use super::{probe_all, select, Output};
use crate::args::{self, Args};
use crate::fleet::probe::Needs;
use crate::fleet::workloads::{aggregate, Filter, Workloads};
use crate::host::Host;
use crate::plugin::Plugin;
use crate::schema::accepted;
use crate::summary::Text;
use serde_json::Value;

pub(super) async fn run<H: Host>(p: &Plugin, host: &H, args: &Value) -> Result<Output, String> {
    let a = Args::of(args, accepted("claw_workloads"))?;
    let filter = Filter {
        state: a.text("state", 32)?.map(args::state).transpose()?,
        image: a.text("image", 255)?.map(str::to_owned),
        name: a.text("name", 128)?.map(str::to_owned),
    };
    let node = a.text("nodeId", 256)?;
    let fleet = p.fleet(host).await?;
    let nodes = select(&fleet.nodes, node, "nodeId")?;
    let reports = probe_all(p, host, &nodes, Needs { containers: true, ..Needs::default() }).await;
    let w = aggregate(&reports, &filter);
    Output::new(text(&w, nodes.len()), &w)
}

fn text(w: &Workloads, nodes: usize) -> String {
    let mut t = Text::new();
    let counts: Vec<String> = w.counts.nonzero().iter().map(|(s, n)| format!("{n} {s}")).collect();
    let counts = if counts.is_empty() { String::new() } else { format!(": {}", counts.join(", ")) };
    t.line(format!("Workloads: {} container(s) on {nodes} clawnode(s){counts}.", w.total));
    t.list(format!("Nodes that did not answer ({}):", w.failed_nodes.len()), w.failed_nodes.iter(), |f| {
        format!("{}: {}", f.node_name, f.error)
    });
    let mut shown: Vec<_> = w.workloads.iter().collect();
    shown.sort_by_key(|e| e.state);
    t.list("Containers (node: name [state] image, id):", shown.iter(), |e| {
        let code = e.exit_code.map(|c| format!(" exit {c}")).unwrap_or_default();
        format!("{}: {} [{}{code}] {}, {}", e.node_name, e.name, e.state.as_str(), e.image, e.container_id)
    });
    t.finish()
}

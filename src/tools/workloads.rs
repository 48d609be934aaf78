//! `claw_workloads {state?, image?, nodeId?, name?}`.

use super::args::{Args, Def, Kind, Param};
use super::{fleet, select, shared, shared_lines, unusable_failed, Reply};
use crate::error::Error;
use crate::fleet::workloads::{aggregate, Filter, Workloads};
use crate::io::host::Host;
use crate::io::probe::Needs;
use crate::node::workload::State;
use crate::plugin::Plugin;
use crate::summary::Text;
use serde_json::Value;

/// The tool.
pub const DEF: Def = Def {
    name: "claw_workloads",
    label: "Workloads",
    description: "Every container clawnode manages on every node: node, containerId, name, image, state in Docker's \
                  words (running/exited/created/restarting/paused/removing/dead/unknown), health (healthy/unhealthy/\
                  starting), exit code, the runtime's status text, and counts by state; unhealthy and restarting \
                  containers first.",
    params: &[
        Param::opt(
            "state",
            Kind::OneOf(&["running", "exited", "created", "restarting", "paused", "removing", "dead", "unknown"]),
            "Only containers in this state",
        ),
        Param::opt("image", Kind::Text { max: 255, pattern: None }, "Part of the image reference, e.g. vllm"),
        Param::opt(
            "nodeId",
            Kind::Text { max: 256, pattern: None },
            "Only this node: its id, or its display name (every node that has it)",
        ),
        Param::opt("name", Kind::Text { max: 255, pattern: None }, "Part of the container name"),
    ],
};

/// Runs the tool.
pub async fn run<H: Host>(p: &Plugin, host: &H, args: &Value) -> Result<Reply<Workloads>, Error> {
    let a = Args::of(args, &DEF)?;
    let filter = Filter {
        state: a.text("state").and_then(State::parse),
        image: a.text("image").map(str::to_owned),
        name: a.text("name").map(str::to_owned),
    };
    let f = fleet(p, host).await?;
    let nodes = select(&f, a.text("nodeId"), "nodeId")?;
    let (checked, fanout) = p.check(host, &nodes, Needs { containers: true, ..Needs::default() }).await;
    let mut w = aggregate(&checked, &filter, fanout);
    w.shared_names = a.text("nodeId").and_then(|k| shared(k, &nodes)).into_iter().collect();
    w.failed_nodes.extend(unusable_failed(&f, a.text("nodeId")));
    Ok(Reply { text: text(&w, nodes.len()), details: w })
}

fn text(w: &Workloads, nodes: usize) -> String {
    let mut t = Text::new();
    let counts: Vec<String> = w.counts.nonzero().iter().map(|(s, n)| format!("{n} {s}")).collect();
    let counts = if counts.is_empty() { String::new() } else { format!(": {}", counts.join(", ")) };
    let unhealthy = if w.unhealthy > 0 { format!(" ({} unhealthy)", w.unhealthy) } else { String::new() };
    t.line(format!("Workloads: {} container(s) on {nodes} clawnode(s){counts}{unhealthy}.", w.total));
    shared_lines(&mut t, &w.shared_names, "listed");
    t.list(format!("Nodes whose reads failed ({}):", w.failed_nodes.len()), w.failed_nodes.iter(), |f| {
        format!("{}: {}", f.node_name, f.error)
    });
    t.list("Containers (node: name [state] image, id), trouble first:", w.workloads.iter(), |e| {
        let code = e.exit_code.map(|c| format!(" exit {c}")).unwrap_or_default();
        let health = e.health.map(|h| format!(", {}", h.as_str())).unwrap_or_default();
        format!("{}: {} [{}{code}{health}] {}, {}", e.node_name, e.name, e.state.as_str(), e.image, e.container_id)
    });
    t.finish()
}

//! `claw_fleet_status {nodeFilter?}`: every clawnode's state from the one assessment.

use super::args::{Args, Def, Kind, Param};
use super::{fleet, unknown_node, Reply};
use crate::error::Error;
use crate::fleet::status::{aggregate, FleetStatus};
use crate::io::host::Host;
use crate::io::probe::Needs;
use crate::plugin::Plugin;
use crate::summary::{gb, plural, Text};
use serde_json::Value;

/// The tool.
pub const DEF: Def = Def {
    name: "claw_fleet_status",
    label: "Fleet status",
    description: "Health of every clawnode computed from its numbers (disk, memory, load, GPU temperature, \
                  containers): nodes by state (healthy/degraded/unhealthy/unreachable/offline/unusable), GPUs \
                  free/busy/held/unknown by model, memory, workloads, and every problem with its node, worst first. \
                  Connected nodes the gateway keeps from the plugin are named with the fix. Start here when asked \
                  how the cluster is doing.",
    params: &[Param::opt(
        "nodeFilter",
        Kind::Text { max: 256, pattern: None },
        "Only nodes whose id is this or whose display name contains it (any case), e.g. gpu-node-1",
    )],
};

/// Runs the tool.
pub async fn run<H: Host>(p: &Plugin, host: &H, args: &Value) -> Result<Reply<FleetStatus>, Error> {
    let a = Args::of(args, &DEF)?;
    let filter = a.text("nodeFilter");
    let mut f = fleet(p, host).await?;
    if let Some(key) = filter {
        let any = f.usable.iter().chain(f.unusable.iter().map(|r| &r.node)).any(|n| n.matches(key));
        if !any {
            return Err(unknown_node(&f, "nodeFilter", key));
        }
        f.usable.retain(|n| n.matches(key));
        f.unusable.retain(|r| r.node.matches(key));
    }
    let usable = std::mem::take(&mut f.usable);
    let (mut checked, stats) = p.check(host, &usable, Needs::ALL).await;
    p.with_monitor_memory(&mut checked);
    checked.extend(p.unusable_checked(f.unusable));
    let status = aggregate(&checked, stats);
    Ok(Reply { text: text(&status), details: status })
}

/// The summary an agent reads (also `/fleet`'s answer and the CLI's headline).
pub fn text(s: &FleetStatus) -> String {
    let mut t = Text::new();
    let n = &s.nodes;
    if n.total == 0 {
        t.line("No clawnode is connected to the gateway.");
        return t.finish();
    }
    let mut states = format!("{} healthy, {} degraded, {} unhealthy", n.healthy, n.degraded, n.unhealthy);
    for (count, name) in [(n.unreachable, "unreachable"), (n.offline, "offline"), (n.unusable, "unusable")] {
        if count > 0 {
            states.push_str(&format!(", {count} {name}"));
        }
    }
    t.line(format!("Fleet: {} — {states}.", plural(n.total, "clawnode", "clawnodes")));
    let g = &s.gpus;
    let models: Vec<String> = g.by_model.iter().map(|m| format!("{} {}/{} free", m.model, m.free, m.total)).collect();
    let by_model = if models.is_empty() { String::new() } else { format!(" ({})", models.join("; ")) };
    let mut other = Vec::new();
    for (count, name) in [(g.busy, "busy"), (g.held, "held by deploys"), (g.unknown, "unknown")] {
        if count > 0 {
            other.push(format!("{count} {name}"));
        }
    }
    let other = if other.is_empty() { String::new() } else { format!(", {}", other.join(", ")) };
    t.line(format!("GPUs: {}/{} free{other}{by_model}.", g.free, g.total));
    let w = &s.workloads;
    let mut trouble = Vec::new();
    for (count, name) in [(w.unhealthy, "unhealthy"), (w.restarting, "restarting")] {
        if count > 0 {
            trouble.push(format!("{count} {name}"));
        }
    }
    let trouble = if trouble.is_empty() { String::new() } else { format!(" ({})", trouble.join(", ")) };
    t.line(format!(
        "Memory: {} available of {}. Workloads: {} running{trouble}, {} containers in all.",
        gb(s.memory.available_mb),
        gb(s.memory.total_mb),
        w.running,
        w.total
    ));
    t.list(format!("Problems ({}):", s.problems.len()), s.problems.iter(), |p| {
        format!("{} [{}] {}", p.node_name, p.severity.as_str(), p.message)
    });
    t.finish()
}

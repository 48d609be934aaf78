//! `claw_multi_invoke {command, params?, nodes?, timeoutMs?}`: one command on many nodes.

use super::args::{Args, Def, Kind, Param};
use super::{fleet, invalid, no_nodes, select, shared, shared_lines, Reply};
use crate::commands::{self, Class};
use crate::config::Config;
use crate::error::Error;
use crate::fleet::SharedName;
use crate::io::fanout::{each_node, Stats};
use crate::io::host::Host;
use crate::node::entry::NodeEntry;
use crate::plugin::Plugin;
use crate::redact::redacted;
use crate::summary::{cut, Text};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::rc::Rc;

/// The tool.
pub const DEF: Def = Def {
    name: "claw_multi_invoke",
    label: "Invoke on many nodes",
    description: "Run one clawnode command on every clawnode (or the named ones) in parallel: per node ok, payload \
                  or error, and duration. A display name shared by several nodes selects all of them. Commands that \
                  run processes, reveal secrets or destroy work (system.run, container.exec, secret.get, node.drain, \
                  workload.stop, …) are refused unless the operator allowed them by name in the plugin config; \
                  workload.run belongs to claw_deploy.",
    params: &[
        Param::req("command", Kind::Text { max: 64, pattern: None }, "Command, e.g. gpu.metrics"),
        Param::opt("params", Kind::Object, "Command parameters as an object (default {})"),
        Param::opt("nodes", Kind::Strings { max: 1000 }, "Node ids or display names; default every clawnode"),
        Param::opt("timeoutMs", Kind::Int { min: 100, max: 600_000 }, "Deadline per node, ms"),
    ],
};

/// One node's answer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeResult {
    /// Node id.
    pub node_id: String,
    /// Display name.
    pub node_name: String,
    /// Whether it answered with a payload.
    pub ok: bool,
    /// The payload as JSON (secret values redacted unless the config reveals them).
    pub payload: Option<Box<RawValue>>,
    /// Why not.
    pub error: Option<String>,
    /// From sending to the answer, ms.
    pub duration_ms: f64,
}

/// The whole result.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Invoked {
    /// The command.
    pub command: String,
    /// Per node, in node order.
    pub results: Vec<NodeResult>,
    /// Nodes asked.
    pub total: usize,
    /// Of which answered.
    pub ok: usize,
    /// Of which failed.
    pub failed: usize,
    /// Usable clawnodes left out because they do not declare the command.
    pub skipped: usize,
    /// Names in `nodes` that several nodes share (all of them were asked).
    pub shared_names: Vec<SharedName>,
    /// What the fan-out saw of the bound on invokes in flight.
    pub fanout: Stats,
}

/// Why the config refuses `command`, if it does.
pub fn refusal(cfg: &Config, command: &str) -> Option<String> {
    if cfg.multi_invoke.deny.iter().any(|d| d == command) {
        return Some(format!("{command} is denied by the operator (multiInvoke.deny)"));
    }
    let class = commands::classify(command);
    if cfg.read_only && class != Class::Read {
        return Some(format!("{command} changes state and the plugin is read-only (readOnly: true)"));
    }
    let allowed = cfg.multi_invoke.allow.iter().any(|a| a == command);
    if command == commands::RUN && !allowed {
        return Some(
            "workload.run is refused here: use claw_deploy, which checks the image, env, volumes and sizes, places \
             the GPUs and records them as held (dryRun: true to plan only)"
                .to_owned(),
        );
    }
    if class == Class::Sensitive && !allowed {
        return Some(format!(
            "{command} is refused fleet-wide: it runs processes, reveals secrets or destroys work. An operator can allow \
             it by adding \"{command}\" to plugins.entries.clawbernetes.config.multiInvoke.allow"
        ));
    }
    None
}

/// Runs the tool.
pub async fn run<H: Host>(p: &Plugin, host: &H, args: &Value) -> Result<Reply<Invoked>, Error> {
    let a = Args::of(args, &DEF)?;
    let command = a.text("command").unwrap_or_default();
    if !commands::is_well_formed(command) {
        return Err(invalid(format!("command {command:?} is not a clawnode command name (like gpu.metrics)")));
    }
    let params = Value::Object(a.object("params").cloned().unwrap_or_default());
    if params.to_string().len() > 64 * 1024 {
        return Err(invalid("params must be at most 64 KB of JSON"));
    }
    let keys = a.strings("nodes");
    if keys.as_ref().is_some_and(Vec::is_empty) {
        return Err(invalid("nodes must name at least one node (an id or a display name); omit it for every clawnode"));
    }
    let timeout = a.int("timeoutMs").unwrap_or(p.config.invoke_timeout_ms);
    if let Some(why) = refusal(&p.config, command) {
        return Err(invalid(why));
    }
    let f = fleet(p, host).await?;
    if f.usable.is_empty() {
        return Err(no_nodes(&f));
    }
    let mut shared_names = Vec::new();
    let targets: Vec<Rc<NodeEntry>> = match &keys {
        Some(keys) => {
            let mut picked: Vec<Rc<NodeEntry>> = Vec::new();
            for k in keys {
                let matched = select(&f, Some(k), "nodes")?;
                shared_names.extend(shared(k, &matched));
                for n in matched {
                    if !picked.iter().any(|p| p.id == n.id) {
                        picked.push(n);
                    }
                }
            }
            picked
        }
        None => f.usable.iter().filter(|n| n.declares(command)).cloned().collect(),
    };
    if targets.is_empty() {
        return Err(Error::Unavailable(format!(
            "no usable clawnode can be sent {command}: none declares it, or the gateway withholds it (a command the \
             nodes declare goes through once it is in gateway.nodes.commands.allow and the nodes reconnected and \
             were approved again)"
        )));
    }
    let skipped = if keys.is_some() { 0 } else { f.usable.len() - targets.len() };
    let reveal = p.config.multi_invoke.reveal_secrets;
    let (results, fanout) = each_node(host, &targets, &p.limiter, timeout, |s| {
        let params = &params;
        async move {
            let node = s.node();
            let start = s.now();
            let res = if node.declares(command) {
                s.call(command, params).await.and_then(|text| {
                    redacted(command, text, reveal).map_err(|e| format!("{command}: payload is not valid JSON: {e}"))
                })
            } else {
                Err(format!(
                    "{command}: the gateway does not let it through to this node (not declared, or not in \
                     gateway.nodes.commands.allow when the node was approved)"
                ))
            };
            let duration_ms = ((s.now() - start) * 10.0).round() / 10.0;
            let (ok, payload, error) = match res {
                Ok(v) => (true, Some(v), None),
                Err(e) => (false, None, Some(e)),
            };
            NodeResult { node_id: node.id.clone(), node_name: node.name.clone(), ok, payload, error, duration_ms }
        }
    })
    .await;
    let ok = results.iter().filter(|r| r.ok).count();
    let out = Invoked {
        command: command.to_owned(),
        total: results.len(),
        ok,
        failed: results.len() - ok,
        skipped,
        results,
        shared_names,
        fanout,
    };
    Ok(Reply { text: text(&out), details: out })
}

fn text(r: &Invoked) -> String {
    let mut t = Text::new();
    let skipped = if r.skipped > 0 { format!(" ({} clawnode(s) do not declare it)", r.skipped) } else { String::new() };
    t.line(format!("{} on {} node(s): {} ok, {} failed{skipped}.", r.command, r.total, r.ok, r.failed));
    shared_lines(&mut t, &r.shared_names, "asked");
    t.list("Failed:", r.results.iter().filter(|n| !n.ok), |n| {
        format!("{}: {}", n.node_name, n.error.as_deref().unwrap_or("?"))
    });
    t.list("Answers (full payloads in details):", r.results.iter().filter(|n| n.ok), |n| {
        let payload = n.payload.as_ref().map_or("", |p| p.get());
        format!("{} ({:.0} ms): {}", n.node_name, n.duration_ms, cut(payload, 160))
    });
    t.finish()
}

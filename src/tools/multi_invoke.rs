//! `claw_multi_invoke {command, params?, nodes?, timeoutMs?}`: one command on many nodes.

use super::Output;
use crate::args::Args;
use crate::commands::{self, Class};
use crate::config::Config;
use crate::fanout::each_node;
use crate::host::{Host, NodeEntry};
use crate::plugin::Plugin;
use crate::redact::redact;
use crate::schema::accepted;
use crate::summary::{cut, Text};
use serde::Serialize;
use serde_json::Value;

/// One node's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct NodeResult {
    node_id: String,
    node_name: String,
    ok: bool,
    payload: Option<Value>,
    error: Option<String>,
    duration_ms: f64,
}

/// The whole result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct Invoked {
    command: String,
    results: Vec<NodeResult>,
    total: usize,
    ok: usize,
    failed: usize,
    /// Connected clawnodes left out because they do not declare the command.
    skipped: usize,
}

/// Why the config refuses `command`, if it does.
pub(crate) fn refusal(cfg: &Config, command: &str) -> Option<String> {
    if cfg.multi_invoke.deny.iter().any(|d| d == command) {
        return Some(format!("{command} is denied by the operator (multiInvoke.deny)"));
    }
    let class = commands::classify(command);
    if cfg.read_only && class != Class::Read {
        return Some(format!("{command} changes state and the plugin is read-only (readOnly: true)"));
    }
    if class == Class::Sensitive && !cfg.multi_invoke.allow.iter().any(|a| a == command) {
        return Some(format!(
            "{command} is refused fleet-wide: it runs processes, reveals secrets or destroys work. An operator can allow \
             it by adding \"{command}\" to plugins.entries.clawbernetes.config.multiInvoke.allow"
        ));
    }
    None
}

pub(super) async fn run<H: Host>(p: &Plugin, host: &H, args: &Value) -> Result<Output, String> {
    let a = Args::of(args, accepted("claw_multi_invoke"))?;
    let command = a.required_text("command", 64)?;
    if !commands::is_well_formed(command) {
        return Err(format!("command {command:?} is not a clawnode command name (like gpu.metrics)"));
    }
    let params = Value::Object(a.object("params")?.cloned().unwrap_or_default());
    if params.to_string().len() > 64 * 1024 {
        return Err("params must be at most 64 KB of JSON".to_owned());
    }
    let keys = a.strings("nodes", 1000)?;
    let timeout = a.whole("timeoutMs", 100, 600_000)?.unwrap_or(p.config.invoke_timeout_ms);
    if let Some(why) = refusal(&p.config, command) {
        return Err(why);
    }
    let fleet = p.fleet(host).await?;
    if fleet.nodes.is_empty() {
        return Err(super::no_nodes(fleet.pending.len()));
    }
    let targets: Vec<NodeEntry> = match &keys {
        Some(keys) => {
            let mut picked: Vec<NodeEntry> = Vec::new();
            for k in keys {
                let n = fleet
                    .nodes
                    .iter()
                    .find(|n| n.is(k))
                    .ok_or_else(|| super::unknown_node(&fleet.nodes, "nodes", k))?;
                if !picked.iter().any(|p| p.id == n.id) {
                    picked.push(n.clone());
                }
            }
            picked
        }
        None => fleet.nodes.iter().filter(|n| n.declares(command)).cloned().collect(),
    };
    if targets.is_empty() {
        return Err(format!("no connected clawnode declares {command}"));
    }
    let skipped = if keys.is_some() { 0 } else { fleet.nodes.len() - targets.len() };
    let reveal = p.config.multi_invoke.reveal_secrets;
    let results = each_node(host, &targets, p.config.max_concurrency, timeout, |s| {
        let params = &params;
        async move {
            let node = s.node();
            let start = s.now();
            let res = if node.declares(command) {
                s.call(command, params).await
            } else {
                Err(format!("{command}: not declared by this node"))
            };
            let duration_ms = ((s.now() - start) * 10.0).round() / 10.0;
            let (ok, payload, error) = match res {
                Ok(mut v) => {
                    if !reveal {
                        redact(command, &mut v);
                    }
                    (true, Some(v), None)
                }
                Err(e) => (false, None, Some(e)),
            };
            NodeResult { node_id: node.id.clone(), node_name: node.name.clone(), ok, payload, error, duration_ms }
        }
    })
    .await;
    let ok = results.iter().filter(|r| r.ok).count();
    let out =
        Invoked { command: command.to_owned(), total: results.len(), ok, failed: results.len() - ok, skipped, results };
    Output::new(text(&out), &out)
}

fn text(r: &Invoked) -> String {
    let mut t = Text::new();
    let skipped = if r.skipped > 0 { format!(" ({} clawnode(s) do not declare it)", r.skipped) } else { String::new() };
    t.line(format!("{} on {} node(s): {} ok, {} failed{skipped}.", r.command, r.total, r.ok, r.failed));
    t.list("Failed:", r.results.iter().filter(|n| !n.ok), |n| {
        format!("{}: {}", n.node_name, n.error.as_deref().unwrap_or("?"))
    });
    t.list("Answers (full payloads in details):", r.results.iter().filter(|n| n.ok), |n| {
        let payload = n.payload.as_ref().map(Value::to_string).unwrap_or_default();
        format!("{} ({:.0} ms): {}", n.node_name, n.duration_ms, cut(&payload, 160))
    });
    t.finish()
}

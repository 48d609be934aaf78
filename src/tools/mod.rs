//! The five tools: validate arguments, list the fleet, fan out, aggregate, and write the
//! result (`content` text for the agent, `details` for everything).

mod deploy;
mod fleet_status;
mod gpu_inventory;
mod multi_invoke;
mod workloads;

use crate::fanout::each_node;
use crate::fleet::probe::{probe, Needs, Report};
use crate::host::{Host, NodeEntry};
use crate::plugin::Plugin;
use crate::schema;
use serde::Serialize;
use serde_json::Value;

/// A tool's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// The compact summary for the agent.
    pub text: String,
    /// The complete structured result, as JSON text (serialised once, straight from the
    /// result types: at fleet scale this is the largest thing the core writes).
    pub details_json: String,
}

impl Output {
    fn new(text: String, details: &impl Serialize) -> Result<Self, String> {
        let details_json = serde_json::to_string(details).map_err(|e| format!("cannot encode the result: {e}"))?;
        Ok(Self { text, details_json })
    }

    /// The result as a tool returns it: `{content: [{type: "text", text}], details}`.
    pub fn to_tool_result(&self) -> String {
        let text = Value::String(self.text.clone());
        format!(r#"{{"content":[{{"type":"text","text":{text}}}],"details":{}}}"#, self.details_json)
    }

    /// The details parsed (for callers that inspect them).
    pub fn details(&self) -> Value {
        serde_json::from_str(&self.details_json).unwrap_or(Value::Null)
    }
}

/// Runs tool `name` with `args`. An `Err` fails the call as a whole; its text says what to fix.
pub async fn call<H: Host>(p: &Plugin, host: &H, name: &str, args: &Value) -> Result<Output, String> {
    let out = match name {
        "claw_fleet_status" => fleet_status::run(p, host, args).await,
        "claw_gpu_inventory" => gpu_inventory::run(p, host, args).await,
        "claw_deploy" => deploy::run(p, host, args).await,
        "claw_workloads" => workloads::run(p, host, args).await,
        "claw_multi_invoke" => multi_invoke::run(p, host, args).await,
        _ => Err(format!("unknown tool; the tools are {}", schema::TOOL_NAMES.join(", "))),
    };
    if host.cancelled() {
        return Err("aborted: the call was cancelled before all nodes answered".to_owned());
    }
    out.map_err(|e| format!("{name}: {e}"))
}

/// Asks every node in `nodes` for `needs`, concurrently within the configured bound.
pub(crate) async fn probe_all<H: Host>(p: &Plugin, host: &H, nodes: &[NodeEntry], needs: Needs) -> Vec<Report> {
    let cfg = &p.config;
    each_node(host, nodes, cfg.max_concurrency, cfg.invoke_timeout_ms, |s| probe(s, &p.facts, needs)).await
}

/// The connected clawnodes selected by `key` (id or display name); all when `None`.
pub(crate) fn select(nodes: &[NodeEntry], key: Option<&str>, field: &str) -> Result<Vec<NodeEntry>, String> {
    let Some(key) = key else { return Ok(nodes.to_vec()) };
    let picked: Vec<NodeEntry> = nodes.iter().filter(|n| n.is(key)).cloned().collect();
    if picked.is_empty() {
        return Err(unknown_node(nodes, field, key));
    }
    Ok(picked)
}

/// The error for a node key that names no connected clawnode.
pub(crate) fn unknown_node(nodes: &[NodeEntry], field: &str, key: &str) -> String {
    let names: Vec<&str> = nodes.iter().take(10).map(|n| n.name.as_str()).collect();
    let more = nodes.len().saturating_sub(10);
    let tail = if more > 0 { format!(", …and {more} more") } else { String::new() };
    if nodes.is_empty() {
        format!("{field} {key:?} names no connected clawnode (none is connected)")
    } else {
        format!("{field} {key:?} names no connected clawnode; connected: {}{tail}", names.join(", "))
    }
}

/// The error when an action needs nodes and none is connected.
pub(crate) fn no_nodes(pending: usize) -> String {
    if pending > 0 {
        format!(
            "no clawnode is connected and approved; {pending} node(s) wait for approval (openclaw nodes pending, then openclaw nodes approve <requestId>)"
        )
    } else {
        "no clawnode is connected to the gateway".to_owned()
    }
}

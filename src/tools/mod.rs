//! The five tools. Each file defines one tool once — its [`args::Def`] (name, schema, accepted
//! keys, limits), its typed arguments and its run — and returns a typed result; [`call`]
//! dispatches by name and serialises the result once, at the boundary.

pub mod args;
pub mod deploy;
pub mod fleet_status;
pub mod gpu_inventory;
pub mod multi_invoke;
pub mod workloads;

use crate::error::{invalid, Error};
use crate::fleet::SharedName;
use crate::io::host::Host;
use crate::node::entry::NodeEntry;
use crate::plugin::{Fleet, Plugin};
use crate::summary::Text;
use serde::Serialize;
use serde_json::Value;
use std::rc::Rc;

/// Every tool, in the order they are registered.
pub const TOOLS: [&args::Def; 5] =
    [&fleet_status::DEF, &gpu_inventory::DEF, &deploy::DEF, &workloads::DEF, &multi_invoke::DEF];

/// A tool's typed result: the compact summary for the agent and the complete details.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply<T> {
    /// `content` text: problems and totals first, a few KB at most whatever the fleet size.
    pub text: String,
    /// `details`: everything, camelCase once serialised.
    pub details: T,
}

/// A tool's result, serialised for the host.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// The compact summary for the agent.
    pub text: String,
    /// The result as a tool returns it, `{content: [{type: "text", text}], details}`, as JSON
    /// text: written once, straight from the result types (at fleet scale the details are
    /// the largest thing the core writes, and a second copy of them would be its peak memory).
    result: String,
    /// Where the details start in `result` (they end before its closing brace).
    details_at: usize,
}

impl Output {
    /// Serialises a typed reply.
    pub fn of<T: Serialize>(r: Reply<T>) -> Result<Self, Error> {
        let failed = |e: serde_json::Error| Error::Internal(format!("cannot encode the result: {e}"));
        let mut buf = Vec::with_capacity(ENCODE_START_BYTES);
        buf.extend_from_slice(br#"{"content":[{"type":"text","text":"#);
        serde_json::to_writer(&mut buf, &r.text).map_err(failed)?;
        buf.extend_from_slice(br#"}],"details":"#);
        let details_at = buf.len();
        serde_json::to_writer(&mut buf, &r.details).map_err(failed)?;
        buf.push(b'}');
        let result = String::from_utf8(buf).map_err(|e| Error::Internal(format!("cannot encode the result: {e}")))?;
        Ok(Self { text: r.text, result, details_at })
    }

    /// The result as a tool returns it: `{content: [{type: "text", text}], details}`.
    pub fn tool_result(&self) -> &str {
        &self.result
    }

    /// The details alone, as JSON text.
    pub fn details_json(&self) -> &str {
        self.result.get(self.details_at..self.result.len().saturating_sub(1)).unwrap_or_default()
    }
}

/// Serialises a result once, into a buffer sized for it up front (at fleet scale the details
/// are megabytes, and growing the buffer step by step copies them again and again).
pub fn encode<T: Serialize>(t: &T) -> Result<String, Error> {
    let mut buf = Vec::with_capacity(ENCODE_START_BYTES);
    serde_json::to_writer(&mut buf, t).map_err(|e| Error::Internal(format!("cannot encode the result: {e}")))?;
    String::from_utf8(buf).map_err(|e| Error::Internal(format!("cannot encode the result: {e}")))
}

/// The first buffer `encode` writes into.
const ENCODE_START_BYTES: usize = 64 * 1024;

/// Runs tool `name` with `args`. An `Err` fails the call as a whole; its text says what to fix.
pub async fn call<H: Host>(p: &Plugin, host: &H, name: &str, args: &Value) -> Result<Output, Error> {
    let out = match name {
        n if n == fleet_status::DEF.name => fleet_status::run(p, host, args).await.and_then(Output::of),
        n if n == gpu_inventory::DEF.name => gpu_inventory::run(p, host, args).await.and_then(Output::of),
        n if n == deploy::DEF.name => deploy::run(p, host, args).await.and_then(Output::of),
        n if n == workloads::DEF.name => workloads::run(p, host, args).await.and_then(Output::of),
        n if n == multi_invoke::DEF.name => multi_invoke::run(p, host, args).await.and_then(Output::of),
        _ => {
            let names: Vec<&str> = TOOLS.iter().map(|t| t.name).collect();
            Err(invalid(format!("unknown tool; the tools are {}", names.join(", "))))
        }
    };
    if host.cancelled() {
        return Err(Error::Unavailable(format!("{name}: aborted: the call was cancelled before all nodes answered")));
    }
    out.map_err(|e| e.within(name))
}

/// Lists the fleet, as every tool does first.
pub(crate) async fn fleet<H: Host>(p: &Plugin, host: &H) -> Result<Fleet, Error> {
    p.fleet(host).await.map_err(Error::Unavailable)
}

/// The usable clawnodes that `key` names: its id, or its display name in any case — every
/// node that carries the name, since display names are not unique; all when `None`.
pub(crate) fn select(fleet: &Fleet, key: Option<&str>, field: &str) -> Result<Vec<Rc<NodeEntry>>, Error> {
    let Some(key) = key else { return Ok(fleet.usable.clone()) };
    let picked: Vec<Rc<NodeEntry>> = fleet.usable.iter().filter(|n| n.is(key)).cloned().collect();
    if picked.is_empty() {
        return Err(unknown_node(fleet, field, key));
    }
    Ok(picked)
}

/// The shared-name note for `key` when it selected several nodes.
pub(crate) fn shared(key: &str, picked: &[Rc<NodeEntry>]) -> Option<SharedName> {
    (picked.len() > 1)
        .then(|| SharedName { name: key.to_owned(), node_ids: picked.iter().map(|n| n.id.clone()).collect() })
}

/// One line per shared name: every node that carries it was `done` (asked, listed).
pub(crate) fn shared_lines(t: &mut Text, names: &[SharedName], done: &str) {
    for s in names {
        t.line(format!(
            "{:?} is the display name of {} nodes, so all of them were {done} (ids: {}).",
            s.name,
            s.node_ids.len(),
            s.node_ids.join(", ")
        ));
    }
}

/// The one usable clawnode `key` names; a display name several nodes share is refused with
/// their ids.
pub(crate) fn select_one(fleet: &Fleet, key: &str, field: &str) -> Result<Rc<NodeEntry>, Error> {
    let mut picked = select(fleet, Some(key), field)?;
    if picked.len() > 1 {
        let ids: Vec<String> = picked.iter().map(|n| format!("{:?}", n.id)).collect();
        return Err(invalid(format!(
            "{field} {key:?} is the display name of {} nodes; name one by its id: {}",
            picked.len(),
            ids.join(", ")
        )));
    }
    picked.pop().ok_or_else(|| unknown_node(fleet, field, key))
}

/// The error for a node key that names no usable clawnode.
pub(crate) fn unknown_node(fleet: &Fleet, field: &str, key: &str) -> Error {
    if let Some((n, why)) = fleet.connected_unusable().find(|(n, _)| n.is(key)) {
        return invalid(format!("{field} {key:?} names {}, which the plugin cannot use: {why}", n.name));
    }
    let names: Vec<&str> = fleet.usable.iter().take(10).map(|n| n.name.as_str()).collect();
    let more = fleet.usable.len().saturating_sub(10);
    let tail = if more > 0 { format!(", …and {more} more") } else { String::new() };
    if fleet.usable.is_empty() {
        invalid(format!("{field} {key:?} names no usable clawnode (none is usable)"))
    } else {
        invalid(format!("{field} {key:?} names no connected clawnode; connected: {}{tail}", names.join(", ")))
    }
}

/// The connected clawnodes a fleet-wide read could not ask, as failed nodes with the reason and
/// the fix (none when `node_key` narrowed the read to chosen nodes).
pub(crate) fn unusable_failed(fleet: &Fleet, node_key: Option<&str>) -> Vec<crate::fleet::FailedNode> {
    if node_key.is_some() {
        return Vec::new();
    }
    fleet.connected_unusable().map(|(n, why)| crate::fleet::FailedNode::new(n, why)).collect()
}

/// The error when an action needs nodes and none is usable: says whether none is connected
/// at all, or which connected ones the gateway keeps from the plugin and why.
pub(crate) fn no_nodes(fleet: &Fleet) -> Error {
    let unusable: Vec<String> =
        fleet.connected_unusable().take(5).map(|(n, why)| format!("{}: {why}", n.name)).collect();
    if unusable.is_empty() {
        return Error::Unavailable("no clawnode is connected to the gateway".to_owned());
    }
    let n = fleet.connected_unusable().count();
    Error::Unavailable(format!(
        "{n} clawnode(s) are connected but none can be used: {}",
        crate::summary::cut(&unusable.join(" | "), 1500)
    ))
}

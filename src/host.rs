//! The only way out of the core: listing nodes, invoking commands, time, logging.
//!
//! The wasm layer implements [`Host`] over the gateway (in-process `api.runtime.nodes` or
//! HTTP); native tests implement it over fixtures.

use serde_json::Value;
use std::rc::Rc;

/// A node as the gateway lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeEntry {
    /// Stable node id (hash of the node's device key).
    pub id: String,
    /// Display name (the node's hostname for a clawnode).
    pub name: String,
    /// Whether the node holds a live connection now.
    pub connected: bool,
    /// Commands the node declared and the gateway lets through (shared: entries are cloned
    /// into every report of a fan-out).
    pub commands: Rc<[String]>,
    /// Whether the node's command surface still waits for an operator's approval.
    pub pending_approval: bool,
}

/// Commands every clawnode declares; a node declaring both is part of the fleet.
pub const CLAWNODE_MARKERS: [&str; 2] = ["node.health", "node.capabilities"];

impl NodeEntry {
    /// Whether the node declares `command`.
    pub fn declares(&self, command: &str) -> bool {
        self.commands.iter().any(|c| c == command)
    }

    /// Whether `key` names this node: its id, or its display name in any case.
    pub fn is(&self, key: &str) -> bool {
        self.id == key || self.name.eq_ignore_ascii_case(key)
    }

    /// Whether `filter` selects this node: its id, or part of its display name in any case.
    pub fn matches(&self, filter: &str) -> bool {
        self.id == filter || self.name.to_lowercase().contains(&filter.to_lowercase())
    }

    /// Whether this is a clawnode (phones, desktops and other nodes are not).
    pub fn is_clawnode(&self) -> bool {
        CLAWNODE_MARKERS.iter().all(|c| self.declares(c))
    }
}

/// Why an invoke gave no payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The reason, ready to show (`UNAVAILABLE: node not connected`).
    pub message: String,
    /// Whether the node itself answered with an error (it is alive and serving), as opposed
    /// to a timeout, a disconnect or a transport error.
    pub node_answered: bool,
}

impl Failure {
    /// A failure where the node did not answer.
    pub fn unreachable(message: impl Into<String>) -> Self {
        Self { message: message.into(), node_answered: false }
    }
}

/// How loud a log line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Routine detail.
    Debug,
    /// Something got better or happened as planned.
    Info,
    /// Something got worse.
    Warn,
    /// Something failed.
    Error,
}

/// The host the core runs in. Futures are `!Send`: the core runs on one thread.
#[allow(async_fn_in_trait)]
pub trait Host {
    /// Lists every node the gateway knows, connected or not.
    async fn list_nodes(&self) -> Result<Vec<NodeEntry>, String>;
    /// Invokes `command` on one node; the host enforces `timeout_ms` from the moment the
    /// invoke is sent (the core also gives up a little later, should the host never answer).
    async fn invoke(&self, node_id: &str, command: &str, params: &Value, timeout_ms: u64) -> Result<Value, Failure>;
    /// Resolves after `ms` milliseconds on the host's timer.
    async fn sleep(&self, ms: u64);
    /// Milliseconds since the epoch.
    fn now_ms(&self) -> f64;
    /// Whether the caller gave up (the tool call's abort signal).
    fn cancelled(&self) -> bool {
        false
    }
    /// Writes one log line.
    fn log(&self, level: Level, message: &str);
    /// Reports progress of a long fan-out (`onUpdate`), when the caller listens.
    fn progress(&self, _done: usize, _total: usize) {}
    /// Broadcasts a gateway event to operators (the monitor's transitions).
    fn emit(&self, _event: &str, _payload: &Value) {}
}

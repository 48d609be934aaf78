//! The only way out of the core: listing nodes, invoking commands, time, logging, the
//! plugin's state store and the agent's system events.
//!
//! The wasm layer implements [`Host`] over the gateway (in-process `api.runtime.nodes` or
//! HTTP); native tests implement it over fixtures.

use crate::node::entry::NodeEntry;
use serde_json::Value;
use std::rc::Rc;

/// Why an invoke gave no payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The node answered with an error, or with output that cannot be read: it is alive, and
    /// its other commands are still worth asking.
    NodeError,
    /// The node gave no answer: timed out, not connected, or the call was aborted.
    Silent,
    /// The host refused for now (its worker pool is full, or it marked the error retryable,
    /// e.g. `PAIRING_CHANGED` before dispatch): not the node's failure; retried.
    Backpressure,
}

/// Why an invoke gave no payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The reason, ready to show (`UNAVAILABLE: node not connected`).
    pub message: String,
    /// What kind of failure it is.
    pub kind: FailureKind,
    /// How long the host asked to wait before retrying, when it said.
    pub retry_after_ms: Option<u64>,
}

impl Failure {
    /// A failure of `kind`.
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Self { message: message.into(), kind, retry_after_ms: None }
    }

    /// A failure where the node did not answer.
    pub fn silent(message: impl Into<String>) -> Self {
        Self::new(FailureKind::Silent, message)
    }

    /// A failure the node itself answered.
    pub fn node(message: impl Into<String>) -> Self {
        Self::new(FailureKind::NodeError, message)
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
    /// Lists every node the gateway knows, connected or not (entries shared, not copied, by
    /// every report of a call).
    async fn list_nodes(&self) -> Result<Vec<Rc<NodeEntry>>, String>;
    /// Invokes `command` on one node and returns its payload as JSON text (at most
    /// `io::transport::MAX_PAYLOAD_BYTES`); the host enforces `timeout_ms` from the moment the
    /// invoke is sent (the core also gives up a little later, should the host never answer).
    async fn invoke(&self, node_id: &str, command: &str, params: &Value, timeout_ms: u64) -> Result<String, Failure>;
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
    /// Reports progress of a long call (`onUpdate`), when the caller listens.
    fn progress(&self, _text: &str, _details: &Value) {}
    /// Broadcasts a gateway event to operators (the monitor's transitions).
    fn emit(&self, _event: &str, _payload: &Value) {}
    /// Reads `key` from the plugin's state store; `Err` when there is no store.
    async fn load(&self, _key: &str) -> Result<Option<String>, String> {
        Err("this host offers no state store".to_owned())
    }
    /// Writes `key` to the plugin's state store; `Err` when there is no store or it refused.
    async fn save(&self, _key: &str, _value: &str) -> Result<(), String> {
        Err("this host offers no state store".to_owned())
    }
    /// Whether the host can hand the agent system events; `Err` says why not.
    fn can_notify_agent(&self) -> Result<(), String> {
        Err("this host offers no system events (api.runtime.system.enqueueSystemEvent)".to_owned())
    }
    /// Hands the agent a system event and asks for a heartbeat so it reads it; `Err` says why
    /// the host could not.
    fn notify_agent(&self, _text: &str) -> Result<(), String> {
        self.can_notify_agent()
    }
}

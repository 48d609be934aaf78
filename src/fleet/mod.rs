//! Pure aggregation of what many nodes said and the verdict on each: fleet status, GPU
//! inventory, workloads.

pub mod inventory;
pub mod status;
pub mod workloads;

use crate::assess::{Assessment, Report};
use crate::node::entry::NodeEntry;
use serde::Serialize;

/// One node's report and the verdict on it.
#[derive(Debug, Clone)]
pub struct Checked {
    /// What the node said.
    pub report: Report,
    /// The one assessment of it.
    pub verdict: Assessment,
}

/// A node that failed during a call, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedNode {
    /// Node id.
    pub node_id: String,
    /// Display name.
    pub node_name: String,
    /// The reason, as the node or the gateway gave it.
    pub error: String,
}

impl FailedNode {
    /// The failure of `node` with `error`.
    pub fn new(node: &NodeEntry, error: &str) -> Self {
        Self { node_id: node.id.clone(), node_name: node.name.clone(), error: error.to_owned() }
    }
}

/// What one fan-out saw of the bound, reported in tool `details.fanout`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FanoutStats {
    /// The bound when the fan-out ended.
    pub limit: usize,
    /// Most invokes in flight at once.
    pub peak_in_flight: usize,
    /// Invokes sent again: after the host refused them for now, or a read asked once more after
    /// a third of its deadline went unanswered (a gateway under load can drop a node's answer).
    pub retries: u64,
    /// Refusals for overload (the host's worker pool was full).
    pub overloaded: u64,
}

/// A display name that selected several nodes (display names are not unique).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SharedName {
    /// The name given.
    pub name: String,
    /// Every node that carries it, all of them selected.
    pub node_ids: Vec<String>,
}

/// Rounds to two decimals, for numbers shown to people.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

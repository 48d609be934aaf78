//! Pure aggregation of what many nodes said: fleet status, GPU inventory, workloads.

pub mod inventory;
pub mod probe;
pub mod status;
pub mod workloads;

use crate::host::NodeEntry;
use serde::Serialize;

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

/// A node named in a result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeRef {
    /// Node id.
    pub node_id: String,
    /// Display name.
    pub node_name: String,
}

impl From<&NodeEntry> for NodeRef {
    fn from(n: &NodeEntry) -> Self {
        Self { node_id: n.id.clone(), node_name: n.name.clone() }
    }
}

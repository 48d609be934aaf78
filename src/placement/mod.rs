//! Where `claw_deploy` runs a workload: filter, score, explain (pure). Every resource the
//! request names is a filter; scoring only ranks the nodes that can run it.

mod filter;
mod score;

use crate::fleet::{round2, Checked};
use crate::holds::HeldBy;
use serde::Serialize;

/// Free disk a node needs on the filesystem holding its container runtime's data (images
/// and layers are large): 10 GB, as the rejection says.
pub const MIN_FREE_DISK_BYTES: f64 = 10e9;
/// Memory a node keeps free beyond the request, as a share of the request.
pub const MEMORY_HEADROOM: f64 = 0.10;

/// How to rank feasible nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum Strategy {
    /// Fill nodes up: prefer the node whose free GPUs the request fits most tightly.
    #[default]
    Binpack,
    /// Spread out: prefer the node with the most free capacity.
    Spread,
}

impl Strategy {
    /// The strategy's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Binpack => "binpack",
            Strategy::Spread => "spread",
        }
    }
}

/// What the workload needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Request {
    /// GPUs asked for (`workload.run {gpus}`; which devices that binds depends on the runtime).
    pub gpus: u32,
    /// Memory limit, MB.
    pub memory_mb: Option<f64>,
    /// CPUs (`docker run --cpus`: at most the node's CPU count).
    pub cpu: Option<f64>,
    /// Part of the GPU model name, any case.
    pub gpu_model: Option<String>,
    /// Least VRAM per GPU, MB.
    pub min_vram_mb: Option<f64>,
    /// The node id to use when it can host the request (already resolved from id or name).
    pub prefer_node: Option<String>,
    /// Ranking.
    pub strategy: Strategy,
    /// Only a plan is wanted and nothing will ever run (`readOnly`): a node the gateway does not
    /// let `workload.run` through to still counts.
    pub plan_only: bool,
}

/// A node that can host the request, with its score.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    /// Node id.
    pub node_id: String,
    /// Display name.
    pub node_name: String,
    /// Higher is better.
    pub score: f64,
    /// Whether it is the operator's `preferNode`.
    pub preferred: bool,
    /// The GPU indices the container would bind there.
    pub gpus: Vec<u32>,
    /// How the score was made, for a person.
    pub why: String,
}

/// A node that cannot host the request, and every reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rejection {
    /// Node id.
    pub node_id: String,
    /// Display name.
    pub node_name: String,
    /// Every filter the node failed.
    pub reasons: Vec<String>,
    /// Its GPUs held by containers the plugin started (`[]`, and left out, when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<HeldGpu>,
}

/// A GPU a container the plugin started holds, and which container.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldGpu {
    /// Device index.
    pub index: u32,
    /// The container (id, name, when it was started).
    pub held_by: HeldBy,
}

/// Candidates best first, and the rejected nodes.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// Feasible nodes, best first.
    pub candidates: Vec<Candidate>,
    /// Infeasible nodes, by name.
    pub rejected: Vec<Rejection>,
}

/// Filters and ranks the checked nodes of one fan-out for `req`.
pub fn plan(nodes: &[Checked], req: &Request) -> Plan {
    let mut p = Plan::default();
    let max_gpus = nodes.iter().map(|c| c.verdict.gpus.len()).max().unwrap_or(0).max(1);
    for c in nodes {
        let node = &c.report.node;
        match filter::admit(c, req) {
            Ok(gpus) => {
                let (score, why) = score::score(c, req, max_gpus);
                p.candidates.push(Candidate {
                    node_id: node.id.clone(),
                    node_name: node.name.clone(),
                    score: round2(score),
                    preferred: req.prefer_node.as_deref() == Some(node.id.as_str()),
                    gpus,
                    why,
                });
            }
            Err(reasons) => {
                let held = c
                    .verdict
                    .gpus
                    .iter()
                    .filter_map(|g| g.held_by().map(|h| HeldGpu { index: g.index, held_by: h.clone() }))
                    .collect();
                p.rejected.push(Rejection { node_id: node.id.clone(), node_name: node.name.clone(), reasons, held })
            }
        }
    }
    p.candidates.sort_by(|a, b| {
        b.preferred
            .cmp(&a.preferred)
            .then(b.score.total_cmp(&a.score))
            .then_with(|| a.node_name.cmp(&b.node_name))
            .then_with(|| a.node_id.cmp(&b.node_id))
    });
    p.rejected.sort_by(|a, b| a.node_name.cmp(&b.node_name).then_with(|| a.node_id.cmp(&b.node_id)));
    p
}

//! Asks one node what a tool needs, in as few invokes as it can: static facts from the
//! cache, then only what changes.

use crate::facts::{Cache, Facts};
use crate::fanout::Session;
use crate::host::{Host, NodeEntry};
use crate::node::gpu::{self, Metric};
use crate::node::health::{self, Health};
use crate::node::workload::{self, Container};
use serde_json::json;
use std::rc::Rc;

/// What a tool needs to know of each node.
#[derive(Debug, Clone, Copy, Default)]
pub struct Needs {
    /// Static facts (capabilities, GPU list).
    pub facts: bool,
    /// `node.health`.
    pub health: bool,
    /// `gpu.metrics` (only asked of nodes that have GPUs).
    pub metrics: bool,
    /// `workload.list`.
    pub containers: bool,
}

/// What one node said; `None` where it was not asked (or an earlier answer made asking moot).
#[derive(Debug, Clone)]
pub struct Report {
    /// The node.
    pub node: NodeEntry,
    /// Static facts.
    pub facts: Option<Result<Rc<Facts>, String>>,
    /// Health numbers.
    pub health: Option<Result<Health, String>>,
    /// GPU metrics.
    pub metrics: Option<Result<Vec<Metric>, String>>,
    /// Containers.
    pub containers: Option<Result<Vec<Container>, String>>,
}

impl Report {
    /// Why the node cannot be used at all (its facts or health failed), if so.
    pub fn fatal(&self) -> Option<&str> {
        match (&self.facts, &self.health) {
            (Some(Err(e)), _) | (_, Some(Err(e))) => Some(e),
            _ => None,
        }
    }

    /// The facts, when fetched.
    pub fn facts(&self) -> Option<&Facts> {
        self.facts.as_ref().and_then(|f| f.as_ref().ok()).map(|f| f.as_ref())
    }

    /// The health, when fetched.
    pub fn health(&self) -> Option<&Health> {
        self.health.as_ref().and_then(|h| h.as_ref().ok())
    }

    /// The metrics, when fetched.
    pub fn metrics(&self) -> Option<&[Metric]> {
        self.metrics.as_ref().and_then(|m| m.as_ref().ok()).map(Vec::as_slice)
    }
}

/// Asks one node for `needs`.
pub async fn probe<H: Host>(s: Session<'_, H>, cache: &Cache, needs: Needs) -> Report {
    let mut r = Report { node: s.node().clone(), facts: None, health: None, metrics: None, containers: None };
    let facts = if needs.facts || needs.metrics {
        let f = cache.get(&s).await;
        let ok = f.as_ref().ok().cloned();
        r.facts = Some(f);
        match ok {
            Some(f) => Some(f),
            None => return r,
        }
    } else {
        None
    };
    if needs.health {
        let h = s.call("node.health", &json!({})).await.and_then(|v| health::parse(&v));
        if let (Ok(h), Some(f)) = (&h, &facts) {
            if h.gpu_count as usize != f.gpu_count() {
                cache.forget(s.node_id());
            }
        }
        let failed = h.is_err();
        r.health = Some(h);
        if failed {
            return r;
        }
    }
    if needs.containers && s.declares("workload.list") {
        r.containers = Some(s.call("workload.list", &json!({})).await.and_then(|v| workload::parse_list(&v)));
    }
    if let Some(gpus) = facts.as_ref().map(|f| f.gpu_count()).filter(|&n| needs.metrics && n > 0) {
        let metrics = s.call("gpu.metrics", &json!({})).await.and_then(|v| gpu::parse_metrics(&v));
        r.metrics = Some(metrics.and_then(|m| covering(m, gpus)));
    }
    r
}

/// The metrics when they cover GPUs `0..gpus` once each; otherwise counting from them would
/// show missing GPUs as absent and repeated ones twice.
fn covering(metrics: Vec<Metric>, gpus: usize) -> Result<Vec<Metric>, String> {
    let mut seen: Vec<u32> = metrics.iter().map(|m| m.index).collect();
    seen.sort_unstable();
    if seen.iter().copied().eq(0..gpus as u32) {
        return Ok(metrics);
    }
    let last = gpus.saturating_sub(1);
    Err(format!("gpu.metrics: reports GPU indices {seen:?} but the node has GPUs 0..={last}"))
}

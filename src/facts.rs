//! Static node facts — capabilities and the GPU list — fetched once and reused until they
//! expire, so a tool call asks each node only for what changes.

use crate::fanout::Session;
use crate::host::Host;
use crate::node::{caps, gpu};
use serde_json::json;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// What does not change while a node runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    /// `node.capabilities`.
    pub caps: caps::Capabilities,
    /// `gpu.list` (empty for a node without GPUs).
    pub gpus: Vec<gpu::Gpu>,
    /// When they were fetched (ms since epoch).
    pub fetched_at: f64,
}

impl Facts {
    /// The model name of GPU `index`.
    pub fn gpu_name(&self, index: u32) -> &str {
        self.gpus
            .iter()
            .find(|g| g.index == index)
            .map(|g| g.name.as_str())
            .or_else(|| self.caps.gpus.iter().find(|g| g.index == index).map(|g| g.name.as_str()))
            .unwrap_or("unknown GPU")
    }

    /// The VRAM of GPU `index` in MB (0 when the node does not say).
    pub fn gpu_vram_mb(&self, index: u32) -> f64 {
        self.gpus
            .iter()
            .find(|g| g.index == index)
            .map(|g| g.memory_total_mb)
            .or_else(|| self.caps.gpus.iter().find(|g| g.index == index).map(|g| g.memory_mb))
            .unwrap_or(0.0)
    }

    /// Number of GPUs the node has.
    pub fn gpu_count(&self) -> usize {
        self.caps.gpus.len().max(self.gpus.len())
    }
}

/// Facts per node id, each reused for `ttl_ms`.
#[derive(Debug, Default)]
pub struct Cache {
    ttl_ms: f64,
    by_node: RefCell<HashMap<String, Rc<Facts>>>,
}

impl Cache {
    /// An empty cache whose entries live `ttl_ms`.
    pub fn new(ttl_ms: u64) -> Self {
        Self { ttl_ms: ttl_ms as f64, by_node: RefCell::default() }
    }

    /// The node's facts if fresh at `now`.
    pub fn fresh(&self, node_id: &str, now: f64) -> Option<Rc<Facts>> {
        self.by_node.borrow().get(node_id).filter(|f| now - f.fetched_at < self.ttl_ms).cloned()
    }

    /// Forgets a node's facts (its GPU count changed, or it went away).
    pub fn forget(&self, node_id: &str) {
        self.by_node.borrow_mut().remove(node_id);
    }

    /// Keeps only the nodes in `ids` (the others left the fleet).
    pub fn retain(&self, ids: &[&str]) {
        self.by_node.borrow_mut().retain(|k, _| ids.contains(&k.as_str()));
    }

    /// The node's facts, fetched through `session` when missing or stale.
    pub async fn get<H: Host>(&self, session: &Session<'_, H>) -> Result<Rc<Facts>, String> {
        let now = session.now();
        if let Some(f) = self.fresh(session.node_id(), now) {
            return Ok(f);
        }
        let caps = caps::parse(&session.call("node.capabilities", &json!({})).await?)?;
        let gpus = if caps.gpus.is_empty() || !session.declares("gpu.list") {
            Vec::new()
        } else {
            gpu::parse_list(&session.call("gpu.list", &json!({})).await?)?
        };
        let facts = Rc::new(Facts { caps, gpus, fetched_at: now });
        self.by_node.borrow_mut().insert(session.node_id().to_owned(), Rc::clone(&facts));
        Ok(facts)
    }
}

//! The static-facts cache: `node.capabilities` and `gpu.list` fetched once per node and reused
//! until they expire, so a tool call asks each node only for what changes.

use super::fanout::Session;
use super::host::Host;
use crate::node::facts::Facts;
use crate::node::{caps, gpu};
use serde_json::json;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

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
        let mut by_node = self.by_node.borrow_mut();
        let keep: std::collections::HashSet<&str> = ids.iter().copied().collect();
        by_node.retain(|k, _| keep.contains(k.as_str()));
    }

    /// The node's facts, fetched through `session` when missing or stale.
    pub async fn get<H: Host>(&self, session: &Session<'_, H>) -> Result<Rc<Facts>, String> {
        let now = session.now();
        let id = &session.node().id;
        if let Some(f) = self.fresh(id, now) {
            return Ok(f);
        }
        let caps = caps::parse(&session.call("node.capabilities", &json!({})).await?)?;
        let mut dropped = caps.dropped;
        let gpus = if caps.value.gpus.is_empty() || !session.node().declares("gpu.list") {
            Vec::new()
        } else {
            let list = gpu::parse_list(&session.call("gpu.list", &json!({})).await?)?;
            dropped.extend(list.dropped);
            list.value
        };
        let facts = Rc::new(Facts { caps: caps.value, gpus, dropped, fetched_at: now });
        self.by_node.borrow_mut().insert(id.clone(), Rc::clone(&facts));
        Ok(facts)
    }
}

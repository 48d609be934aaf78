//! GPUs `claw_deploy` just placed work on, remembered until the node's metrics show them busy
//! (or a while passes), so two quick deploys do not pick the same GPUs.

use std::cell::RefCell;

/// How long a placement is remembered when the metrics never show it.
pub const HOLD_MS: f64 = 120_000.0;

#[derive(Debug, Clone)]
struct Hold {
    node_id: String,
    gpus: u32,
    at: f64,
}

/// Recent placements.
#[derive(Debug, Default)]
pub struct Ledger {
    holds: RefCell<Vec<Hold>>,
}

impl Ledger {
    /// Remembers that GPUs `0..gpus` of `node_id` were just given work.
    pub fn hold(&self, node_id: &str, gpus: u32, now: f64) {
        if gpus > 0 {
            self.holds.borrow_mut().push(Hold { node_id: node_id.to_owned(), gpus, at: now });
        }
    }

    /// How many leading GPUs (`0..n`) of `node_id` are held at `now`; expired holds are dropped.
    pub fn held(&self, node_id: &str, now: f64) -> u32 {
        let mut holds = self.holds.borrow_mut();
        holds.retain(|h| now - h.at < HOLD_MS);
        holds.iter().filter(|h| h.node_id == node_id).map(|h| h.gpus).max().unwrap_or(0)
    }

    /// Forgets the holds on `node_id` once its metrics show GPUs `0..busy` busy.
    pub fn settle(&self, node_id: &str, busy_prefix: u32) {
        self.holds.borrow_mut().retain(|h| h.node_id != node_id || h.gpus > busy_prefix);
    }
}

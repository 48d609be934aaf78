//! GPUs `claw_deploy` just placed work on, remembered until the node's metrics show them busy
//! (or a while passes), so two quick deploys do not pick the same GPUs.

use crate::node::gpu::Metric;
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

    /// Forgets the holds on `node_id` that its metrics now show as busy GPUs: from then on
    /// the metrics speak for them (and free them when the work ends).
    pub fn settle(&self, node_id: &str, metrics: &[Metric]) {
        let busy = (0u32..).take_while(|i| metrics.iter().any(|m| m.index == *i && !m.looks_free())).count() as u32;
        self.holds.borrow_mut().retain(|h| h.node_id != node_id || h.gpus > busy);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gpu(index: u32, used: f64) -> Metric {
        Metric {
            index,
            uuid: String::new(),
            utilization_percent: 0.0,
            memory_used_mb: used,
            memory_total_mb: 81559.0,
            temperature_c: 40.0,
            power_draw_w: None,
            power_limit_w: None,
        }
    }

    #[test]
    fn holds_last_until_the_metrics_show_the_work_or_they_expire() {
        let l = Ledger::default();
        l.hold("a", 2, 0.0);
        assert_eq!(l.held("a", 1000.0), 2);
        assert_eq!(l.held("b", 1000.0), 0);
        l.settle("a", &[gpu(0, 40000.0), gpu(1, 1.0)]);
        assert_eq!(l.held("a", 1000.0), 2, "only GPU 0 shows work: the hold on 0..2 stays");
        l.settle("a", &[gpu(0, 40000.0), gpu(1, 30000.0)]);
        assert_eq!(l.held("a", 1000.0), 0, "both show work: the metrics take over");
        l.hold("a", 1, 0.0);
        assert_eq!(l.held("a", HOLD_MS), 0, "expired");
    }
}

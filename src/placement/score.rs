//! How feasible nodes rank: fit of the request to the free GPUs (`binpack`) or free capacity
//! left (`spread`), plus memory headroom, minus load, running containers, GPU heat and a
//! degraded state.

use super::{Request, Strategy};
use crate::assess::State;
use crate::fleet::Checked;
use crate::node::workload;

/// The node's score (higher is better) and how it was made.
pub fn score(c: &Checked, req: &Request, max_gpus: usize) -> (f64, String) {
    let (r, v) = (&c.report, &c.verdict);
    let free = v.gpus_free();
    let gpu_count = v.gpus.len();
    let need = req.gpus as usize;
    let fit = match (req.strategy, need) {
        (Strategy::Binpack, 0) => {
            if gpu_count == 0 {
                50.0
            } else {
                0.0
            }
        }
        (Strategy::Binpack, _) => 100.0 * need as f64 / free.max(1) as f64,
        (Strategy::Spread, _) => 100.0 * (free.saturating_sub(need)) as f64 / max_gpus as f64,
    };
    let (headroom, load) = match r.health() {
        Some(h) => {
            let after = h.memory_available_mb - req.memory_mb.unwrap_or(0.0);
            let headroom =
                if h.memory_total_mb > 0.0 { 10.0 * (after / h.memory_total_mb).clamp(0.0, 1.0) } else { 0.0 };
            (headroom, -5.0 * h.load_per_cpu().min(2.0))
        }
        None => (0.0, 0.0),
    };
    let running = r.containers().unwrap_or(&[]).iter().filter(|c| c.state == workload::State::Running).count();
    let busy = -2.0 * (running.min(5) as f64);
    let hottest = r
        .metrics()
        .unwrap_or(&[])
        .iter()
        .filter(|m| (m.index as usize) < need && !m.unreadable())
        .map(|m| m.temperature_c)
        .fold(0.0_f64, f64::max);
    let heat = -((hottest - 60.0).clamp(0.0, 30.0)) / 3.0;
    let degraded = if v.state == State::Degraded { -15.0 } else { 0.0 };
    let total = fit + headroom + load + busy + heat + degraded;
    let why = format!(
        "fit {:.1} + memory headroom {:.1} - load {:.1} - workloads {:.1} - heat {:.1}{}",
        fit,
        headroom,
        -load,
        -busy,
        -heat,
        if degraded < 0.0 { " - degraded 15" } else { "" }
    );
    (total, why)
}

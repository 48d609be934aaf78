//! Asks one node what a check needs, in as few invokes as it can: static facts from the
//! cache, then only what changes, one invoke after another. Returns plain data
//! ([`assess::Report`]) for the pure layers.

use super::facts::Cache;
use super::fanout::Session;
use super::host::Host;
use crate::assess::{Reach, Report};
use crate::node::{gpu, health, workload, Parsed};
use serde_json::json;

/// What a check needs to know of each node.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    /// `node.health` (and the static facts).
    pub health: bool,
    /// `gpu.metrics` (only asked of nodes that have GPUs; needs the static facts).
    pub metrics: bool,
    /// `workload.list`.
    pub containers: bool,
}

impl Needs {
    /// Everything: what `claw_fleet_status`, the monitor and placement read.
    pub const ALL: Needs = Needs { health: true, metrics: true, containers: true };
}

fn keep<T>(r: &mut Report, p: Result<Parsed<T>, String>) -> Result<T, String> {
    p.map(|p| {
        r.dropped.extend(p.dropped);
        p.value
    })
}

/// Asks one node for `needs`.
pub async fn probe<H: Host>(s: Session<'_, H>, cache: &Cache, needs: Needs) -> Report {
    let mut r = Report::new(s.node().clone(), Reach::Usable);
    let facts = if needs.health || needs.metrics {
        match cache.get(&s).await {
            Ok(f) => {
                r.dropped.extend(f.dropped.iter().cloned());
                r.facts = Some(Ok(f.clone()));
                Some(f)
            }
            Err(e) => {
                r.facts = Some(Err(e));
                r.silent = s.silent();
                return r;
            }
        }
    } else {
        None
    };
    if needs.health {
        let h = s.call("node.health", &json!({})).await.and_then(|v| health::parse(&v));
        let h = keep(&mut r, h);
        if let (Ok(h), Some(f)) = (&h, &facts) {
            if h.gpu_count.is_some_and(|n| n != f.gpu_count()) {
                cache.forget(&s.node().id);
            }
        }
        let failed = h.is_err();
        r.health = Some(h);
        if failed {
            r.silent = s.silent();
            return r;
        }
    }
    if needs.containers && s.node().declares("workload.list") {
        let c = s.call("workload.list", &json!({})).await.and_then(|v| workload::parse_list(&v));
        r.containers = Some(keep(&mut r, c));
    }
    if facts.is_some_and(|f| needs.metrics && f.gpu_count() > 0) {
        let m = s.call("gpu.metrics", &json!({})).await.and_then(|v| gpu::parse_metrics(&v));
        r.metrics = Some(keep(&mut r, m));
    } else if needs.metrics {
        r.metrics = Some(Ok(Vec::new()));
    }
    r.silent = s.silent();
    r
}

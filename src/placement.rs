//! Where `claw_deploy` runs a workload: filter, score, explain (pure).
//!
//! `workload.run {gpus: n}` always binds devices `0..n-1`, so a node can host a request for
//! `n` GPUs only when exactly those are free.

use crate::assess::{self, Condition};
use crate::config::Thresholds;
use crate::fleet::probe::Report;
use crate::fleet::status::{free_flags, is_free, round2};
use crate::ledger::Ledger;
use crate::node::workload::{classify, State};
use serde::Serialize;

/// Free disk a node needs to take new work (images are large).
pub const MIN_FREE_DISK_BYTES: f64 = 10.0 * 1024.0 * 1024.0 * 1024.0;
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

/// What the workload needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Request {
    /// GPUs (`0..gpus` on the chosen node).
    pub gpus: u32,
    /// Memory limit, MB.
    pub memory_mb: Option<f64>,
    /// Part of the GPU model name, any case.
    pub gpu_model: Option<String>,
    /// Least VRAM per GPU, MB.
    pub min_vram_mb: Option<f64>,
    /// Node to use when it can host the request (id or name).
    pub prefer_node: Option<String>,
    /// Ranking.
    pub strategy: Strategy,
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
}

/// Candidates best first, and the rejected nodes.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// Feasible nodes, best first.
    pub candidates: Vec<Candidate>,
    /// Infeasible nodes.
    pub rejected: Vec<Rejection>,
}

/// Filters and ranks the nodes of one fan-out for `req`.
pub fn plan(reports: &[Report], req: &Request, t: &Thresholds, ledger: &Ledger, now: f64) -> Plan {
    let mut p = Plan::default();
    let max_gpus = reports.iter().filter_map(|r| r.facts()).map(|f| f.gpu_count()).max().unwrap_or(0).max(1);
    for r in reports {
        match evaluate(r, req, t, ledger, now, max_gpus) {
            Ok((score, why)) => p.candidates.push(Candidate {
                node_id: r.node.id.clone(),
                node_name: r.node.name.clone(),
                score: round2(score),
                preferred: req.prefer_node.as_deref().is_some_and(|k| r.node.is(k)),
                why,
            }),
            Err(reasons) => {
                p.rejected.push(Rejection { node_id: r.node.id.clone(), node_name: r.node.name.clone(), reasons })
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
    p
}

fn evaluate(
    r: &Report,
    req: &Request,
    t: &Thresholds,
    ledger: &Ledger,
    now: f64,
    max_gpus: usize,
) -> Result<(f64, String), Vec<String>> {
    if !r.node.connected {
        return Err(vec!["not connected".to_owned()]);
    }
    if let Some(e) = r.fatal() {
        return Err(vec![format!("unreachable: {e}")]);
    }
    let (Some(facts), Some(health)) = (r.facts(), r.health()) else {
        return Err(vec!["no facts or health from the node".to_owned()]);
    };
    let mut reasons = Vec::new();
    if !r.node.declares(crate::commands::RUN) {
        reasons.push("does not declare workload.run".to_owned());
    }
    if facts.caps.container_runtime.is_none() {
        reasons.push("no container runtime".to_owned());
    }
    let problems = assess::assess(health, r.metrics(), t);
    let condition = assess::condition(&problems);
    if condition == Condition::Unhealthy {
        let critical: Vec<&str> =
            problems.iter().filter(|p| p.severity == assess::Severity::Critical).map(|p| p.message.as_str()).collect();
        reasons.push(format!("unhealthy: {}", critical.join("; ")));
    }
    if let Some(mem) = req.memory_mb {
        let need = mem * (1.0 + MEMORY_HEADROOM);
        if health.memory_available_mb < need {
            reasons.push(format!(
                "not enough memory: needs {need:.0} MB ({mem:.0} MB + 10% headroom), {:.0} MB available",
                health.memory_available_mb
            ));
        }
    }
    if let Some(d) = health.root_disk() {
        if d.available_bytes < MIN_FREE_DISK_BYTES {
            reasons.push(format!(
                "not enough disk: {:.1} GB free on {}, needs 10 GB",
                d.available_bytes / 1e9,
                d.mount
            ));
        }
    }
    let gpu_count = facts.gpu_count();
    let need = req.gpus as usize;
    let flags = free_flags(r, ledger, now);
    if need > 0 {
        if gpu_count < need {
            reasons.push(format!("has {gpu_count} GPUs, needs {need}"));
        } else {
            let wanted: Vec<u32> = (0..req.gpus).collect();
            if let Some(model) = &req.gpu_model {
                let m = model.to_lowercase();
                if let Some(i) = wanted.iter().find(|&&i| !facts.gpu_name(i).to_lowercase().contains(&m)) {
                    reasons.push(format!("GPU {i} is {}, not {model}", facts.gpu_name(*i)));
                }
            }
            if let Some(min) = req.min_vram_mb {
                if let Some(&i) = wanted.iter().find(|&&i| facts.gpu_vram_mb(i) < min) {
                    reasons.push(format!("GPU {i} has {:.0} MB VRAM, needs {min:.0} MB", facts.gpu_vram_mb(i)));
                }
            }
            match &r.metrics {
                Some(Err(e)) => reasons.push(format!("GPU state unknown: {e}")),
                _ => {
                    let held = ledger.held(&r.node.id, now);
                    let busy: Vec<String> =
                        wanted.iter().filter(|&&i| !is_free(&flags, i)).map(|&i| gpu_busy_reason(r, i, held)).collect();
                    if !busy.is_empty() {
                        let which =
                            if need == 1 { "GPU 0 must".to_owned() } else { format!("GPUs 0..{} must all", need - 1) };
                        reasons.push(format!("{which} be free: {}", busy.join(", ")));
                    }
                }
            }
        }
    }
    if !reasons.is_empty() {
        return Err(reasons);
    }
    Ok(score(r, req, health, gpu_count, &flags, condition, max_gpus))
}

fn gpu_busy_reason(r: &Report, index: u32, held: u32) -> String {
    if index < held {
        return format!("GPU {index} was just given to another deploy");
    }
    match r.metrics().and_then(|m| m.iter().find(|m| m.index == index)) {
        Some(m) => format!("GPU {index} busy ({:.0} MB used, {:.0}% util)", m.memory_used_mb, m.utilization_percent),
        None => format!("GPU {index} not reported by gpu.metrics"),
    }
}

fn score(
    r: &Report,
    req: &Request,
    health: &crate::node::health::Health,
    gpu_count: usize,
    flags: &[(u32, bool)],
    condition: Condition,
    max_gpus: usize,
) -> (f64, String) {
    let free = flags.iter().filter(|(_, f)| *f).count();
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
    let after = health.memory_available_mb - req.memory_mb.unwrap_or(0.0);
    let headroom =
        if health.memory_total_mb > 0.0 { 10.0 * (after / health.memory_total_mb).clamp(0.0, 1.0) } else { 0.0 };
    let load = -5.0 * health.load_per_cpu().min(2.0);
    let running = r
        .containers
        .as_ref()
        .and_then(|c| c.as_ref().ok())
        .map_or(0, |c| c.iter().filter(|c| classify(&c.status).0 == State::Running).count());
    let busy = -2.0 * (running.min(5) as f64);
    let hottest = r
        .metrics()
        .unwrap_or(&[])
        .iter()
        .filter(|m| (m.index as usize) < need)
        .map(|m| m.temperature_c)
        .fold(0.0_f64, f64::max);
    let heat = -((hottest - 60.0).clamp(0.0, 30.0)) / 3.0;
    let degraded = if condition == Condition::Degraded { -15.0 } else { 0.0 };
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

//! `claw_fleet_status`: nodes by state, GPUs by model, memory, workloads, problems.

use super::probe::Report;
use super::{FailedNode, NodeRef};
use crate::assess::{self, Condition, Kind, Problem, Severity};
use crate::config::Thresholds;
use crate::ledger::Ledger;
use crate::node::workload::{classify, State};
use serde::Serialize;
use std::collections::BTreeMap;

/// Nodes by state.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StateCounts {
    /// Clawnodes asked.
    pub total: usize,
    /// No threshold crossed.
    pub healthy: usize,
    /// A warning threshold crossed.
    pub degraded: usize,
    /// A critical threshold crossed.
    pub unhealthy: usize,
    /// Did not answer.
    pub unreachable: usize,
}

/// GPUs of one model.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelCount {
    /// Model name.
    pub model: String,
    /// GPUs of that model.
    pub total: usize,
    /// Of which free.
    pub free: usize,
}

/// GPUs across the fleet.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GpuTotals {
    /// GPUs on reachable nodes.
    pub total: usize,
    /// Free ones (no work seen on them, none just placed).
    pub free: usize,
    /// By model, sorted by name.
    pub by_model: Vec<ModelCount>,
}

/// Memory across reachable nodes.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemoryTotals {
    /// Total MB.
    pub total_mb: f64,
    /// Available MB.
    pub available_mb: f64,
}

/// Containers across the fleet.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadTotals {
    /// Running containers.
    pub running: usize,
    /// All containers (`docker ps -a`).
    pub total: usize,
}

/// A problem with the node it is on.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeProblem {
    /// Node id.
    pub node_id: String,
    /// Display name.
    pub node_name: String,
    /// How bad.
    pub severity: Severity,
    /// What it is about.
    pub kind: Kind,
    /// For a person.
    pub message: String,
}

/// One node's line in the status.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeDetail {
    /// Node id.
    pub node_id: String,
    /// Display name.
    pub node_name: String,
    /// `healthy`, `degraded`, `unhealthy` or `unreachable`.
    pub state: &'static str,
    /// Logical CPUs.
    pub cpu_count: u32,
    /// Five-minute load per CPU.
    pub load_per_cpu: f64,
    /// Memory, MB.
    pub memory_total_mb: f64,
    /// Available memory, MB.
    pub memory_available_mb: f64,
    /// Use of the disk work lands on, percent.
    pub disk_used_percent: f64,
    /// GPUs.
    pub gpus_total: usize,
    /// Free GPUs.
    pub gpus_free: usize,
    /// Running containers.
    pub workloads_running: usize,
    /// `docker` / `podman`, or null.
    pub container_runtime: Option<String>,
    /// Problems on this node.
    pub problems: Vec<Problem>,
}

/// The whole status.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetStatus {
    /// Nodes by state.
    pub nodes: StateCounts,
    /// GPUs.
    pub gpus: GpuTotals,
    /// Memory.
    pub memory: MemoryTotals,
    /// Containers.
    pub workloads: WorkloadTotals,
    /// Every problem, critical first.
    pub problems: Vec<NodeProblem>,
    /// Per node.
    pub node_details: Vec<NodeDetail>,
    /// Nodes that did not answer, and why.
    pub failed_nodes: Vec<FailedNode>,
    /// Clawnodes waiting for an operator to approve their commands.
    pub pending_nodes: Vec<NodeRef>,
}

/// Which leading GPUs are free: `free[i]` for index `i` (held ones count as busy).
pub fn free_flags(report: &Report, ledger: &Ledger, now: f64) -> Vec<(u32, bool)> {
    let held = ledger.held(&report.node.id, now);
    let Some(metrics) = report.metrics() else { return Vec::new() };
    metrics.iter().map(|m| (m.index, m.index >= held && m.looks_free())).collect()
}

/// Whether GPU `index` is free according to `free_flags`.
pub fn is_free(flags: &[(u32, bool)], index: u32) -> bool {
    flags.iter().any(|&(i, free)| i == index && free)
}

/// Aggregates the reports of one fan-out.
pub fn aggregate(reports: &[Report], pending: Vec<NodeRef>, t: &Thresholds, ledger: &Ledger, now: f64) -> FleetStatus {
    let mut st = FleetStatus { pending_nodes: pending, ..FleetStatus::default() };
    let mut models: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for r in reports {
        st.nodes.total += 1;
        if let Some(err) = r.fatal() {
            st.nodes.unreachable += 1;
            st.failed_nodes.push(FailedNode::new(&r.node, err));
            let problem = Problem { kind: Kind::Unreachable, severity: Severity::Critical, message: err.to_owned() };
            st.problems.push(node_problem(r, &problem));
            st.node_details.push(unreachable_detail(r, problem));
            continue;
        }
        let (Some(facts), Some(health)) = (r.facts(), r.health()) else { continue };
        let mut problems = assess::assess(health, r.metrics(), t);
        let metrics_err = r.metrics.as_ref().and_then(|m| m.as_ref().err());
        let list_err = r.containers.as_ref().and_then(|c| c.as_ref().err());
        for e in metrics_err.into_iter().chain(list_err) {
            problems.push(Problem { kind: Kind::CheckFailed, severity: Severity::Warning, message: e.clone() });
        }
        let state = assess::condition(&problems);
        match state {
            Condition::Healthy => st.nodes.healthy += 1,
            Condition::Degraded => st.nodes.degraded += 1,
            Condition::Unhealthy => st.nodes.unhealthy += 1,
        }
        let flags = free_flags(r, ledger, now);
        let gpus_total = facts.gpu_count();
        let gpus_free = flags.iter().filter(|(_, free)| *free).count();
        for i in 0..gpus_total {
            let index = i as u32;
            let entry = models.entry(facts.gpu_name(index).to_owned()).or_default();
            entry.0 += 1;
            if is_free(&flags, index) {
                entry.1 += 1;
            }
        }
        st.gpus.total += gpus_total;
        st.gpus.free += gpus_free;
        st.memory.total_mb += health.memory_total_mb;
        st.memory.available_mb += health.memory_available_mb;
        let containers = r.containers.as_ref().and_then(|c| c.as_ref().ok()).map(Vec::as_slice).unwrap_or(&[]);
        let running = containers.iter().filter(|c| classify(&c.status).0 == State::Running).count();
        st.workloads.running += running;
        st.workloads.total += containers.len();
        st.problems.extend(problems.iter().map(|p| node_problem(r, p)));
        st.node_details.push(NodeDetail {
            node_id: r.node.id.clone(),
            node_name: r.node.name.clone(),
            state: state.as_str(),
            cpu_count: health.cpu_count,
            load_per_cpu: round2(health.load_per_cpu()),
            memory_total_mb: health.memory_total_mb,
            memory_available_mb: health.memory_available_mb,
            disk_used_percent: round2(health.root_disk().map_or(0.0, |d| d.usage_percent)),
            gpus_total,
            gpus_free,
            workloads_running: running,
            container_runtime: facts.caps.container_runtime.clone(),
            problems,
        });
    }
    st.gpus.by_model = models.into_iter().map(|(model, (total, free))| ModelCount { model, total, free }).collect();
    st.problems.sort_by_key(|p| std::cmp::Reverse(p.severity));
    st
}

fn node_problem(r: &Report, p: &Problem) -> NodeProblem {
    NodeProblem {
        node_id: r.node.id.clone(),
        node_name: r.node.name.clone(),
        severity: p.severity,
        kind: p.kind,
        message: p.message.clone(),
    }
}

fn unreachable_detail(r: &Report, problem: Problem) -> NodeDetail {
    NodeDetail {
        node_id: r.node.id.clone(),
        node_name: r.node.name.clone(),
        state: "unreachable",
        cpu_count: 0,
        load_per_cpu: 0.0,
        memory_total_mb: 0.0,
        memory_available_mb: 0.0,
        disk_used_percent: 0.0,
        gpus_total: r.facts().map_or(0, |f| f.gpu_count()),
        gpus_free: 0,
        workloads_running: 0,
        container_runtime: r.facts().and_then(|f| f.caps.container_runtime.clone()),
        problems: vec![problem],
    }
}

/// Rounds to two decimals, for numbers shown to people.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

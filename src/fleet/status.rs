//! `claw_fleet_status` and the monitor's snapshot: nodes by state, GPUs by model and state,
//! memory, workloads, every problem and per-node detail, from the one assessment per node.

use super::{round2, Checked, FailedNode, FanoutStats as Stats};
use crate::assess::{GpuState, Kind, Severity, State};
use crate::node::workload::{self, Health};
use serde::Serialize;
use std::collections::BTreeMap;

/// Nodes by state.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StateCounts {
    /// Clawnodes listed (connected or not).
    pub total: usize,
    /// See [`State::Healthy`].
    pub healthy: usize,
    /// See [`State::Degraded`].
    pub degraded: usize,
    /// See [`State::Unhealthy`].
    pub unhealthy: usize,
    /// See [`State::Unreachable`].
    pub unreachable: usize,
    /// See [`State::Offline`].
    pub offline: usize,
    /// See [`State::Unusable`].
    pub unusable: usize,
}

impl StateCounts {
    /// Counts one node in `state` (`gone` nodes are not part of the fleet).
    pub fn add(&mut self, state: State) {
        let slot = match state {
            State::Healthy => &mut self.healthy,
            State::Degraded => &mut self.degraded,
            State::Unhealthy => &mut self.unhealthy,
            State::Unreachable => &mut self.unreachable,
            State::Offline => &mut self.offline,
            State::Unusable => &mut self.unusable,
            State::Gone => return,
        };
        *slot += 1;
        self.total += 1;
    }
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

/// GPUs across the fleet, on the nodes that answered.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GpuTotals {
    /// GPUs.
    pub total: usize,
    /// Nothing seen on them and none held.
    pub free: usize,
    /// Their metrics show work.
    pub busy: usize,
    /// Held by a container the plugin started.
    pub held: usize,
    /// Readings missing or unreadable.
    pub unknown: usize,
    /// By model, sorted by name.
    pub by_model: Vec<ModelCount>,
}

/// Memory across the nodes that answered.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemoryTotals {
    /// Total, MB.
    pub total_mb: f64,
    /// Available to new work, MB.
    pub available_mb: f64,
}

/// Containers across the nodes that answered.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadTotals {
    /// Containers listed.
    pub total: usize,
    /// Running ones.
    pub running: usize,
    /// Running but failing their health check.
    pub unhealthy: usize,
    /// In a restart loop.
    pub restarting: usize,
}

/// One problem, with its node.
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

/// A problem inside a node's detail.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DetailProblem {
    /// What it is about.
    pub kind: Kind,
    /// How bad.
    pub severity: Severity,
    /// For a person.
    pub message: String,
}

/// One GPU as the heat map shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GpuCell {
    /// Device index.
    pub index: u32,
    /// free / busy / held / unknown.
    pub state: GpuState,
    /// Utilisation, percent (`None` when not read).
    pub utilization_percent: Option<f64>,
    /// Temperature, °C (`None` when not read).
    pub temperature_c: Option<f64>,
}

/// One node's detail.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeDetail {
    /// Node id.
    pub node_id: String,
    /// Display name.
    pub node_name: String,
    /// Its state.
    pub state: State,
    /// Why, in one line.
    pub reason: String,
    /// Logical CPUs (0 when not read).
    pub cpu_count: u32,
    /// Five-minute load per CPU.
    pub load_per_cpu: f64,
    /// Memory, MB.
    pub memory_total_mb: f64,
    /// Memory available, MB.
    pub memory_available_mb: f64,
    /// Use of the disk holding the container runtime's data, percent.
    pub disk_used_percent: f64,
    /// GPUs.
    pub gpus_total: usize,
    /// GPUs free.
    pub gpus_free: usize,
    /// Running containers.
    pub workloads_running: usize,
    /// `docker`, `podman`, another runtime, or `None`.
    pub container_runtime: Option<String>,
    /// Its problems, critical first.
    pub problems: Vec<DetailProblem>,
    /// Its GPUs.
    pub gpus: Vec<GpuCell>,
}

/// The whole status.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetStatus {
    /// The worst problem's severity: `ok`, `warning` or `critical`.
    pub severity: &'static str,
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
    /// Per node, problems first (by state), then by name.
    pub node_details: Vec<NodeDetail>,
    /// Nodes that did not answer or whose health could not be read, and why.
    pub failed_nodes: Vec<FailedNode>,
    /// What the fan-out saw of the bound on invokes in flight.
    pub fanout: Stats,
}

/// Aggregates the checked nodes of one fan-out.
pub fn aggregate(nodes: &[Checked], fanout: Stats) -> FleetStatus {
    let mut st = FleetStatus { fanout, ..FleetStatus::default() };
    let mut models: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut order: Vec<(u8, &str, &str, NodeDetail)> = Vec::with_capacity(nodes.len());
    for Checked { report: r, verdict: v } in nodes {
        st.nodes.add(v.state);
        if let (Some(e), State::Unreachable | State::Unhealthy) = (r.fatal(), v.state) {
            st.failed_nodes.push(FailedNode::new(&r.node, e));
        }
        for p in &v.problems {
            st.problems.push(NodeProblem {
                node_id: r.node.id.clone(),
                node_name: r.node.name.clone(),
                severity: p.severity,
                kind: p.kind,
                message: p.message.clone(),
            });
        }
        let facts = r.facts();
        let mut cells = Vec::with_capacity(v.gpus.len());
        for g in &v.gpus {
            let model = facts.map_or("unknown GPU", |f| f.gpu_name(g.index));
            let e = models.entry(model).or_default();
            e.0 += 1;
            let slot = match g.state {
                GpuState::Free => {
                    e.1 += 1;
                    &mut st.gpus.free
                }
                GpuState::Busy => &mut st.gpus.busy,
                GpuState::Held => &mut st.gpus.held,
                GpuState::Unknown => &mut st.gpus.unknown,
            };
            *slot += 1;
            let m = r.metrics().and_then(|ms| ms.iter().find(|m| m.index == g.index)).filter(|m| !m.unreadable());
            cells.push(GpuCell {
                index: g.index,
                state: g.state,
                utilization_percent: m.map(|m| m.utilization_percent),
                temperature_c: m.map(|m| m.temperature_c),
            });
        }
        st.gpus.total += v.gpus.len();
        let containers = r.containers().unwrap_or(&[]);
        let running = containers.iter().filter(|c| c.state == workload::State::Running).count();
        st.workloads.total += containers.len();
        st.workloads.running += running;
        st.workloads.unhealthy += containers.iter().filter(|c| c.health == Some(Health::Unhealthy)).count();
        st.workloads.restarting += containers.iter().filter(|c| c.state == workload::State::Restarting).count();
        let health = r.health();
        if let Some(h) = health {
            st.memory.total_mb += h.memory_total_mb;
            st.memory.available_mb += h.memory_available_mb;
        }
        let runtime = facts.and_then(|f| f.runtime());
        let disk = health.and_then(|h| h.disk_holding(runtime.map_or("/var/lib/docker", |rt| rt.data_root())));
        let detail = NodeDetail {
            node_id: r.node.id.clone(),
            node_name: r.node.name.clone(),
            state: v.state,
            reason: v.reason.clone(),
            cpu_count: health.map_or(0, |h| h.cpu_count),
            load_per_cpu: health.map_or(0.0, |h| round2(h.load_per_cpu())),
            memory_total_mb: health.map_or(0.0, |h| h.memory_total_mb),
            memory_available_mb: health.map_or(0.0, |h| h.memory_available_mb),
            disk_used_percent: round2(disk.map_or(0.0, |d| d.usage_percent)),
            gpus_total: v.gpus.len(),
            gpus_free: v.gpus_free(),
            workloads_running: running,
            container_runtime: runtime.map(|rt| rt.name().to_owned()),
            problems: v
                .problems
                .iter()
                .map(|p| DetailProblem { kind: p.kind, severity: p.severity, message: p.message.clone() })
                .collect(),
            gpus: cells,
        };
        order.push((v.state.attention(), &r.node.name, &r.node.id, detail));
    }
    order.sort_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
    st.node_details = order.into_iter().map(|(.., d)| d).collect();
    st.gpus.by_model =
        models.into_iter().map(|(model, (total, free))| ModelCount { model: model.to_owned(), total, free }).collect();
    st.problems.sort_by_key(|p| std::cmp::Reverse(p.severity));
    st.severity = match st.problems.first().map(|p| p.severity) {
        None => "ok",
        Some(s) => s.as_str(),
    };
    st
}

//! A fleet's totals, computed from the fleet file alone (not from the nodes' answers), so a
//! test can state what it expects and check it against this (`clawsim fleet --summary`).

use crate::node::parse_memory_mb;
use crate::spec::{Fleet, WORKLOAD_STATES};
use crate::wire::WireMode;
use serde::Serialize;
use std::collections::BTreeMap;

/// What the fleet holds when the simulator starts.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Number of nodes.
    pub nodes: usize,
    /// Nodes per wire mode (`current`, `legacy`, `legacy-scopes`).
    pub wire: BTreeMap<&'static str, usize>,
    /// Logical CPUs across the fleet.
    pub cpus: u64,
    pub gpus: GpuTotals,
    pub containers: ContainerTotals,
    pub memory: MemoryTotals,
    /// Commands every node declares (a default clawnode build: 68).
    pub commands_per_node: usize,
    /// Nodes with no container runtime (`workload.*` fail there).
    pub nodes_without_runtime: usize,
    /// Nodes with at least one fault (hot GPU, timed disconnect, command error, broken JSON).
    pub nodes_with_faults: usize,
    /// Hostnames more than one node reports, with how many report each.
    pub shared_display_names: BTreeMap<String, usize>,
}

/// GPUs in total and by model. A GPU is busy when a running or paused container binds it
/// (`workload.run {gpus: n}` binds `0..n-1`, overlapping like Docker).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GpuTotals {
    pub total: u64,
    pub busy: u64,
    pub free: u64,
    /// Sorted by model name.
    pub by_model: Vec<ModelTotals>,
}

/// One GPU model's count.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelTotals {
    pub model: String,
    pub total: u64,
    pub busy: u64,
    pub free: u64,
}

/// Containers by Docker state, and by health where they have one.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerTotals {
    pub total: usize,
    /// Every Docker state, zeros included.
    pub by_state: BTreeMap<String, usize>,
    /// `healthy`, `unhealthy`, `starting`: only containers with a healthcheck.
    pub by_health: BTreeMap<&'static str, usize>,
}

/// RAM in MiB: `used` is each node's base use plus the limits of its running and paused
/// containers (capped at the node's total), as `node.health` reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemoryTotals {
    pub total_mb: u64,
    pub used_mb: u64,
    pub available_mb: u64,
}

/// The totals of `fleet` when every node runs in the wire mode [`Fleet::wire_of`] gives it
/// with `cli_wire`, declaring `commands_per_node` commands.
pub fn summarize(fleet: &Fleet, cli_wire: Option<WireMode>, commands_per_node: usize) -> Summary {
    let mut wire: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut by_model: BTreeMap<String, ModelTotals> = BTreeMap::new();
    let mut by_state: BTreeMap<String, usize> = WORKLOAD_STATES.iter().map(|s| (s.to_string(), 0)).collect();
    let mut by_health: BTreeMap<&'static str, usize> = BTreeMap::new();
    let (mut cpus, mut total_mb, mut used_mb) = (0u64, 0u64, 0u64);
    let (mut without_runtime, mut with_faults) = (0, 0);
    let mut hostnames: BTreeMap<String, usize> = BTreeMap::new();
    for node in &fleet.nodes {
        *hostnames.entry(node.hostname().to_string()).or_default() += 1;
        *wire.entry(fleet.wire_of(node, cli_wire).as_str()).or_default() += 1;
        cpus += u64::from(node.cpu_count);
        total_mb += node.memory_mb;
        let holding = node.workloads.iter().filter(|w| matches!(w.state.as_str(), "running" | "paused"));
        let bound: u32 = holding.clone().map(|w| w.gpus).max().unwrap_or(0);
        let limits: u64 = holding.map(|w| w.memory.as_deref().and_then(parse_memory_mb).unwrap_or(0)).sum();
        used_mb += (node.memory_used_mb + limits).min(node.memory_mb);
        let mut index = 0u32;
        for group in &node.gpus {
            let entry = by_model.entry(group.model.clone()).or_insert_with(|| ModelTotals {
                model: group.model.clone(),
                total: 0,
                busy: 0,
                free: 0,
            });
            let busy = bound.saturating_sub(index).min(group.count);
            entry.total += u64::from(group.count);
            entry.busy += u64::from(busy);
            entry.free += u64::from(group.count - busy);
            index += group.count;
        }
        for w in &node.workloads {
            *by_state.entry(w.state.clone()).or_default() += 1;
            if let Some(h) = w.health {
                *by_health.entry(h.as_str()).or_default() += 1;
            }
        }
        if node.container_runtime == "none" {
            without_runtime += 1;
        }
        let f = &node.faults;
        if !f.hot_gpus.is_empty()
            || f.disconnect_after_secs.is_some()
            || !f.command_errors.is_empty()
            || !f.malformed_json.is_empty()
        {
            with_faults += 1;
        }
    }
    let by_model: Vec<ModelTotals> = by_model.into_values().collect();
    let gpu_sum = |f: fn(&ModelTotals) -> u64| by_model.iter().map(f).sum::<u64>();
    Summary {
        nodes: fleet.nodes.len(),
        wire,
        cpus,
        gpus: GpuTotals { total: gpu_sum(|m| m.total), busy: gpu_sum(|m| m.busy), free: gpu_sum(|m| m.free), by_model },
        containers: ContainerTotals { total: fleet.nodes.iter().map(|n| n.workloads.len()).sum(), by_state, by_health },
        memory: MemoryTotals { total_mb, used_mb, available_mb: total_mb - used_mb },
        commands_per_node,
        nodes_without_runtime: without_runtime,
        nodes_with_faults: with_faults,
        shared_display_names: hostnames.into_iter().filter(|(_, n)| *n > 1).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Shape;
    use serde_json::json;

    #[test]
    fn the_default_fleet_totals_are_what_the_e2e_suite_expects() {
        let s = summarize(&Fleet::default_fleet().unwrap(), None, 68);
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            json!({
                "nodes": 8,
                "wire": {"current": 8},
                "cpus": 560,
                "gpus": {"total": 30, "busy": 5, "free": 25, "byModel": [
                    {"model": "NVIDIA A100-SXM4-80GB", "total": 4, "busy": 1, "free": 3},
                    {"model": "NVIDIA A10G", "total": 2, "busy": 0, "free": 2},
                    {"model": "NVIDIA H100 80GB HBM3", "total": 18, "busy": 4, "free": 14},
                    {"model": "NVIDIA L4", "total": 4, "busy": 0, "free": 4},
                    {"model": "NVIDIA RTX 6000 Ada Generation", "total": 2, "busy": 0, "free": 2},
                ]},
                "containers": {"total": 7, "byState": {"running": 2, "exited": 2, "created": 1, "paused": 1, "restarting": 0, "dead": 1}, "byHealth": {}},
                "memory": {"totalMb": 7_608_740, "usedMb": 915_159, "availableMb": 6_693_581},
                "commandsPerNode": 68,
                "nodesWithoutRuntime": 1,
                "nodesWithFaults": 3,
                "sharedDisplayNames": {},
            })
        );
    }

    #[test]
    fn a_realistic_fleet_has_closed_form_totals_whatever_the_seed() {
        for seed in [1, 99] {
            let s = summarize(&Fleet::generated(300, Shape::Realistic, seed), Some(WireMode::Legacy), 68);
            assert_eq!(s.nodes, 300);
            assert_eq!(s.wire, BTreeMap::from([("legacy", 300)]));
            assert_eq!(s.cpus, 224 * 300);
            assert_eq!((s.gpus.total, s.gpus.busy, s.gpus.free), (2400, 1200, 1200));
            assert_eq!(s.gpus.by_model.len(), 1);
            assert_eq!(
                (s.containers.total, s.containers.by_state["running"], s.containers.by_state["exited"]),
                (900, 600, 300)
            );
            assert_eq!((s.memory.total_mb, s.memory.used_mb), (2_063_731 * 300, (32_768 + 262_144) * 300));
            assert_eq!(s.nodes_with_faults, 0);
        }
    }

    #[test]
    fn mixed_wire_modes_and_shared_display_names_are_counted() {
        let text = "wire = \"legacy\"\n[[nodes]]\nname = \"a\"\ndisplay_name = \"ubuntu\"\n[[nodes]]\nname = \"b\"\ndisplay_name = \"ubuntu\"\nwire = \"current\"\n[[nodes]]\nname = \"c\"\n";
        let s = summarize(&Fleet::parse(text, false).unwrap(), None, 68);
        assert_eq!(s.wire, BTreeMap::from([("current", 1), ("legacy", 2)]));
        assert_eq!(s.shared_display_names, BTreeMap::from([("ubuntu".to_string(), 2)]));
    }
}

//! `claw_gpu_inventory`: one entry per GPU, grouped by node, with its state from the one
//! assessment (free, busy, held by a container the plugin started, or unknown).

use super::{Checked, FailedNode, FanoutStats, SharedName};
use crate::assess::GpuState;
use crate::holds::HeldBy;
use serde::Serialize;
use std::collections::BTreeMap;

/// One GPU.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GpuEntry {
    /// Device index on the node.
    pub index: u32,
    /// Stable device id (`GPU-…`).
    pub uuid: String,
    /// Model name.
    pub model: String,
    /// VRAM, MB (`memory.total`).
    pub memory_total_mb: f64,
    /// VRAM in use, MB (`memory.used`).
    pub memory_used_mb: Option<f64>,
    /// `utilization.gpu`, percent.
    pub utilization_percent: Option<f64>,
    /// `temperature.gpu`, °C.
    pub temperature_c: Option<f64>,
    /// `power.draw`, W.
    pub power_draw_w: Option<f64>,
    /// `power.limit`, W.
    pub power_limit_w: Option<f64>,
    /// free / busy / held / unknown.
    pub state: GpuState,
    /// Whether a new workload may take it (state free).
    pub available: bool,
    /// The container the plugin started that holds it.
    pub held_by: Option<HeldBy>,
    /// Why it is busy or unknown, for a person.
    pub why: Option<String>,
}

/// The GPUs of one node.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeGpus {
    /// Node id.
    pub node_id: String,
    /// Display name.
    pub node_name: String,
    /// Its GPUs that passed the filters, by index.
    pub gpus: Vec<GpuEntry>,
}

/// GPUs of one model.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelAvailability {
    /// Model name.
    pub model: String,
    /// GPUs.
    pub total: usize,
    /// Of which available.
    pub available: usize,
}

/// The inventory.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Inventory {
    /// GPUs listed.
    pub total: usize,
    /// Of which free.
    pub available: usize,
    /// Busy by their metrics.
    pub busy: usize,
    /// Held by containers the plugin started.
    pub held: usize,
    /// Unknown.
    pub unknown: usize,
    /// By model.
    pub by_model: Vec<ModelAvailability>,
    /// Nodes with at least one GPU that passed the filters, by name.
    pub nodes: Vec<NodeGpus>,
    /// Nodes whose reads failed (no answer, or an error), and why.
    pub failed_nodes: Vec<FailedNode>,
    /// What the fan-out saw of the bound on invokes in flight.
    pub fanout: FanoutStats,
    /// A `nodeId` that is the display name of several nodes (all of them listed).
    pub shared_names: Vec<SharedName>,
}

/// Filters of `claw_gpu_inventory`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Part of the model name, any case.
    pub model: Option<String>,
    /// Only available GPUs.
    pub available_only: bool,
}

/// Builds the inventory from the checked nodes of one fan-out.
pub fn aggregate(nodes: &[Checked], filter: &Filter, fanout: FanoutStats) -> Inventory {
    let mut inv = Inventory { fanout, ..Inventory::default() };
    let model_filter = filter.model.as_deref().map(str::to_lowercase);
    let mut models: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for Checked { report: r, verdict: v } in nodes {
        let failure = r.fatal().or_else(|| r.metrics.as_ref().and_then(|m| m.as_ref().err()).map(String::as_str));
        if let Some(e) = failure {
            inv.failed_nodes.push(FailedNode::new(&r.node, e));
        }
        let Some(facts) = r.facts() else { continue };
        let mut gpus = Vec::new();
        for g in &v.gpus {
            let model = facts.gpu_name(g.index);
            if model_filter.as_ref().is_some_and(|f| !model.to_lowercase().contains(f.as_str())) {
                continue;
            }
            let available = g.state == GpuState::Free;
            if filter.available_only && !available {
                continue;
            }
            let m = r.metrics().and_then(|ms| ms.iter().find(|m| m.index == g.index));
            let read = m.filter(|m| !m.unreadable());
            let e = models.entry(model.to_owned()).or_default();
            e.0 += 1;
            e.1 += usize::from(available);
            let slot = match g.state {
                GpuState::Free => &mut inv.available,
                GpuState::Busy => &mut inv.busy,
                GpuState::Held => &mut inv.held,
                GpuState::Unknown => &mut inv.unknown,
            };
            *slot += 1;
            gpus.push(GpuEntry {
                index: g.index,
                uuid: m
                    .map(|m| m.uuid.as_str())
                    .filter(|u| !u.is_empty())
                    .unwrap_or(facts.gpu_uuid(g.index))
                    .to_owned(),
                model: model.to_owned(),
                memory_total_mb: facts.gpu_vram_mb(g.index),
                memory_used_mb: read.map(|m| m.memory_used_mb),
                utilization_percent: read.map(|m| m.utilization_percent),
                temperature_c: m.map(|m| m.temperature_c),
                power_draw_w: m.and_then(|m| m.power_draw_w),
                power_limit_w: m.and_then(|m| m.power_limit_w),
                state: g.state,
                available,
                held_by: g.held_by().cloned(),
                why: Some(g.why.to_string()).filter(|w| !w.is_empty()),
            });
        }
        inv.total += gpus.len();
        if !gpus.is_empty() {
            inv.nodes.push(NodeGpus { node_id: r.node.id.clone(), node_name: r.node.name.clone(), gpus });
        }
    }
    inv.by_model =
        models.into_iter().map(|(model, (total, available))| ModelAvailability { model, total, available }).collect();
    inv
}

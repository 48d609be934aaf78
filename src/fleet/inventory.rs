//! `claw_gpu_inventory`: one entry per GPU, with availability inferred from its numbers.

use super::probe::Report;
use super::status::{free_flags, is_free};
use super::FailedNode;
use crate::ledger::Ledger;
use serde::Serialize;
use std::collections::BTreeMap;

/// One GPU.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GpuEntry {
    /// Node id.
    pub node_id: String,
    /// Display name of the node.
    pub node_name: String,
    /// Device index on the node.
    pub index: u32,
    /// Stable device id.
    pub uuid: String,
    /// Model name.
    pub model: String,
    /// VRAM, MB.
    pub memory_total_mb: f64,
    /// VRAM in use, MB.
    pub memory_used_mb: f64,
    /// Utilisation, percent.
    pub utilization_percent: f64,
    /// Temperature, °C.
    pub temperature_c: f64,
    /// Power draw, W (null when the driver does not say).
    pub power_draw_w: Option<f64>,
    /// Power limit, W.
    pub power_limit_w: Option<f64>,
    /// No work seen on it and none just placed on it.
    pub available: bool,
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
    /// Every GPU that passed the filters, by node then index.
    pub gpus: Vec<GpuEntry>,
    /// GPUs listed.
    pub total: usize,
    /// Of which available.
    pub available: usize,
    /// By model.
    pub by_model: Vec<ModelAvailability>,
    /// Nodes that did not answer.
    pub failed_nodes: Vec<FailedNode>,
}

/// Filters of `claw_gpu_inventory`.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Part of the model name, any case.
    pub model: Option<String>,
    /// Only available GPUs.
    pub available_only: bool,
}

/// Builds the inventory from the reports of one fan-out.
pub fn aggregate(reports: &[Report], filter: &Filter, ledger: &Ledger, now: f64) -> Inventory {
    let mut inv = Inventory::default();
    let model_filter = filter.model.as_deref().map(str::to_lowercase);
    let mut models: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for r in reports {
        let facts = match (&r.facts, &r.metrics) {
            (Some(Err(e)), _) | (_, Some(Err(e))) => {
                inv.failed_nodes.push(FailedNode::new(&r.node, e));
                continue;
            }
            (Some(Ok(f)), _) => f,
            (None, _) => continue,
        };
        let flags = free_flags(r, ledger, now);
        for m in r.metrics().unwrap_or(&[]) {
            let model = facts.gpu_name(m.index);
            if model_filter.as_ref().is_some_and(|f| !model.to_lowercase().contains(f.as_str())) {
                continue;
            }
            let available = is_free(&flags, m.index);
            if filter.available_only && !available {
                continue;
            }
            let e = models.entry(model.to_owned()).or_default();
            e.0 += 1;
            e.1 += usize::from(available);
            inv.gpus.push(GpuEntry {
                node_id: r.node.id.clone(),
                node_name: r.node.name.clone(),
                index: m.index,
                uuid: m.uuid.clone(),
                model: model.to_owned(),
                memory_total_mb: m.memory_total_mb,
                memory_used_mb: m.memory_used_mb,
                utilization_percent: m.utilization_percent,
                temperature_c: m.temperature_c,
                power_draw_w: m.power_draw_w,
                power_limit_w: m.power_limit_w,
                available,
            });
        }
    }
    inv.total = inv.gpus.len();
    inv.available = inv.gpus.iter().filter(|g| g.available).count();
    inv.by_model =
        models.into_iter().map(|(model, (total, available))| ModelAvailability { model, total, available }).collect();
    inv
}

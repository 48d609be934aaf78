//! `gpu.list` and `gpu.metrics`: the GPUs of one node and what they are doing.

use crate::json::Fields;
use serde_json::Value;

/// A GPU as `gpu.list` describes it (static).
#[derive(Debug, Clone, PartialEq)]
pub struct Gpu {
    /// Device index.
    pub index: u32,
    /// Model name.
    pub name: String,
    /// Stable device id, `GPU-…`.
    pub uuid: String,
    /// VRAM in MB.
    pub memory_total_mb: f64,
}

/// One GPU's live numbers from `gpu.metrics`.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// Device index.
    pub index: u32,
    /// Stable device id.
    pub uuid: String,
    /// Utilisation in percent.
    pub utilization_percent: f64,
    /// VRAM in use, MB.
    pub memory_used_mb: f64,
    /// VRAM, MB.
    pub memory_total_mb: f64,
    /// Temperature in °C.
    pub temperature_c: f64,
    /// Power draw in W (`None` when the driver says `[N/A]`).
    pub power_draw_w: Option<f64>,
    /// Power limit in W.
    pub power_limit_w: Option<f64>,
}

/// VRAM in use at or below which a GPU counts as free (drivers hold a few MB on idle GPUs).
pub const FREE_MEMORY_MB: f64 = 1024.0;
/// Utilisation at or below which a GPU counts as free.
pub const FREE_UTILIZATION_PERCENT: f64 = 10.0;

impl Metric {
    /// Whether nothing appears to run on this GPU: clawnode reports no allocation, so it is
    /// inferred from memory in use and utilisation.
    pub fn looks_free(&self) -> bool {
        self.memory_used_mb <= FREE_MEMORY_MB && self.utilization_percent <= FREE_UTILIZATION_PERCENT
    }
}

/// Parses a `gpu.list` payload (`{count, gpus[], total_memory_gb}`).
pub fn parse_list(v: &Value) -> Result<Vec<Gpu>, String> {
    parse_list_fields(v).map_err(super::in_command("gpu.list"))
}

fn parse_list_fields(v: &Value) -> Result<Vec<Gpu>, String> {
    let f = Fields::of(v, "")?;
    let mut gpus = Vec::new();
    for (i, g) in f.arr("gpus")?.iter().enumerate() {
        let at = format!("gpus[{i}]");
        let g = Fields::of(g, &at)?;
        gpus.push(Gpu {
            index: g.count("index")?,
            name: g.opt_str("name")?.unwrap_or("unknown GPU").to_owned(),
            uuid: g.opt_str("uuid")?.unwrap_or_default().to_owned(),
            memory_total_mb: g.num("memory_total_mb")?,
        });
    }
    Ok(gpus)
}

/// Parses a `gpu.metrics` payload (`{count, metrics[]}`).
pub fn parse_metrics(v: &Value) -> Result<Vec<Metric>, String> {
    parse_metrics_fields(v).map_err(super::in_command("gpu.metrics"))
}

fn parse_metrics_fields(v: &Value) -> Result<Vec<Metric>, String> {
    let f = Fields::of(v, "")?;
    let mut out = Vec::new();
    for (i, m) in f.arr("metrics")?.iter().enumerate() {
        let at = format!("metrics[{i}]");
        let m = Fields::of(m, &at)?;
        let used = m.num("memory_used_mb")?;
        let total = m.num("memory_total_mb")?;
        if used > total {
            return Err(format!("{at}.memory_used_mb ({used}) exceeds memory_total_mb ({total})"));
        }
        out.push(Metric {
            index: m.count("index")?,
            uuid: m.opt_str("uuid")?.unwrap_or_default().to_owned(),
            utilization_percent: m.num("utilization_percent")?.min(100.0),
            memory_used_mb: used,
            memory_total_mb: total,
            temperature_c: m.num("temperature_c")?,
            power_draw_w: m.opt_num("power_draw_w")?,
            power_limit_w: m.opt_num("power_limit_w")?,
        });
    }
    Ok(out)
}

//! `gpu.list` and `gpu.metrics`: the GPUs of one node (nvidia-smi on the node) and what they
//! are doing. clawnode turns an unreadable reading (`[N/A]`, `[Not Supported]`, MIG mode) into
//! 0 for integers and `null` for power.

use super::{checked, each_gpu_once, entries, fast, whole, within, Obj, Parsed, Raw, MAX_MB};
use serde::Deserialize;

/// A GPU as `gpu.list` describes it (read once when clawnode starts).
#[derive(Debug, Clone, PartialEq)]
pub struct Gpu {
    /// Device index (`nvidia-smi --query-gpu=index`).
    pub index: u32,
    /// Model name, e.g. `NVIDIA H100 80GB HBM3`.
    pub name: String,
    /// Stable device id, `GPU-…`.
    pub uuid: String,
    /// VRAM in MB (0 when unreadable).
    pub memory_total_mb: f64,
}

/// One GPU's live numbers from `gpu.metrics`.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// Device index.
    pub index: u32,
    /// Stable device id.
    pub uuid: String,
    /// `utilization.gpu`, percent.
    pub utilization_percent: f64,
    /// `memory.used`, MB.
    pub memory_used_mb: f64,
    /// `memory.total`, MB (0 when unreadable).
    pub memory_total_mb: f64,
    /// `temperature.gpu`, °C.
    pub temperature_c: f64,
    /// `power.draw`, W (`None` when the driver says `[N/A]`).
    pub power_draw_w: Option<f64>,
    /// `power.limit`, W.
    pub power_limit_w: Option<f64>,
}

/// VRAM in use at or below which a GPU counts as free (drivers hold a few MB on idle GPUs).
pub const FREE_MEMORY_MB: f64 = 1024.0;
/// Utilisation at or below which a GPU counts as free.
pub const FREE_UTILIZATION_PERCENT: f64 = 10.0;

impl Metric {
    /// Whether the readings cannot be trusted: clawnode reports an unreadable VRAM total as 0,
    /// and a GPU with no VRAM does not exist, so its zeros mean "unknown", not "idle".
    pub fn unreadable(&self) -> bool {
        self.memory_total_mb <= 0.0
    }

    /// Whether nothing appears to run on this GPU (clawnode reports no allocation, so it is
    /// inferred from memory in use and utilisation). Meaningless when [`Metric::unreadable`].
    pub fn looks_free(&self) -> bool {
        self.memory_used_mb <= FREE_MEMORY_MB && self.utilization_percent <= FREE_UTILIZATION_PERCENT
    }
}

/// The payload, its GPUs read as `G` (in one pass) or raw (entry by entry).
#[derive(Deserialize)]
struct ListWire<G> {
    gpus: Vec<G>,
}

#[derive(Deserialize)]
struct GpuWire {
    index: u32,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    uuid: Option<String>,
    #[serde(default)]
    memory_total_mb: Option<f64>,
}

fn gpu(g: GpuWire) -> Result<Gpu, String> {
    Ok(Gpu {
        index: g.index,
        name: g.name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| "unknown GPU".to_owned()),
        uuid: g.uuid.unwrap_or_default(),
        memory_total_mb: within("memory_total_mb", g.memory_total_mb.unwrap_or(0.0), 0.0, MAX_MB)?,
    })
}

/// Parses a `gpu.list` payload (`{count, gpus[], total_memory_gb}`).
pub fn parse_list(text: &str) -> Result<Parsed<Vec<Gpu>>, String> {
    const GPUS: &str = "gpu.list gpus";
    let mut dropped = Vec::new();
    let value = match fast::<ListWire<Obj<GpuWire>>>(text) {
        Some(w) => checked(GPUS, w.gpus, &mut dropped, |g| gpu(g.0)),
        None => entries(GPUS, &whole::<ListWire<Raw>>("gpu.list", text)?.gpus, &mut dropped, gpu),
    };
    let value = each_gpu_once("gpu.list gpus", value, |g| g.index, &mut dropped);
    Ok(Parsed { value, dropped })
}

/// The payload, its metrics read as `M` (in one pass) or raw (entry by entry).
#[derive(Deserialize)]
struct MetricsWire<M> {
    metrics: Vec<M>,
}

#[derive(Deserialize)]
struct MetricWire {
    index: u32,
    #[serde(default)]
    uuid: Option<String>,
    utilization_percent: f64,
    memory_used_mb: f64,
    memory_total_mb: f64,
    temperature_c: f64,
    #[serde(default)]
    power_draw_w: Option<f64>,
    #[serde(default)]
    power_limit_w: Option<f64>,
}

fn metric(m: MetricWire) -> Result<Metric, String> {
    let total = within("memory_total_mb", m.memory_total_mb, 0.0, MAX_MB)?;
    let used = within("memory_used_mb", m.memory_used_mb, 0.0, MAX_MB)?;
    if total > 0.0 && used > total {
        return Err(format!("memory_used_mb ({used}) exceeds memory_total_mb ({total})"));
    }
    let power = |name: &str, v: Option<f64>| v.map(|w| within(name, w, 0.0, 100_000.0)).transpose();
    Ok(Metric {
        index: m.index,
        uuid: m.uuid.unwrap_or_default(),
        utilization_percent: within("utilization_percent", m.utilization_percent, 0.0, 100.0)?,
        memory_used_mb: used,
        memory_total_mb: total,
        temperature_c: within("temperature_c", m.temperature_c, 0.0, 200.0)?,
        power_draw_w: power("power_draw_w", m.power_draw_w)?,
        power_limit_w: power("power_limit_w", m.power_limit_w)?,
    })
}

/// Parses a `gpu.metrics` payload (`{count, metrics[]}`); a GPU whose entry is dropped is
/// simply not reported, and so counts as unknown, never as free.
pub fn parse_metrics(text: &str) -> Result<Parsed<Vec<Metric>>, String> {
    const METRICS: &str = "gpu.metrics metrics";
    let mut dropped = Vec::new();
    let mut value: Vec<Metric> = match fast::<MetricsWire<Obj<MetricWire>>>(text) {
        Some(w) => checked(METRICS, w.metrics, &mut dropped, |m| metric(m.0)),
        None => entries(METRICS, &whole::<MetricsWire<Raw>>("gpu.metrics", text)?.metrics, &mut dropped, metric),
    };
    // A GPU reported twice cannot be read either way: keep neither.
    let mut dup: Vec<u32> = Vec::new();
    for (i, m) in value.iter().enumerate() {
        if value.iter().skip(i + 1).any(|o| o.index == m.index) && !dup.contains(&m.index) {
            dup.push(m.index);
        }
    }
    if !dup.is_empty() {
        value.retain(|m| !dup.contains(&m.index));
        dropped.extend(dup.iter().map(|i| format!("gpu.metrics metrics: GPU {i} reported more than once")));
    }
    Ok(Parsed { value, dropped })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_zeros_are_not_idle_and_bad_entries_drop_alone() {
        let p = parse_metrics(
            r#"{"count":3,"metrics":[
              {"index":0,"uuid":"GPU-a","utilization_percent":0,"memory_used_mb":0,"memory_total_mb":0,"temperature_c":44,"power_draw_w":67.0,"power_limit_w":400.0},
              {"index":1,"utilization_percent":5,"memory_used_mb":3,"memory_total_mb":81559,"temperature_c":30,"power_draw_w":null},
              {"index":2,"utilization_percent":"[N/A]","memory_used_mb":3,"memory_total_mb":81559,"temperature_c":30}]}"#,
        )
        .unwrap();
        assert_eq!(p.value.len(), 2);
        assert!(p.value[0].unreadable());
        assert!(!p.value[1].unreadable() && p.value[1].looks_free());
        assert_eq!(
            p.dropped,
            ["gpu.metrics metrics[2]: utilization_percent: invalid type: string \"[N/A]\", expected f64"]
        );
    }
}

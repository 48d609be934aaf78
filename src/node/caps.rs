//! `node.capabilities`: the static facts of a node (runtime, CPUs, memory, GPUs).

use crate::json::Fields;
use serde_json::Value;

/// A GPU as `node.capabilities` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct GpuSpec {
    /// Device index (what `workload.run {gpus:n}` binds as `0..n-1`).
    pub index: u32,
    /// Model name, e.g. `NVIDIA H100 80GB HBM3`.
    pub name: String,
    /// VRAM in MB.
    pub memory_mb: f64,
}

/// A node's `node.capabilities` answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Capabilities {
    /// `docker` / `podman`, or `None` when the node has no container runtime. `container_runtime`
    /// is a config value clawnode reports whether or not the runtime exists; the `capabilities`
    /// tags (`docker`, `podman`, `container`) say whether it found one, so they decide.
    pub container_runtime: Option<String>,
    /// Logical CPUs.
    pub cpu_count: u32,
    /// Total memory in MB.
    pub total_memory_mb: f64,
    /// GPUs by index.
    pub gpus: Vec<GpuSpec>,
}

/// Parses a `node.capabilities` payload.
pub fn parse(v: &Value) -> Result<Capabilities, String> {
    parse_fields(v).map_err(super::in_command("node.capabilities"))
}

fn parse_fields(v: &Value) -> Result<Capabilities, String> {
    let f = Fields::of(v, "")?;
    let mut gpus = Vec::new();
    for (i, g) in f.opt_arr("gpus")?.iter().enumerate() {
        let at = format!("gpus[{i}]");
        let g = Fields::of(g, &at)?;
        gpus.push(GpuSpec {
            index: g.count("index")?,
            name: g.opt_str("name")?.unwrap_or("unknown GPU").to_owned(),
            memory_mb: g.opt_num("memory_mb")?.unwrap_or(0.0),
        });
    }
    let declared = f.opt_num("gpu_count")?.map(|n| n as usize);
    if let Some(n) = declared.filter(|&n| n != gpus.len()) {
        return Err(format!("gpu_count is {n} but gpus lists {}", gpus.len()));
    }
    let runtime = f.opt_str("container_runtime")?.map(str::trim).filter(|r| !r.is_empty() && *r != "none");
    let tags = f.opt_arr("capabilities")?;
    let found = tags.iter().any(|t| matches!(t.as_str(), Some("docker" | "podman" | "container")));
    let runtime = if f.raw("capabilities").is_some() && !found { None } else { runtime };
    Ok(Capabilities {
        container_runtime: runtime.map(str::to_owned),
        cpu_count: f.count("cpu_count")?,
        total_memory_mb: f.num("total_memory_mb")?,
        gpus,
    })
}

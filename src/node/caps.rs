//! `node.capabilities`: the static facts of a node (container runtime, CPUs, memory, GPUs).

use super::{each_gpu_once, entries, whole, within, Parsed, Raw, MAX_MB};
use serde::Deserialize;

/// A GPU as `node.capabilities` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct GpuSpec {
    /// Device index.
    pub index: u32,
    /// Model name, e.g. `NVIDIA H100 80GB HBM3`.
    pub name: String,
    /// VRAM in MB (0 when unreadable).
    pub memory_mb: f64,
}

/// The container runtime a node runs workloads with, and so how `workload.run {gpus: n}`
/// binds GPUs (clawnode's `workload.run`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runtime {
    /// `docker run --gpus "device=0,…,n-1"`: GPUs `0..n`.
    Docker,
    /// `podman run --device nvidia.com/gpu=all` for any n > 0: every GPU of the node.
    Podman,
    /// Any other configured value (a path, say): clawnode passes no GPU at all.
    Other(String),
}

impl Runtime {
    /// The runtime's name as the node configured it.
    pub fn name(&self) -> &str {
        match self {
            Runtime::Docker => "docker",
            Runtime::Podman => "podman",
            Runtime::Other(s) => s,
        }
    }

    /// The GPU indices a container asking for `gpus` binds on a node with `gpu_count` GPUs.
    pub fn binds(&self, gpus: u32, gpu_count: u32) -> Vec<u32> {
        match self {
            _ if gpus == 0 => Vec::new(),
            Runtime::Docker => (0..gpus).collect(),
            Runtime::Podman => (0..gpu_count).collect(),
            Runtime::Other(_) => Vec::new(),
        }
    }

    /// Where the runtime keeps images and container layers (rootful defaults).
    pub fn data_root(&self) -> &'static str {
        match self {
            Runtime::Podman => "/var/lib/containers",
            _ => "/var/lib/docker",
        }
    }
}

/// A node's `node.capabilities` answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Capabilities {
    /// The runtime, or `None` when the node found none. `container_runtime` is a config value
    /// clawnode reports whether or not the runtime exists; the `capabilities` tags (`docker`,
    /// `podman`, `container`) say whether it found one, so they decide.
    pub runtime: Option<Runtime>,
    /// Logical CPUs.
    pub cpu_count: u32,
    /// Total memory in MB.
    pub total_memory_mb: f64,
    /// GPUs by index.
    pub gpus: Vec<GpuSpec>,
}

/// The payload, its GPUs raw (read entry by entry).
#[derive(Deserialize)]
struct Wire<G> {
    #[serde(default)]
    container_runtime: Option<String>,
    #[serde(default)]
    capabilities: Option<Vec<String>>,
    cpu_count: u32,
    total_memory_mb: f64,
    #[serde(default = "Option::default")]
    gpus: Option<Vec<G>>,
}

#[derive(Deserialize)]
struct GpuWire {
    index: u32,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    memory_mb: Option<f64>,
}

/// Parses a `node.capabilities` payload.
pub fn parse(text: &str) -> Result<Parsed<Capabilities>, String> {
    // Read once per node and cached: the entry-by-entry path alone is enough.
    let w: Wire<Raw> = whole("node.capabilities", text)?;
    let mut dropped = Vec::new();
    let gpus = entries("node.capabilities gpus", w.gpus.as_deref().unwrap_or(&[]), &mut dropped, |g: GpuWire| {
        Ok(GpuSpec {
            index: g.index,
            name: g.name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| "unknown GPU".to_owned()),
            memory_mb: within("memory_mb", g.memory_mb.unwrap_or(0.0), 0.0, MAX_MB)?,
        })
    });
    let gpus = each_gpu_once("node.capabilities gpus", gpus, |g| g.index, &mut dropped);
    let found = match &w.capabilities {
        Some(tags) => tags.iter().any(|t| matches!(t.as_str(), "docker" | "podman" | "container")),
        None => true,
    };
    let runtime = w.container_runtime.as_deref().map(str::trim).filter(|r| found && !r.is_empty() && *r != "none").map(
        |r| match r {
            "docker" => Runtime::Docker,
            "podman" => Runtime::Podman,
            other => Runtime::Other(other.to_owned()),
        },
    );
    let total =
        within("total_memory_mb", w.total_memory_mb, 0.0, MAX_MB).map_err(|e| format!("node.capabilities: {e}"))?;
    Ok(Parsed { value: Capabilities { runtime, cpu_count: w.cpu_count, total_memory_mb: total, gpus }, dropped })
}

//! What does not change while a node runs: its capabilities and GPU list (both read once when
//! clawnode starts), kept together.

use super::caps::{Capabilities, Runtime};
use super::gpu::Gpu;

/// A node's static facts.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    /// `node.capabilities`.
    pub caps: Capabilities,
    /// `gpu.list` (empty for a node without GPUs).
    pub gpus: Vec<Gpu>,
    /// List entries dropped while parsing the two.
    pub dropped: Vec<String>,
    /// When they were fetched (ms since epoch).
    pub fetched_at: f64,
}

impl Facts {
    /// The model name of GPU `index`.
    pub fn gpu_name(&self, index: u32) -> &str {
        self.gpus
            .iter()
            .find(|g| g.index == index)
            .map(|g| g.name.as_str())
            .or_else(|| self.caps.gpus.iter().find(|g| g.index == index).map(|g| g.name.as_str()))
            .unwrap_or("unknown GPU")
    }

    /// The VRAM of GPU `index` in MB (0 when the node does not say).
    pub fn gpu_vram_mb(&self, index: u32) -> f64 {
        self.gpus
            .iter()
            .find(|g| g.index == index)
            .map(|g| g.memory_total_mb)
            .or_else(|| self.caps.gpus.iter().find(|g| g.index == index).map(|g| g.memory_mb))
            .unwrap_or(0.0)
    }

    /// The stable id of GPU `index` (empty when the node does not say).
    pub fn gpu_uuid(&self, index: u32) -> &str {
        self.gpus.iter().find(|g| g.index == index).map_or("", |g| g.uuid.as_str())
    }

    /// Number of GPUs the node has.
    pub fn gpu_count(&self) -> u32 {
        self.caps.gpus.len().max(self.gpus.len()) as u32
    }

    /// The container runtime, if the node has one.
    pub fn runtime(&self) -> Option<&Runtime> {
        self.caps.runtime.as_ref()
    }
}

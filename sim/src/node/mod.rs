//! One simulated clawnode: its hardware, its containers, its bookkeeping stores, and the
//! command handlers. Pure: no I/O; the caller passes the time in.

mod containers;
mod hardware;
pub mod lifecycle;
mod records;

use crate::spec::{ImageSpec, NodeSpec};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

pub use containers::{parse_memory_mb, Container, State};

/// What a node sends back for one invoke.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `ok: true` with this payload.
    Ok(Value),
    /// `ok: false, error: {code: "COMMAND_ERROR", message}`.
    Error(String),
    /// `ok: true` with this text as `payloadJSON`, which is not valid JSON.
    Malformed(String),
}

/// A simulated node's whole state.
pub struct Node {
    /// What the fleet file says about it.
    pub spec: NodeSpec,
    gpus: Vec<hardware::Gpu>,
    containers: Vec<Container>,
    records: records::Records,
    declared: BTreeSet<String>,
    started_ms: u64,
    rng: StdRng,
    queued_ids: Vec<String>,
    /// Images with behaviour (fleet file `[images]`), by reference.
    images: BTreeMap<String, ImageSpec>,
}

impl Node {
    /// A node as it is when the simulator starts at `now_ms`; `seed` makes ids reproducible.
    pub fn new(spec: NodeSpec, declared: &[String], now_ms: u64, seed: u64) -> Node {
        let gpus = hardware::gpus_of(&spec);
        let mut node = Node {
            gpus,
            containers: Vec::new(),
            records: records::Records::default(),
            declared: declared.iter().cloned().collect(),
            started_ms: now_ms,
            rng: StdRng::seed_from_u64(seed ^ name_seed(&spec.name)),
            queued_ids: Vec::new(),
            images: BTreeMap::new(),
            spec,
        };
        for w in node.spec.workloads.clone() {
            let id = node.container_id();
            node.containers.push(Container::from_spec(&w, id, now_ms));
        }
        node
    }

    /// Gives the node the fleet's images with behaviour (`workload.run` of one follows it).
    pub fn with_images(mut self, images: BTreeMap<String, ImageSpec>) -> Node {
        self.images = images;
        self
    }

    /// Serves one command at `now_ms`. `params` is the decoded `paramsJSON` (`Value::Null` when absent).
    pub fn handle(&mut self, command: &str, params: Value, now_ms: u64) -> Reply {
        for c in &mut self.containers {
            c.settle(now_ms);
        }
        if !self.declared.contains(command) {
            return Reply::Error(format!("unknown command: {command}"));
        }
        if let Some(message) = self.spec.faults.command_errors.get(command) {
            return Reply::Error(message.clone());
        }
        match self.dispatch(command, params, now_ms) {
            Ok(payload) if self.spec.faults.malformed_json.iter().any(|c| c == command) => {
                Reply::Malformed(truncate_json(&payload))
            }
            Ok(payload) => Reply::Ok(payload),
            Err(message) => Reply::Error(message),
        }
    }

    fn dispatch(&mut self, command: &str, params: Value, now: u64) -> Result<Value, String> {
        match command {
            "gpu.list" => Ok(self.gpu_list()),
            "gpu.metrics" => Ok(self.gpu_metrics()),
            "system.info" => Ok(self.system_info()),
            "node.health" => Ok(self.node_health(now)),
            "node.capabilities" => Ok(self.node_capabilities()),
            "system.run" => self.system_run(params),
            "system.which" => self.system_which(params),
            c if c.starts_with("workload.") || c == "container.exec" => self.container_command(c, params, now),
            "node.drain" => self.node_drain(params, now),
            c => self.record_command(c, params, now),
        }
    }

    /// Containers as `docker ps -a` would list them (newest first).
    pub fn containers(&self) -> &[Container] {
        &self.containers
    }

    /// GPU indices bound by running or paused containers.
    pub fn busy_gpus(&self) -> BTreeSet<u32> {
        self.containers.iter().filter(|c| c.holds_gpus()).flat_map(|c| 0..c.gpus).collect()
    }

    /// Makes the next container created use this id (tests pin ids to match fixtures).
    #[doc(hidden)]
    pub fn queue_container_id(&mut self, id: &str) {
        self.queued_ids.push(id.to_string());
    }

    /// A fresh 64-hex container id.
    fn container_id(&mut self) -> String {
        if !self.queued_ids.is_empty() {
            return self.queued_ids.remove(0);
        }
        (0..32).map(|_| format!("{:02x}", self.rng.gen::<u8>())).collect()
    }

    /// A random RFC 4122 version-4 uuid.
    fn uuid(&mut self) -> String {
        crate::uuid_v4(&mut self.rng)
    }

    fn hex(&mut self, bytes: usize) -> String {
        (0..bytes).map(|_| format!("{:02x}", self.rng.gen::<u8>())).collect()
    }

    /// Whether a container runtime binary is installed.
    fn has_runtime(&self) -> bool {
        self.spec.container_runtime != "none"
    }
}

/// Decodes params like clawnode does (`serde_json::from_value`), so errors read the same:
/// `invalid type: null, expected struct X`, `invalid type: map, expected a sequence`.
fn parse<T: DeserializeOwned>(params: Value) -> Result<T, String> {
    serde_json::from_value(params).map_err(|e| e.to_string())
}

/// A stable 64-bit seed from a node name.
fn name_seed(name: &str) -> u64 {
    let digest = Sha256::digest(name.as_bytes());
    digest.iter().take(8).fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
}

/// The JSON text of `payload` cut off part-way, as a truncated write would leave it.
fn truncate_json(payload: &Value) -> String {
    let text = payload.to_string();
    let keep = (text.len() * 2 / 3).max(1);
    let mut cut = keep.min(text.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.get(..cut).unwrap_or("{").to_string()
}

#[cfg(test)]
mod tests;

//! The fleet file: which nodes to simulate, their hardware, their workloads and their faults.
//!
//! TOML or JSON (chosen by the file extension, `.json` → JSON, anything else → TOML).
//! Every field except `name` has a default, so a node can be one line. Unknown keys are an
//! error, so a typo in a fault name does not silently simulate a healthy node.

use crate::latency::Latency;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A whole fleet: defaults shared by every node, then the nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fleet {
    /// Seconds between `node.event` heartbeats (clawnode: 30).
    #[serde(default = "default_heartbeat_secs")]
    pub heartbeat_secs: u64,
    /// Latency of every node that does not set its own.
    #[serde(default)]
    pub latency: Latency,
    /// The simulated machines.
    #[serde(default)]
    pub nodes: Vec<NodeSpec>,
}

/// One simulated clawnode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    /// Hostname and gateway display name.
    pub name: String,
    #[serde(default = "default_cpu_count")]
    pub cpu_count: u32,
    /// Total RAM in MiB.
    #[serde(default = "default_memory_mb")]
    pub memory_mb: u64,
    /// RAM in use before any simulated container, in MiB.
    #[serde(default = "default_memory_used_mb")]
    pub memory_used_mb: u64,
    /// Load average `[one, five, fifteen]`.
    #[serde(default = "default_load")]
    pub load: [f64; 3],
    /// `docker`, `podman`, or `none` (the binary is missing: workload commands fail).
    #[serde(default = "default_runtime")]
    pub container_runtime: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default = "default_uptime")]
    pub uptime_secs: u64,
    #[serde(default = "default_os")]
    pub os: String,
    #[serde(default = "default_os_version")]
    pub os_version: String,
    #[serde(default = "default_kernel")]
    pub kernel_version: String,
    /// GPU groups, in device order. Empty: a CPU-only node.
    #[serde(default)]
    pub gpus: Vec<GpuGroup>,
    /// Mounted filesystems. Empty: one 1 TB root disk at 40 %.
    #[serde(default)]
    pub disks: Vec<DiskSpec>,
    /// Containers present when the node starts (`docker ps -a`).
    #[serde(default)]
    pub workloads: Vec<WorkloadSpec>,
    /// Overrides the fleet's latency.
    #[serde(default)]
    pub latency: Option<Latency>,
    #[serde(default)]
    pub faults: Faults,
}

/// `count` identical GPUs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuGroup {
    /// nvidia-smi's name, e.g. `NVIDIA H100 80GB HBM3`.
    pub model: String,
    #[serde(default = "one")]
    pub count: u32,
    /// Memory per GPU in MiB, as nvidia-smi reports it (an H100 80GB says 81559).
    pub memory_mb: u64,
    /// Board power limit in W; `None` → the driver says `[N/A]` and power reads `null`.
    #[serde(default)]
    pub power_limit_w: Option<f64>,
    /// Temperature when idle, °C.
    #[serde(default = "default_idle_temp")]
    pub idle_temp_c: u32,
}

/// One filesystem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskSpec {
    #[serde(default = "default_mount")]
    pub mount: String,
    pub total_gb: u64,
    /// Percentage of the disk in use, 0–100.
    pub used_percent: f64,
}

/// A container that already exists when the node starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    pub name: String,
    pub image: String,
    /// GPUs bound (`0..gpus-1`) while running.
    #[serde(default)]
    pub gpus: u32,
    /// `running`, `exited`, `created`, `paused`, `restarting` or `dead`.
    #[serde(default = "default_state")]
    pub state: String,
    /// Exit code for `exited` / `restarting`.
    #[serde(default)]
    pub exit_code: i32,
    /// Seconds since it started (running) or stopped (exited), when the node starts.
    #[serde(default = "default_age")]
    pub age_secs: u64,
    /// Docker memory limit (`32g`), added to the node's used RAM while running.
    #[serde(default)]
    pub memory: Option<String>,
}

/// What goes wrong on a node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faults {
    /// GPUs that run hot whatever their load.
    #[serde(default)]
    pub hot_gpus: Vec<HotGpu>,
    /// Close the connection this many seconds after the process starts.
    #[serde(default)]
    pub disconnect_after_secs: Option<f64>,
    /// Come back this long after the timed disconnect (absent: stay away).
    #[serde(default)]
    pub reconnect_after_secs: Option<f64>,
    /// Commands that fail with `COMMAND_ERROR` and this message.
    #[serde(default)]
    pub command_errors: BTreeMap<String, String>,
    /// Commands whose answer is cut off mid-JSON (sent as `payloadJSON`).
    #[serde(default)]
    pub malformed_json: Vec<String>,
}

/// A GPU stuck at a temperature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HotGpu {
    pub index: u32,
    pub temperature_c: u32,
}

fn default_heartbeat_secs() -> u64 {
    30
}
fn default_cpu_count() -> u32 {
    32
}
fn default_memory_mb() -> u64 {
    257_614
}
fn default_memory_used_mb() -> u64 {
    12_288
}
fn default_load() -> [f64; 3] {
    [0.8, 0.7, 0.6]
}
fn default_runtime() -> String {
    "docker".to_string()
}
fn default_uptime() -> u64 {
    864_000
}
fn default_os() -> String {
    "Ubuntu".to_string()
}
fn default_os_version() -> String {
    "22.04".to_string()
}
fn default_kernel() -> String {
    "5.15.0-119-generic".to_string()
}
fn one() -> u32 {
    1
}
fn default_idle_temp() -> u32 {
    34
}
fn default_mount() -> String {
    "/".to_string()
}
fn default_state() -> String {
    "running".to_string()
}
fn default_age() -> u64 {
    3 * 3600
}

/// Container states a fleet file may start a workload in.
pub const WORKLOAD_STATES: [&str; 6] = ["running", "exited", "created", "paused", "restarting", "dead"];

impl Fleet {
    /// Parses a fleet from text; `json` selects the format.
    pub fn parse(text: &str, json: bool) -> Result<Fleet, String> {
        let fleet: Fleet = if json {
            serde_json::from_str(text).map_err(|e| format!("fleet file (JSON): {e}"))?
        } else {
            toml::from_str(text).map_err(|e| format!("fleet file (TOML): {e}"))?
        };
        fleet.validate()?;
        Ok(fleet)
    }

    /// Reads a fleet file (`.json` → JSON, else TOML).
    pub fn load(path: &Path) -> Result<Fleet, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read fleet file {}: {e}", path.display()))?;
        let json = path.extension().and_then(|e| e.to_str()) == Some("json");
        Fleet::parse(&text, json).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The default 8-node fleet shipped with the simulator.
    pub fn default_fleet() -> Result<Fleet, String> {
        Fleet::parse(crate::DEFAULT_FLEET_TOML, false)
    }

    /// Checks the fleet is coherent; the message names the node and field.
    pub fn validate(&self) -> Result<(), String> {
        if self.nodes.is_empty() {
            return Err("fleet has no nodes".to_string());
        }
        if self.heartbeat_secs == 0 {
            return Err("heartbeat_secs must be at least 1".to_string());
        }
        self.latency.validate()?;
        let mut names = BTreeSet::new();
        for node in &self.nodes {
            node.validate()?;
            if !names.insert(node.name.as_str()) {
                return Err(format!("node name {:?} appears twice", node.name));
            }
        }
        Ok(())
    }

    /// A generated fleet of `n` nodes, a deterministic mix of GPU shapes with a few faults
    /// sprinkled in (every 17th node hot, every 23rd disk nearly full, every 29th loaded,
    /// every 31st CPU-only).
    pub fn generated(n: usize) -> Fleet {
        let shapes: [(&str, u32, u64, Option<f64>); 4] = [
            ("NVIDIA H100 80GB HBM3", 8, 81_559, Some(700.0)),
            ("NVIDIA A100-SXM4-80GB", 8, 81_920, Some(400.0)),
            ("NVIDIA L4", 4, 23_034, Some(72.0)),
            ("NVIDIA A10G", 1, 23_028, Some(300.0)),
        ];
        let nodes = (0..n)
            .map(|i| {
                let (model, count, memory_mb, power) = shapes.get(i % shapes.len()).copied().unwrap_or(shapes[0]);
                let cpu_only = i % 31 == 30;
                let mut faults = Faults::default();
                if i % 17 == 16 && !cpu_only {
                    faults.hot_gpus.push(HotGpu { index: 0, temperature_c: 92 });
                }
                let used_percent = if i % 23 == 22 { 96.5 } else { 35.0 + (i % 7) as f64 * 5.0 };
                let cpu_count = 64;
                let load = if i % 29 == 28 { [150.0, 140.0, 120.0] } else { [2.0, 1.8, 1.5] };
                NodeSpec {
                    name: format!("sim-{i:04}"),
                    cpu_count,
                    memory_mb: 515_703,
                    memory_used_mb: 20_480,
                    load,
                    container_runtime: default_runtime(),
                    labels: BTreeMap::from([("rack".to_string(), format!("r{:02}", i / 16))]),
                    uptime_secs: default_uptime(),
                    os: default_os(),
                    os_version: default_os_version(),
                    kernel_version: default_kernel(),
                    gpus: if cpu_only {
                        vec![]
                    } else {
                        vec![GpuGroup { model: model.to_string(), count, memory_mb, power_limit_w: power, idle_temp_c: 33 }]
                    },
                    disks: vec![DiskSpec { mount: "/".to_string(), total_gb: 3_840, used_percent }],
                    workloads: vec![],
                    latency: None,
                    faults,
                }
            })
            .collect();
        Fleet { heartbeat_secs: default_heartbeat_secs(), latency: Latency::default(), nodes }
    }
}

impl NodeSpec {
    /// Number of GPUs across the groups.
    pub fn gpu_count(&self) -> u32 {
        self.gpus.iter().map(|g| g.count).sum()
    }

    fn validate(&self) -> Result<(), String> {
        let at = |field: &str| format!("node {:?}: {field}", self.name);
        if self.name.trim().is_empty() {
            return Err("a node has an empty name".to_string());
        }
        if self.cpu_count == 0 {
            return Err(format!("{} must be at least 1", at("cpu_count")));
        }
        if self.memory_used_mb > self.memory_mb {
            return Err(format!("{} ({}) exceeds memory_mb ({})", at("memory_used_mb"), self.memory_used_mb, self.memory_mb));
        }
        if !["docker", "podman", "none"].contains(&self.container_runtime.as_str()) {
            return Err(format!("{} must be docker, podman or none, got {:?}", at("container_runtime"), self.container_runtime));
        }
        if self.gpu_count() > 64 {
            return Err(format!("{} more than 64 GPUs", at("gpus")));
        }
        for g in &self.gpus {
            if g.count == 0 || g.memory_mb == 0 {
                return Err(format!("{} count and memory_mb must be at least 1 ({})", at("gpus"), g.model));
            }
        }
        for d in &self.disks {
            if !(0.0..=100.0).contains(&d.used_percent) {
                return Err(format!("{} used_percent must be 0–100, got {}", at("disks"), d.used_percent));
            }
        }
        let mut names = BTreeSet::new();
        for w in &self.workloads {
            if !WORKLOAD_STATES.contains(&w.state.as_str()) {
                return Err(format!("{} state of {:?} must be one of {}", at("workloads"), w.name, WORKLOAD_STATES.join(", ")));
            }
            if w.gpus > self.gpu_count() {
                return Err(format!("{} {:?} binds {} GPUs, the node has {}", at("workloads"), w.name, w.gpus, self.gpu_count()));
            }
            if !names.insert(w.name.as_str()) {
                return Err(format!("{} name {:?} appears twice", at("workloads"), w.name));
            }
        }
        for h in &self.faults.hot_gpus {
            if h.index >= self.gpu_count() {
                return Err(format!("{} GPU {} does not exist (the node has {})", at("faults.hot_gpus"), h.index, self.gpu_count()));
            }
        }
        if let Some(t) = self.faults.disconnect_after_secs {
            if !(t.is_finite() && t >= 0.0) {
                return Err(format!("{} must be a number of seconds >= 0", at("faults.disconnect_after_secs")));
            }
        }
        if let Some(t) = self.faults.reconnect_after_secs {
            if !(t.is_finite() && t >= 0.0) {
                return Err(format!("{} must be a number of seconds >= 0", at("faults.reconnect_after_secs")));
            }
        }
        if let Some(l) = &self.latency {
            l.validate().map_err(|e| format!("node {:?}: {e}", self.name))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_fleet_parses_and_has_eight_nodes() {
        let fleet = Fleet::default_fleet().unwrap();
        assert_eq!(fleet.nodes.len(), 8);
    }

    #[test]
    fn default_fleet_exercises_every_fault() {
        let fleet = Fleet::default_fleet().unwrap();
        let n = &fleet.nodes;
        assert!(n.iter().any(|x| x.gpus.is_empty()), "cpu-only");
        assert!(n.iter().any(|x| x.container_runtime == "none"), "no runtime");
        assert!(n.iter().any(|x| !x.faults.hot_gpus.is_empty()), "hot gpu");
        assert!(n.iter().any(|x| x.disks.iter().any(|d| d.used_percent > 95.0)), "full disk");
        assert!(n.iter().any(|x| x.load[0] > 2.0 * f64::from(x.cpu_count)), "high load");
        assert!(n.iter().any(|x| matches!(x.latency, Some(Latency::Uniform { min_ms, .. }) if min_ms >= 500)), "slow");
        assert!(n.iter().any(|x| x.faults.disconnect_after_secs.is_some()), "disconnect");
        assert!(n.iter().any(|x| !x.faults.command_errors.is_empty()), "command error");
        assert!(n.iter().any(|x| !x.faults.malformed_json.is_empty()), "malformed json");
    }

    #[test]
    fn minimal_node_gets_defaults() {
        let fleet = Fleet::parse("[[nodes]]\nname = \"a\"\n", false).unwrap();
        assert_eq!(fleet.nodes[0].cpu_count, 32);
        assert_eq!(fleet.nodes[0].container_runtime, "docker");
        assert_eq!(fleet.heartbeat_secs, 30);
    }

    #[test]
    fn json_fleets_parse_too() {
        let fleet = Fleet::parse(r#"{"nodes":[{"name":"a","gpus":[{"model":"NVIDIA L4","count":2,"memory_mb":23034}]}]}"#, true).unwrap();
        assert_eq!(fleet.nodes[0].gpu_count(), 2);
    }

    #[test]
    fn typos_and_incoherent_values_are_errors() {
        let err = Fleet::parse("[[nodes]]\nname = \"a\"\n[nodes.faults]\nhot_gpu = 1\n", false).unwrap_err();
        assert!(err.contains("unknown field `hot_gpu`"), "{err}");
        let err = Fleet::parse("[[nodes]]\nname = \"a\"\n[[nodes.faults.hot_gpus]]\nindex = 0\ntemperature_c = 90\n", false).unwrap_err();
        assert_eq!(err, "node \"a\": faults.hot_gpus GPU 0 does not exist (the node has 0)");
        let err = Fleet::parse("[[nodes]]\nname = \"a\"\n[[nodes]]\nname = \"a\"\n", false).unwrap_err();
        assert_eq!(err, "node name \"a\" appears twice");
        let err = Fleet::parse("[[nodes]]\nname = \"a\"\ncontainer_runtime = \"rkt\"\n", false).unwrap_err();
        assert_eq!(err, "node \"a\": container_runtime must be docker, podman or none, got \"rkt\"");
        assert_eq!(Fleet::parse("", false).unwrap_err(), "fleet has no nodes");
    }

    #[test]
    fn generated_fleet_has_unique_names_and_validates() {
        let fleet = Fleet::generated(100);
        assert_eq!(fleet.nodes.len(), 100);
        fleet.validate().unwrap();
        assert!(fleet.nodes.iter().any(|n| n.gpus.is_empty()));
        assert!(fleet.nodes.iter().any(|n| !n.faults.hot_gpus.is_empty()));
    }
}

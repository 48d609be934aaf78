//! The fleet file: which nodes to simulate, their hardware, their workloads and their faults.
//!
//! TOML or JSON (chosen by the file extension, `.json` → JSON, anything else → TOML).
//! Every field except `name` has a default, so a node can be one line. Unknown keys are an
//! error, so a typo in a fault name does not silently simulate a healthy node.

use crate::latency::Latency;
use crate::wire::WireMode;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
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
    /// Wire mode of every node that does not set its own (absent: `--wire`, else `current`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wire: Option<WireMode>,
    /// Images with behaviour, by the exact reference `workload.run` names (`clawsim/crash:1`).
    /// Any other image starts at once and runs until stopped.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub images: BTreeMap<String, ImageSpec>,
    /// The simulated machines.
    #[serde(default)]
    pub nodes: Vec<NodeSpec>,
}

/// One simulated clawnode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    /// The node's unique name: its key in control lines, events and the state dir; also its
    /// hostname unless `display_name` is set.
    pub name: String,
    /// Hostname the node reports (`client.displayName`, `node.health.hostname`, …) when it
    /// differs from `name`. Need not be unique: cloned machines all say `ubuntu`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// How this node connects (absent: the fleet's `wire`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wire: Option<WireMode>,
    /// `cli` (every real clawnode) or `sdk` (clawnode's docker-feature shape of `workload.list`).
    #[serde(default, skip_serializing_if = "ListShape::is_cli")]
    pub workload_list_shape: ListShape,
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
    /// Its healthcheck's verdict (running containers only): the status reads
    /// `Up 8 minutes (unhealthy)`, `(healthy)` or `(health: starting)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<Health>,
}

/// A container healthcheck's status, as Docker reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    Healthy,
    Unhealthy,
    Starting,
}

impl Health {
    /// Docker's `State.Health.Status`: `healthy`, `unhealthy`, `starting`.
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::Unhealthy => "unhealthy",
            Health::Starting => "starting",
        }
    }

    /// What `docker ps` puts in brackets after `Up …` (moby `Health.String()`):
    /// `healthy`, `unhealthy`, `health: starting`.
    pub fn status_suffix(self) -> &'static str {
        match self {
            Health::Starting => "health: starting",
            other => other.as_str(),
        }
    }
}

/// The shape of a node's `workload.list` answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ListShape {
    /// `{containerId (12 hex), image, status, name}` items, `runtime: "cli"`: what every
    /// shipped clawnode sends (it shells out to the docker CLI).
    #[default]
    Cli,
    /// clawnode's docker-feature (bollard) shape: `{containerId (64 hex), image, state, gpus: [],
    /// createdAt, labels: {}, workloadId: null}` items with no `status` or `name`,
    /// `runtime: "docker-sdk"` (clawnode `commands.rs` `handle_workload_list`).
    Sdk,
}

impl ListShape {
    fn is_cli(&self) -> bool {
        *self == ListShape::Cli
    }
}

/// What a container of an image does once `workload.run` starts it. Times are measured from
/// the `workload.run`; the container's status text follows Docker's (`Created`, `Up 5 seconds`,
/// `Exited (1) 3 seconds ago`, `Restarting (1) 2 seconds ago`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageSpec {
    /// Seconds it stays `Created` before it is `Up` (a slow pull or start hook).
    #[serde(default)]
    pub start_secs: f64,
    /// Exit code of its process; absent: it runs until stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// How long the process runs before it exits, in ms (0: at once). Needs `exit_code`.
    #[serde(default)]
    pub exit_after_ms: u64,
    /// Restart after every exit, with Docker's back-off (100 ms doubling to 1 min, reset after
    /// a run of 10 s or more), as `--restart unless-stopped` does. Needs `exit_code`.
    #[serde(default)]
    pub restart: bool,
    /// Lines it prints on stdout at each start (`workload.logs` `logs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log: Vec<String>,
    /// Lines it prints on stderr at each start (`workload.logs` `stderr`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stderr: Vec<String>,
    /// Its healthcheck's verdict while it is up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<Health>,
}

impl ImageSpec {
    fn validate(&self, image: &str) -> Result<(), String> {
        let at = |field: &str| format!("image {image:?}: {field}");
        if image.trim().is_empty() || image.chars().any(char::is_whitespace) {
            return Err(format!("image name {image:?} must be a docker reference without spaces"));
        }
        if !(self.start_secs.is_finite() && self.start_secs >= 0.0) {
            return Err(format!("{} must be a number of seconds >= 0", at("start_secs")));
        }
        if self.exit_code.is_none() && self.exit_after_ms > 0 {
            return Err(format!("{} needs exit_code (what does it exit with?)", at("exit_after_ms")));
        }
        if self.exit_code.is_none() && self.restart {
            return Err(format!("{} needs exit_code (a restart loop restarts after an exit)", at("restart")));
        }
        Ok(())
    }
}

/// The kind of generated fleet `--nodes N` makes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Shape {
    /// A mix of H100/A100/L4/A10G nodes with no containers and a few faults.
    #[default]
    Small,
    /// Every node 8 × H100 80GB with 3 containers (2 running, 1 exited), all healthy.
    Realistic,
}

impl Shape {
    /// Parses `small` or `realistic`.
    pub fn parse(text: &str) -> Result<Shape, String> {
        match text {
            "small" => Ok(Shape::Small),
            "realistic" => Ok(Shape::Realistic),
            other => Err(format!("shape must be small or realistic, got {other:?}")),
        }
    }
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
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read fleet file {}: {e}", path.display()))?;
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
        for (image, spec) in &self.images {
            spec.validate(image)?;
        }
        let mut names = BTreeSet::new();
        for node in &self.nodes {
            node.validate()?;
            if !names.insert(node.name.as_str()) {
                return Err(format!("node name {:?} appears twice", node.name));
            }
        }
        Ok(())
    }

    /// The wire mode of `node`: its own, else `cli` (`--wire`), else the fleet's, else current.
    pub fn wire_of(&self, node: &NodeSpec, cli: Option<WireMode>) -> WireMode {
        node.wire.or(cli).or(self.wire).unwrap_or_default()
    }

    /// A generated fleet of `n` nodes named `sim-0000`, `sim-0001`, …; the same `n`, `shape`
    /// and `seed` always give the same fleet.
    pub fn generated(n: usize, shape: Shape, seed: u64) -> Fleet {
        let nodes = match shape {
            Shape::Small => (0..n).map(small_node).collect(),
            Shape::Realistic => {
                let mut rng = StdRng::seed_from_u64(seed);
                (0..n).map(|i| realistic_node(i, &mut rng)).collect()
            }
        };
        Fleet {
            heartbeat_secs: default_heartbeat_secs(),
            latency: Latency::default(),
            wire: None,
            images: BTreeMap::new(),
            nodes,
        }
    }
}

/// A node with every optional field at its default: the base the generators fill in.
fn blank_node(name: String) -> NodeSpec {
    NodeSpec {
        name,
        display_name: None,
        wire: None,
        workload_list_shape: ListShape::Cli,
        cpu_count: default_cpu_count(),
        memory_mb: default_memory_mb(),
        memory_used_mb: default_memory_used_mb(),
        load: default_load(),
        container_runtime: default_runtime(),
        labels: BTreeMap::new(),
        uptime_secs: default_uptime(),
        os: default_os(),
        os_version: default_os_version(),
        kernel_version: default_kernel(),
        gpus: vec![],
        disks: vec![],
        workloads: vec![],
        latency: None,
        faults: Faults::default(),
    }
}

/// Node `i` of the small shape: a deterministic mix of GPU shapes with a few faults sprinkled
/// in (every 17th node hot, every 23rd disk nearly full, every 29th loaded, every 31st
/// CPU-only), no containers.
fn small_node(i: usize) -> NodeSpec {
    let shapes: [(&str, u32, u64, Option<f64>); 4] = [
        ("NVIDIA H100 80GB HBM3", 8, 81_559, Some(700.0)),
        ("NVIDIA A100-SXM4-80GB", 8, 81_920, Some(400.0)),
        ("NVIDIA L4", 4, 23_034, Some(72.0)),
        ("NVIDIA A10G", 1, 23_028, Some(300.0)),
    ];
    let (model, count, memory_mb, power) = shapes.get(i % shapes.len()).copied().unwrap_or(shapes[0]);
    let cpu_only = i % 31 == 30;
    let mut faults = Faults::default();
    if i % 17 == 16 && !cpu_only {
        faults.hot_gpus.push(HotGpu { index: 0, temperature_c: 92 });
    }
    let used_percent = if i % 23 == 22 { 96.5 } else { 35.0 + (i % 7) as f64 * 5.0 };
    NodeSpec {
        cpu_count: 64,
        memory_mb: 515_703,
        memory_used_mb: 20_480,
        load: if i % 29 == 28 { [150.0, 140.0, 120.0] } else { [2.0, 1.8, 1.5] },
        labels: BTreeMap::from([("rack".to_string(), format!("r{:02}", i / 16))]),
        gpus: if cpu_only {
            vec![]
        } else {
            vec![GpuGroup { model: model.to_string(), count, memory_mb, power_limit_w: power, idle_temp_c: 33 }]
        },
        disks: vec![DiskSpec { mount: "/".to_string(), total_gb: 3_840, used_percent }],
        faults,
        ..blank_node(format!("sim-{i:04}"))
    }
}

/// Node `i` of the realistic shape: a DGX-H100-like machine (224 CPUs, 2 TB RAM, 8 × H100
/// 80GB), all healthy, with 3 containers: a 4-GPU training job (GPUs 0-3, 256g) and a metrics
/// exporter running, and a 1-GPU evaluation that exited 0. The seeded draws (load, disk use,
/// idle temperature, uptime, ages) stay inside healthy ranges and change no total.
fn realistic_node(i: usize, rng: &mut StdRng) -> NodeSpec {
    let one = (rng.gen_range(2.0..20.0_f64) * 100.0).round() / 100.0;
    let workload =
        |name: String, image: &str, gpus: u32, state: &str, age_secs: u64, memory: Option<&str>| WorkloadSpec {
            name,
            image: image.to_string(),
            gpus,
            state: state.to_string(),
            exit_code: 0,
            age_secs,
            memory: memory.map(str::to_string),
            health: None,
        };
    NodeSpec {
        cpu_count: 224,
        memory_mb: 2_063_731,
        memory_used_mb: 32_768,
        load: [one, (one * 0.9 * 100.0).round() / 100.0, (one * 0.8 * 100.0).round() / 100.0],
        labels: BTreeMap::from([
            ("rack".to_string(), format!("r{:02}", i / 16)),
            ("pool".to_string(), "train".to_string()),
        ]),
        uptime_secs: rng.gen_range(86_400..4_000_000),
        gpus: vec![GpuGroup {
            model: "NVIDIA H100 80GB HBM3".to_string(),
            count: 8,
            memory_mb: 81_559,
            power_limit_w: Some(700.0),
            idle_temp_c: rng.gen_range(29..=38),
        }],
        disks: vec![
            DiskSpec {
                mount: "/".to_string(),
                total_gb: 3_576,
                used_percent: f64::from(rng.gen_range(200..700_u32)) / 10.0,
            },
            DiskSpec {
                mount: "/data".to_string(),
                total_gb: 30_720,
                used_percent: f64::from(rng.gen_range(100..800_u32)) / 10.0,
            },
        ],
        workloads: vec![
            workload(
                format!("train-{i:04}"),
                "nvcr.io/nvidia/pytorch:24.05-py3",
                4,
                "running",
                rng.gen_range(600..259_200),
                Some("256g"),
            ),
            workload(
                "dcgm-exporter".to_string(),
                "nvcr.io/nvidia/k8s/dcgm-exporter:3.3.5-3.4.0-ubuntu22.04",
                0,
                "running",
                rng.gen_range(86_400..1_728_000),
                None,
            ),
            workload(format!("eval-{i:04}"), "ghcr.io/acme/eval:1.4.2", 1, "exited", rng.gen_range(60..86_400), None),
        ],
        ..blank_node(format!("sim-{i:04}"))
    }
}

impl NodeSpec {
    /// The hostname it reports: `display_name`, else `name`.
    pub fn hostname(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.name)
    }

    /// Number of GPUs across the groups.
    pub fn gpu_count(&self) -> u32 {
        self.gpus.iter().map(|g| g.count).sum()
    }

    fn validate(&self) -> Result<(), String> {
        let at = |field: &str| format!("node {:?}: {field}", self.name);
        if self.name.trim().is_empty() {
            return Err("a node has an empty name".to_string());
        }
        if self.display_name.as_deref().is_some_and(|d| d.trim().is_empty()) {
            return Err(format!("{} must not be empty", at("display_name")));
        }
        if self.cpu_count == 0 {
            return Err(format!("{} must be at least 1", at("cpu_count")));
        }
        if self.memory_used_mb > self.memory_mb {
            return Err(format!(
                "{} ({}) exceeds memory_mb ({})",
                at("memory_used_mb"),
                self.memory_used_mb,
                self.memory_mb
            ));
        }
        if !["docker", "podman", "none"].contains(&self.container_runtime.as_str()) {
            return Err(format!(
                "{} must be docker, podman or none, got {:?}",
                at("container_runtime"),
                self.container_runtime
            ));
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
                return Err(format!(
                    "{} state of {:?} must be one of {}",
                    at("workloads"),
                    w.name,
                    WORKLOAD_STATES.join(", ")
                ));
            }
            if w.gpus > self.gpu_count() {
                return Err(format!(
                    "{} {:?} binds {} GPUs, the node has {}",
                    at("workloads"),
                    w.name,
                    w.gpus,
                    self.gpu_count()
                ));
            }
            if !names.insert(w.name.as_str()) {
                return Err(format!("{} name {:?} appears twice", at("workloads"), w.name));
            }
            if w.health.is_some() && w.state != "running" {
                return Err(format!(
                    "{} {:?} has a health but is {} (health shows on running containers)",
                    at("workloads"),
                    w.name,
                    w.state
                ));
            }
        }
        for h in &self.faults.hot_gpus {
            if h.index >= self.gpu_count() {
                return Err(format!(
                    "{} GPU {} does not exist (the node has {})",
                    at("faults.hot_gpus"),
                    h.index,
                    self.gpu_count()
                ));
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
        let fleet = Fleet::parse(
            r#"{"nodes":[{"name":"a","gpus":[{"model":"NVIDIA L4","count":2,"memory_mb":23034}]}]}"#,
            true,
        )
        .unwrap();
        assert_eq!(fleet.nodes[0].gpu_count(), 2);
    }

    #[test]
    fn typos_and_incoherent_values_are_errors() {
        let err = Fleet::parse("[[nodes]]\nname = \"a\"\n[nodes.faults]\nhot_gpu = 1\n", false).unwrap_err();
        assert!(err.contains("unknown field `hot_gpu`"), "{err}");
        let err =
            Fleet::parse("[[nodes]]\nname = \"a\"\n[[nodes.faults.hot_gpus]]\nindex = 0\ntemperature_c = 90\n", false)
                .unwrap_err();
        assert_eq!(err, "node \"a\": faults.hot_gpus GPU 0 does not exist (the node has 0)");
        let err = Fleet::parse("[[nodes]]\nname = \"a\"\n[[nodes]]\nname = \"a\"\n", false).unwrap_err();
        assert_eq!(err, "node name \"a\" appears twice");
        let err = Fleet::parse("[[nodes]]\nname = \"a\"\ncontainer_runtime = \"rkt\"\n", false).unwrap_err();
        assert_eq!(err, "node \"a\": container_runtime must be docker, podman or none, got \"rkt\"");
        assert_eq!(Fleet::parse("", false).unwrap_err(), "fleet has no nodes");
    }

    #[test]
    fn generated_fleet_has_unique_names_and_validates() {
        let fleet = Fleet::generated(100, Shape::Small, 1);
        assert_eq!(fleet.nodes.len(), 100);
        fleet.validate().unwrap();
        assert!(fleet.nodes.iter().any(|n| n.gpus.is_empty()));
        assert!(fleet.nodes.iter().any(|n| !n.faults.hot_gpus.is_empty()));
    }

    #[test]
    fn the_small_shape_ignores_the_seed() {
        assert_eq!(Fleet::generated(40, Shape::Small, 1), Fleet::generated(40, Shape::Small, 2));
    }

    #[test]
    fn the_realistic_shape_is_eight_h100s_and_three_containers_per_node_and_seeded() {
        let fleet = Fleet::generated(50, Shape::Realistic, 7);
        fleet.validate().unwrap();
        for n in &fleet.nodes {
            assert_eq!(n.gpus.len(), 1);
            assert_eq!(
                (n.gpus[0].model.as_str(), n.gpus[0].count, n.gpus[0].memory_mb),
                ("NVIDIA H100 80GB HBM3", 8, 81_559)
            );
            let states: Vec<&str> = n.workloads.iter().map(|w| w.state.as_str()).collect();
            assert_eq!(states, ["running", "running", "exited"]);
            assert!(n.faults == Faults::default());
            assert!(n.load[1] < f64::from(n.cpu_count), "{:?}", n.load);
            assert!(n.disks.iter().all(|d| d.used_percent < 80.0));
        }
        assert_eq!(fleet, Fleet::generated(50, Shape::Realistic, 7));
        assert_ne!(fleet, Fleet::generated(50, Shape::Realistic, 8));
        assert_eq!(Shape::parse("huge"), Err("shape must be small or realistic, got \"huge\"".to_string()));
    }

    #[test]
    fn wire_modes_come_from_the_node_then_the_command_line_then_the_fleet() {
        let text = "wire = \"legacy\"\n[[nodes]]\nname = \"a\"\n[[nodes]]\nname = \"b\"\nwire = \"legacy-scopes\"\n";
        let fleet = Fleet::parse(text, false).unwrap();
        let [a, b] = [&fleet.nodes[0], &fleet.nodes[1]];
        assert_eq!((fleet.wire_of(a, None), fleet.wire_of(b, None)), (WireMode::Legacy, WireMode::LegacyScopes));
        assert_eq!(fleet.wire_of(a, Some(WireMode::Current)), WireMode::Current);
        assert_eq!(fleet.wire_of(b, Some(WireMode::Current)), WireMode::LegacyScopes);
        let plain = Fleet::parse("[[nodes]]\nname = \"a\"\n", false).unwrap();
        assert_eq!(plain.wire_of(&plain.nodes[0], None), WireMode::Current);
        let err = Fleet::parse("[[nodes]]\nname = \"a\"\nwire = \"v4\"\n", false).unwrap_err();
        assert!(err.contains("unknown variant `v4`, expected one of `current`, `legacy`, `legacy-scopes`"), "{err}");
    }

    #[test]
    fn display_names_may_repeat_but_names_may_not() {
        let text = "[[nodes]]\nname = \"ubuntu-a\"\ndisplay_name = \"ubuntu\"\n[[nodes]]\nname = \"ubuntu-b\"\ndisplay_name = \"ubuntu\"\n";
        let fleet = Fleet::parse(text, false).unwrap();
        assert_eq!(fleet.nodes.iter().map(NodeSpec::hostname).collect::<Vec<_>>(), ["ubuntu", "ubuntu"]);
        let err = Fleet::parse("[[nodes]]\nname = \"a\"\ndisplay_name = \" \"\n", false).unwrap_err();
        assert_eq!(err, "node \"a\": display_name must not be empty");
    }

    #[test]
    fn images_and_health_are_checked() {
        let ok = "[images.\"clawsim/crash:1\"]\nexit_code = 1\nlog = [\"boom\"]\n[[nodes]]\nname = \"a\"\n";
        let fleet = Fleet::parse(ok, false).unwrap();
        assert_eq!(fleet.images["clawsim/crash:1"].exit_code, Some(1));
        let loop_without_code = "[images.\"x:1\"]\nrestart = true\n[[nodes]]\nname = \"a\"\n";
        assert_eq!(
            Fleet::parse(loop_without_code, false).unwrap_err(),
            "image \"x:1\": restart needs exit_code (a restart loop restarts after an exit)"
        );
        let delay_without_code = "[images.\"x:1\"]\nexit_after_ms = 5\n[[nodes]]\nname = \"a\"\n";
        assert_eq!(
            Fleet::parse(delay_without_code, false).unwrap_err(),
            "image \"x:1\": exit_after_ms needs exit_code (what does it exit with?)"
        );
        let typo = "[images.\"x:1\"]\nexitcode = 1\n[[nodes]]\nname = \"a\"\n";
        assert!(Fleet::parse(typo, false).unwrap_err().contains("unknown field `exitcode`"));
        let bad_health = "[[nodes]]\nname = \"a\"\nworkloads = [{ name = \"w\", image = \"x:1\", state = \"exited\", health = \"healthy\" }]\n";
        assert_eq!(
            Fleet::parse(bad_health, false).unwrap_err(),
            "node \"a\": workloads \"w\" has a health but is exited (health shows on running containers)"
        );
        let sdk = Fleet::parse("[[nodes]]\nname = \"a\"\nworkload_list_shape = \"sdk\"\n", false).unwrap();
        assert_eq!(sdk.nodes[0].workload_list_shape, ListShape::Sdk);
    }
}

//! GPU, health, capability and system commands (snake_case payloads, like clawnode's).

use super::{parse, Node};
use crate::spec::NodeSpec;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// The 38 names clawnode puts in `node.capabilities.commands` and `system.info.commands`
/// (a fixed subset, not what the node really serves).
pub const ADVERTISED_COMMANDS: [&str; 38] = [
    "system.info",
    "system.run",
    "system.which",
    "gpu.list",
    "gpu.metrics",
    "workload.run",
    "workload.stop",
    "workload.logs",
    "workload.list",
    "workload.inspect",
    "workload.stats",
    "container.exec",
    "node.capabilities",
    "node.health",
    "config.create",
    "config.get",
    "config.update",
    "config.delete",
    "config.list",
    "job.create",
    "job.status",
    "job.logs",
    "job.delete",
    "cron.create",
    "cron.list",
    "cron.trigger",
    "cron.suspend",
    "cron.resume",
    "namespace.create",
    "namespace.set_quota",
    "namespace.usage",
    "namespace.list",
    "node.label",
    "node.taint",
    "node.drain",
    "policy.create",
    "policy.validate",
    "policy.list",
];

const PCI_BUSES: [u8; 16] =
    [0x18, 0x2A, 0x3A, 0x5D, 0x9A, 0xAB, 0xBA, 0xDB, 0x19, 0x2B, 0x3B, 0x5E, 0x9B, 0xAC, 0xBB, 0xDC];

/// One GPU as the node sees it.
#[derive(Debug, Clone)]
pub struct Gpu {
    pub index: u32,
    pub model: String,
    pub memory_total_mb: u64,
    pub power_limit_w: Option<f64>,
    pub idle_temp_c: u32,
    pub uuid: String,
    pub pci_bus_id: String,
}

/// The node's GPUs in device order, with uuids derived from the node name (stable).
pub fn gpus_of(spec: &NodeSpec) -> Vec<Gpu> {
    let mut out = Vec::new();
    for group in &spec.gpus {
        for _ in 0..group.count {
            let index = out.len() as u32;
            let d = Sha256::digest(format!("{}/{index}", spec.name).as_bytes());
            let h: String = d.iter().take(16).map(|b| format!("{b:02x}")).collect();
            let bus = PCI_BUSES.get(index as usize % PCI_BUSES.len()).copied().unwrap_or(0x18);
            out.push(Gpu {
                index,
                model: group.model.clone(),
                memory_total_mb: group.memory_mb,
                power_limit_w: group.power_limit_w,
                idle_temp_c: group.idle_temp_c,
                uuid: format!("GPU-{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32]),
                pci_bus_id: format!("{:08X}:{bus:02X}:00.{}", 0, index / 16),
            });
        }
    }
    out
}

/// nvidia-smi's power numbers are f32; clawnode widens them to f64 (`512.3400268554688`).
fn f32_wide(x: f64) -> f64 {
    f64::from(x as f32)
}

#[derive(Deserialize)]
#[allow(dead_code)] // fields are read by serde only, to reject wrong types like clawnode does
struct SystemRunParams {
    command: Vec<String>,
    cwd: Option<String>,
    env: Option<Vec<String>>,
    #[serde(rename = "timeoutMs")]
    timeout_ms: Option<u64>,
}

#[derive(Deserialize)]
struct SystemWhichParams {
    bins: Vec<String>,
}

impl Node {
    fn total_gpu_memory_gb(&self) -> u64 {
        self.gpus.iter().map(|g| g.memory_total_mb).sum::<u64>() / 1024
    }

    fn capability_list(&self) -> Vec<&'static str> {
        let mut caps = vec!["system"];
        if !self.gpus.is_empty() {
            caps.extend(["gpu", "nvidia"]);
        }
        match self.spec.container_runtime.as_str() {
            "docker" => caps.extend(["docker", "container"]),
            "podman" => caps.extend(["podman", "container"]),
            _ => {}
        }
        caps
    }

    /// RAM in use now: the base plus the memory limits of running containers.
    fn memory_used_mb(&self) -> u64 {
        let containers: u64 = self.containers.iter().filter(|c| c.holds_gpus()).map(|c| c.memory_mb).sum();
        (self.spec.memory_used_mb + containers).min(self.spec.memory_mb)
    }

    pub(super) fn gpu_list(&self) -> Value {
        let gpus: Vec<Value> = self
            .gpus
            .iter()
            .map(|g| {
                json!({
                    "index": g.index,
                    "name": g.model,
                    "uuid": g.uuid,
                    "memory_total_mb": g.memory_total_mb,
                    "pci_bus_id": g.pci_bus_id,
                })
            })
            .collect();
        json!({"count": gpus.len(), "gpus": gpus, "total_memory_gb": self.total_gpu_memory_gb()})
    }

    pub(super) fn gpu_metrics(&self) -> Value {
        let busy = self.busy_gpus();
        let running = self.containers.iter().filter(|c| c.state == super::State::Running);
        let computing: std::collections::BTreeSet<u32> = running.flat_map(|c| 0..c.gpus).collect();
        let metrics: Vec<Value> = self
            .gpus
            .iter()
            .map(|g| {
                let held = busy.contains(&g.index);
                let active = computing.contains(&g.index);
                let wobble = u64::from(g.index % 4);
                let utilization = if active { 97 - 3 * wobble } else { 0 };
                let memory_used = if held { g.memory_total_mb * (78 - wobble) / 100 } else { 1 };
                let mut temperature =
                    if active { g.idle_temp_c + 36 + g.index % 3 } else { g.idle_temp_c + g.index % 3 };
                if let Some(hot) = self.spec.faults.hot_gpus.iter().find(|h| h.index == g.index) {
                    temperature = hot.temperature_c;
                }
                // Like the fixture: a GPU at rest reports `[N/A]` power, which reads null.
                let (draw, limit) = match (active, g.power_limit_w) {
                    (true, Some(limit)) => {
                        (json!(f32_wide(limit * 0.73 + 1.7 * wobble as f64)), json!(f32_wide(limit)))
                    }
                    _ => (Value::Null, Value::Null),
                };
                json!({
                    "index": g.index,
                    "uuid": g.uuid,
                    "utilization_percent": utilization,
                    "memory_used_mb": memory_used,
                    "memory_total_mb": g.memory_total_mb,
                    "temperature_c": temperature,
                    "power_draw_w": draw,
                    "power_limit_w": limit,
                })
            })
            .collect();
        json!({"count": metrics.len(), "metrics": metrics})
    }

    pub(super) fn node_health(&self, now: u64) -> Value {
        let total = self.spec.memory_mb;
        let used = self.memory_used_mb();
        let disks: Vec<Value> = self
            .disks()
            .into_iter()
            .map(|(mount, total, avail)| {
                json!({
                    "mount": mount,
                    "total_bytes": total,
                    "available_bytes": avail,
                    "usage_percent": if total > 0 { (total - avail) as f64 / total as f64 * 100.0 } else { 0.0 },
                })
            })
            .collect();
        let [one, five, fifteen] = self.spec.load;
        json!({
            "status": "healthy",
            "hostname": self.spec.hostname(),
            "connected": false,
            "cpu_count": self.spec.cpu_count,
            "load_average": {"one": one, "five": five, "fifteen": fifteen},
            "memory": {
                "total_mb": total,
                "used_mb": used,
                "available_mb": total - used,
                "usage_percent": if total > 0 { used as f64 / total as f64 * 100.0 } else { 0.0 },
            },
            "disks": disks,
            "gpu_count": self.gpus.len(),
            "uptime_secs": self.spec.uptime_secs + now.saturating_sub(self.started_ms) / 1000,
        })
    }

    /// `(mount, total_bytes, available_bytes)` per disk; a 1 TB root at 40 % when none is given.
    fn disks(&self) -> Vec<(String, u64, u64)> {
        const GIB: u64 = 1 << 30;
        if self.spec.disks.is_empty() {
            return vec![("/".to_string(), 1000 * GIB, 600 * GIB)];
        }
        self.spec
            .disks
            .iter()
            .map(|d| {
                let total = d.total_gb * GIB;
                let avail = (total as f64 * (100.0 - d.used_percent) / 100.0).floor() as u64;
                (d.mount.clone(), total, avail)
            })
            .collect()
    }

    pub(super) fn node_capabilities(&self) -> Value {
        let gpus: Vec<Value> = self
            .gpus
            .iter()
            .map(|g| json!({"index": g.index, "name": g.model, "memory_mb": g.memory_total_mb}))
            .collect();
        // clawnode reports its configured runtime name even when the binary is missing.
        let runtime =
            if self.spec.container_runtime == "none" { "docker" } else { self.spec.container_runtime.as_str() };
        json!({
            "hostname": self.spec.hostname(),
            "capabilities": self.capability_list(),
            "commands": ADVERTISED_COMMANDS.as_slice(),
            "container_runtime": runtime,
            "cpu_count": self.spec.cpu_count,
            "total_memory_mb": self.spec.memory_mb,
            "gpus": gpus,
            "gpu_count": self.gpus.len(),
            "gpu_total_memory_gb": self.total_gpu_memory_gb(),
            "labels": self.spec.labels,
        })
    }

    pub(super) fn system_info(&self) -> Value {
        let used = self.memory_used_mb();
        json!({
            "hostname": self.spec.hostname(),
            "os": self.spec.os,
            "os_version": self.spec.os_version,
            "kernel_version": self.spec.kernel_version,
            "cpu_count": self.spec.cpu_count,
            "total_memory_mb": self.spec.memory_mb,
            "available_memory_mb": self.spec.memory_mb - used,
            "used_memory_mb": used,
            "gpu_count": self.gpus.len(),
            "gpu_total_memory_gb": self.total_gpu_memory_gb(),
            "capabilities": self.capability_list(),
            "commands": ADVERTISED_COMMANDS.as_slice(),
        })
    }

    /// Where a binary would be found on this node, if anywhere.
    fn which(&self, bin: &str) -> Option<String> {
        let present = match bin {
            "docker" => self.spec.container_runtime == "docker",
            "podman" => self.spec.container_runtime == "podman",
            "nvidia-smi" => !self.gpus.is_empty(),
            "sh" | "bash" | "echo" | "hostname" | "uname" | "true" | "false" | "python3" | "nproc" => true,
            _ => false,
        };
        present.then(|| if matches!(bin, "sh" | "bash") { format!("/bin/{bin}") } else { format!("/usr/bin/{bin}") })
    }

    pub(super) fn system_which(&self, params: Value) -> Result<Value, String> {
        let p: SystemWhichParams = parse(params)?;
        let bins: Map<String, Value> =
            p.bins.iter().map(|b| (b.clone(), self.which(b).map_or(Value::Null, Value::String))).collect();
        Ok(json!({"bins": bins}))
    }

    pub(super) fn system_run(&self, params: Value) -> Result<Value, String> {
        let p: SystemRunParams = parse(params)?;
        let (program, args) = p.command.split_first().ok_or("command required")?;
        let program = program.rsplit('/').next().unwrap_or(program);
        if self.which(program).is_none() {
            return Err("No such file or directory (os error 2)".to_string());
        }
        let (code, stdout, stderr) = match program {
            "echo" => (0, format!("{}\n", args.join(" ")), String::new()),
            "hostname" => (0, format!("{}\n", self.spec.hostname()), String::new()),
            "uname" => {
                (0, format!("Linux {} {} x86_64 GNU/Linux\n", self.spec.name, self.spec.kernel_version), String::new())
            }
            "nproc" => (0, format!("{}\n", self.spec.cpu_count), String::new()),
            "false" => (1, String::new(), String::new()),
            "nvidia-smi" => (
                0,
                self.gpus.iter().map(|g| format!("GPU {}: {} (UUID: {})\n", g.index, g.model, g.uuid)).collect(),
                String::new(),
            ),
            "docker" | "podman" => (0, format!("{program} version 26.1.4\n"), String::new()),
            _ => (0, String::new(), String::new()),
        };
        Ok(json!({"exitCode": code, "stdout": stdout, "stderr": stderr, "success": code == 0}))
    }
}

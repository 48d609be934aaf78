//! `node.health`: memory, disks, load and GPU count of one node.

use crate::json::Fields;
use serde_json::Value;

/// One mounted disk.
#[derive(Debug, Clone, PartialEq)]
pub struct Disk {
    /// Mount point, e.g. `/`.
    pub mount: String,
    /// Size in bytes.
    pub total_bytes: f64,
    /// Free bytes.
    pub available_bytes: f64,
    /// Used share in percent.
    pub usage_percent: f64,
}

/// A node's `node.health` answer, minus the fields that carry no information.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    /// Logical CPUs.
    pub cpu_count: u32,
    /// Load averages over 1, 5 and 15 minutes.
    pub load: [f64; 3],
    /// Total memory in MB.
    pub memory_total_mb: f64,
    /// Memory available to new work, in MB.
    pub memory_available_mb: f64,
    /// Mounted disks.
    pub disks: Vec<Disk>,
    /// GPUs the node sees.
    pub gpu_count: u32,
}

impl Health {
    /// Memory in use, percent of total, from what is available (0 when total is 0).
    pub fn memory_used_percent(&self) -> f64 {
        if self.memory_total_mb <= 0.0 {
            return 0.0;
        }
        ((self.memory_total_mb - self.memory_available_mb) / self.memory_total_mb * 100.0).clamp(0.0, 100.0)
    }

    /// The five-minute load average per CPU.
    pub fn load_per_cpu(&self) -> f64 {
        self.load[1] / f64::from(self.cpu_count.max(1))
    }

    /// The disk new work lands on: `/` when mounted, else the fullest one.
    pub fn root_disk(&self) -> Option<&Disk> {
        self.disks
            .iter()
            .find(|d| d.mount == "/")
            .or_else(|| self.disks.iter().max_by(|a, b| a.usage_percent.total_cmp(&b.usage_percent)))
    }
}

/// Parses a `node.health` payload.
pub fn parse(v: &Value) -> Result<Health, String> {
    parse_fields(v).map_err(super::in_command("node.health"))
}

fn parse_fields(v: &Value) -> Result<Health, String> {
    let f = Fields::of(v, "")?;
    let load = f.obj("load_average", "load_average")?;
    let mem = f.obj("memory", "memory")?;
    let total = mem.num("total_mb")?;
    let available = match mem.opt_num("available_mb")? {
        Some(a) => a,
        None => {
            let used = mem.num("used_mb")?;
            if used > total {
                return Err(format!("memory.used_mb ({used}) exceeds memory.total_mb ({total})"));
            }
            total - used
        }
    };
    if available > total {
        return Err(format!("memory.available_mb ({available}) exceeds memory.total_mb ({total})"));
    }
    let mut disks = Vec::new();
    for (i, d) in f.opt_arr("disks")?.iter().enumerate() {
        let at = format!("disks[{i}]");
        let d = Fields::of(d, &at)?;
        let total_bytes = d.num("total_bytes")?;
        let available_bytes = d.num("available_bytes")?;
        if available_bytes > total_bytes {
            return Err(format!("{at}.available_bytes ({available_bytes}) exceeds total_bytes ({total_bytes})"));
        }
        let usage_percent = match d.opt_num("usage_percent")? {
            Some(p) => p.min(100.0),
            None if total_bytes > 0.0 => (1.0 - available_bytes / total_bytes) * 100.0,
            None => 0.0,
        };
        disks.push(Disk { mount: d.str("mount")?.to_owned(), total_bytes, available_bytes, usage_percent });
    }
    Ok(Health {
        cpu_count: f.count("cpu_count")?,
        load: [load.num("one")?, load.num("five")?, load.num("fifteen")?],
        memory_total_mb: total,
        memory_available_mb: available,
        disks,
        gpu_count: f.count("gpu_count")?,
    })
}

//! `node.health`: memory, disks, load and CPU count of one node (sysinfo and `/proc` on the
//! node; memory figures are the host's, not a cgroup's).

use super::{checked, entries, fast, whole, within, Obj, Parsed, Raw, MAX_BYTES, MAX_MB};
use serde::Deserialize;

/// One host filesystem.
#[derive(Debug, Clone, PartialEq)]
pub struct Disk {
    /// Mount point, e.g. `/`.
    pub mount: String,
    /// Size in bytes.
    pub total_bytes: f64,
    /// Bytes available to unprivileged users (`f_bavail`).
    pub available_bytes: f64,
    /// Used share in percent (blocks reserved for root count as used, as clawnode reports).
    pub usage_percent: f64,
}

/// A node's `node.health` answer, minus the fields that carry no information.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    /// Logical CPUs of the host.
    pub cpu_count: u32,
    /// Load averages over 1, 5 and 15 minutes.
    pub load: [f64; 3],
    /// Total memory in MB.
    pub memory_total_mb: f64,
    /// Memory available to new work (`MemAvailable`), in MB.
    pub memory_available_mb: f64,
    /// GPUs the node detected at start-up (`None` when it does not say).
    pub gpu_count: Option<u32>,
    /// Host filesystems, each once: container mounts (overlay `merged` dirs, the runtime's own
    /// state, files bound into a container) are left out, and a filesystem seen at several
    /// mount points is kept at its shortest one.
    pub disks: Vec<Disk>,
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

    /// The filesystem holding `path` (the longest mount point that is a path prefix of it).
    pub fn disk_holding(&self, path: &str) -> Option<&Disk> {
        self.disks.iter().filter(|d| is_under(path, &d.mount)).max_by_key(|d| d.mount.len())
    }
}

/// Whether `path` is `mount` or lies below it.
fn is_under(path: &str, mount: &str) -> bool {
    mount == "/" || path == mount || path.strip_prefix(mount).is_some_and(|rest| rest.starts_with('/'))
}

/// Whether a mount point belongs to containers rather than the host: overlay `merged` dirs,
/// the runtimes' own state, and the files a runtime binds into a container when clawnode
/// itself runs in one.
pub fn is_container_mount(mount: &str) -> bool {
    const UNDER: [&str; 5] =
        ["/var/lib/docker/", "/var/lib/containers/", "/var/lib/kubelet/pods/", "/run/containerd/", "/snap/"];
    const FILES: [&str; 3] = ["/etc/hosts", "/etc/hostname", "/etc/resolv.conf"];
    UNDER.iter().any(|p| mount.starts_with(p))
        || FILES.contains(&mount)
        || mount.contains("/overlay2/")
        || mount.ends_with("/merged")
}

/// The payload, its disks read as `D` (in one pass) or raw (entry by entry).
#[derive(Deserialize)]
struct Wire<D> {
    cpu_count: u32,
    load_average: Obj<Load>,
    memory: Obj<Memory>,
    #[serde(default = "Option::default")]
    disks: Option<Vec<D>>,
    #[serde(default)]
    gpu_count: Option<u32>,
}

#[derive(Deserialize)]
#[serde(expecting = "an object")]
struct Load {
    one: f64,
    five: f64,
    fifteen: f64,
}

#[derive(Deserialize)]
#[serde(expecting = "an object")]
struct Memory {
    total_mb: f64,
    #[serde(default)]
    available_mb: Option<f64>,
    #[serde(default)]
    used_mb: Option<f64>,
}

#[derive(Deserialize)]
struct DiskWire {
    mount: String,
    total_bytes: f64,
    available_bytes: f64,
    #[serde(default)]
    usage_percent: Option<f64>,
}

fn disk(d: DiskWire) -> Result<Disk, String> {
    let total = within("total_bytes", d.total_bytes, 0.0, MAX_BYTES)?;
    let available = within("available_bytes", d.available_bytes, 0.0, MAX_BYTES)?;
    if available > total {
        return Err(format!("available_bytes ({available}) exceeds total_bytes ({total})"));
    }
    let usage_percent = match d.usage_percent {
        Some(p) => within("usage_percent", p, 0.0, 100.0)?,
        None if total > 0.0 => (1.0 - available / total) * 100.0,
        None => 0.0,
    };
    Ok(Disk { mount: d.mount, total_bytes: total, available_bytes: available, usage_percent })
}

/// Parses a `node.health` payload.
pub fn parse(text: &str) -> Result<Parsed<Health>, String> {
    let mut dropped = Vec::new();
    const DISKS: &str = "node.health disks";
    let (base, disks) = match fast::<Wire<Obj<DiskWire>>>(text) {
        Some(mut w) => (base(&w), checked(DISKS, w.disks.take().unwrap_or_default(), &mut dropped, |d| disk(d.0))),
        None => {
            let mut w: Wire<Raw> = whole("node.health", text)?;
            (base(&w), entries(DISKS, &w.disks.take().unwrap_or_default(), &mut dropped, disk))
        }
    };
    let mut health = base.map_err(|e| format!("node.health: {e}"))?;
    health.disks = host_disks(disks);
    Ok(Parsed { value: health, dropped })
}

/// Everything but the disks.
fn base<D>(w: &Wire<D>) -> Result<Health, String> {
    let total = within("memory.total_mb", w.memory.0.total_mb, 0.0, MAX_MB)?;
    let available = match (w.memory.0.available_mb, w.memory.0.used_mb) {
        (Some(a), _) => within("memory.available_mb", a, 0.0, total)?,
        (None, Some(u)) => total - within("memory.used_mb", u, 0.0, total)?,
        (None, None) => return Err("memory.available_mb: missing".to_owned()),
    };
    let l = &w.load_average.0;
    let load = [
        within("load_average.one", l.one, 0.0, 1e6)?,
        within("load_average.five", l.five, 0.0, 1e6)?,
        within("load_average.fifteen", l.fifteen, 0.0, 1e6)?,
    ];
    Ok(Health {
        cpu_count: w.cpu_count,
        load,
        memory_total_mb: total,
        memory_available_mb: available,
        gpu_count: w.gpu_count,
        disks: Vec::new(),
    })
}

/// The host's filesystems, each once (see [`Health::disks`]).
fn host_disks(all: Vec<Disk>) -> Vec<Disk> {
    let mut out: Vec<Disk> = Vec::new();
    for d in all.into_iter().filter(|d| !is_container_mount(&d.mount)) {
        let same = out
            .iter_mut()
            .find(|o| o.total_bytes > 0.0 && o.total_bytes == d.total_bytes && o.available_bytes == d.available_bytes);
        match same {
            Some(o) if d.mount.len() < o.mount.len() => *o = d,
            Some(_) => {}
            None => out.push(d),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health(disks: &str) -> Parsed<Health> {
        parse(&format!(
            r#"{{"cpu_count":4,"load_average":{{"one":1,"five":2,"fifteen":3}},"memory":{{"total_mb":1000,"available_mb":250}},"disks":{disks}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn a_petabyte_mount_is_kept_and_a_bad_entry_is_dropped_alone() {
        let p = health(
            r#"[{"mount":"/","total_bytes":100,"available_bytes":30},
                {"mount":"/mnt/cloud","total_bytes":1125899906842624,"available_bytes":1125899906842624,"usage_percent":0.0},
                {"mount":"/bad","total_bytes":"x","available_bytes":1}]"#,
        );
        let mounts: Vec<&str> = p.value.disks.iter().map(|d| d.mount.as_str()).collect();
        assert_eq!(mounts, ["/", "/mnt/cloud"]);
        assert_eq!(p.dropped, ["node.health disks[2]: total_bytes: invalid type: string \"x\", expected f64"]);
        assert_eq!(p.value.disks[0].usage_percent, 70.0);
        assert_eq!(p.value.memory_used_percent(), 75.0);
    }

    #[test]
    fn one_filesystem_at_several_mounts_counts_once_and_overlays_are_not_host_disks() {
        let p = health(
            r#"[{"mount":"/var/lib/docker/overlay2/abc/merged","total_bytes":100,"available_bytes":12},
                {"mount":"/","total_bytes":100,"available_bytes":12},
                {"mount":"/home","total_bytes":100,"available_bytes":12},
                {"mount":"/data","total_bytes":500,"available_bytes":400},
                {"mount":"/etc/hosts","total_bytes":100,"available_bytes":12}]"#,
        );
        let mounts: Vec<&str> = p.value.disks.iter().map(|d| d.mount.as_str()).collect();
        assert_eq!(mounts, ["/", "/data"]);
        assert_eq!(p.value.disk_holding("/var/lib/docker").map(|d| d.mount.as_str()), Some("/"));
        assert_eq!(p.value.disk_holding("/data/x").map(|d| d.mount.as_str()), Some("/data"));
        assert_eq!(p.value.disk_holding("/database").map(|d| d.mount.as_str()), Some("/"));
    }

    #[test]
    fn arrays_never_pass_for_objects() {
        let p = health(r#"[{"mount":"/","total_bytes":100,"available_bytes":30}, ["/x", 100, 30]]"#);
        assert_eq!(p.value.disks.len(), 1);
        assert_eq!(p.dropped, ["node.health disks[1]: expected an object, got an array"]);
        assert_eq!(
            parse(r#"{"cpu_count":4,"load_average":[1,2,3],"memory":{"total_mb":10,"available_mb":5}}"#).unwrap_err(),
            "node.health: load_average: invalid type: sequence, expected an object"
        );
    }

    #[test]
    fn a_payload_without_memory_fails_naming_the_field() {
        assert_eq!(
            parse(r#"{"cpu_count":4,"load_average":{"one":1,"five":2,"fifteen":3}}"#).unwrap_err(),
            "node.health: missing field `memory`"
        );
        assert_eq!(
            parse(r#"{"cpu_count":4,"load_average":{"one":1,"five":2,"fifteen":3},"memory":{"total_mb":10,"available_mb":11}}"#)
                .unwrap_err(),
            "node.health: memory.available_mb 11 is outside 0..=10"
        );
    }
}

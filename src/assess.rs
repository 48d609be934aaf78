//! Health from the numbers: thresholds applied to `node.health` and `gpu.metrics`.
//! `node.health.status` is never read — clawnode always says `"healthy"`.

use crate::config::Thresholds;
use crate::node::gpu::Metric;
use crate::node::health::Health;
use serde::Serialize;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Severity {
    /// A warning threshold is crossed: the node is degraded.
    Warning,
    /// A critical threshold is crossed or the node does not answer: the node is unhealthy.
    Critical,
}

/// What a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    /// A disk is filling up.
    Disk,
    /// Memory is running out.
    Memory,
    /// Load per CPU is high.
    Load,
    /// A GPU runs hot.
    GpuTemperature,
    /// A command the check needs failed.
    CheckFailed,
    /// The node does not answer at all.
    Unreachable,
}

/// One problem on one node.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// What it is about.
    pub kind: Kind,
    /// How bad.
    pub severity: Severity,
    /// For a person: what, where, and the threshold crossed.
    pub message: String,
}

/// A node's condition from its numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Condition {
    /// No threshold crossed.
    Healthy,
    /// A warning threshold crossed.
    Degraded,
    /// A critical threshold crossed.
    Unhealthy,
}

impl Condition {
    /// The condition's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::Healthy => "healthy",
            Condition::Degraded => "degraded",
            Condition::Unhealthy => "unhealthy",
        }
    }
}

/// The worst condition the problems imply.
pub fn condition(problems: &[Problem]) -> Condition {
    match problems.iter().map(|p| p.severity).max() {
        None => Condition::Healthy,
        Some(Severity::Warning) => Condition::Degraded,
        Some(Severity::Critical) => Condition::Unhealthy,
    }
}

fn grade(value: f64, warn: f64, crit: f64) -> Option<(Severity, f64)> {
    if value >= crit {
        Some((Severity::Critical, crit))
    } else if value >= warn {
        Some((Severity::Warning, warn))
    } else {
        None
    }
}

impl Severity {
    /// The severity's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// Problems found in a node's health and (when it has GPUs) its GPU metrics.
pub fn assess(health: &Health, metrics: Option<&[Metric]>, t: &Thresholds) -> Vec<Problem> {
    let mut out = Vec::new();
    for d in &health.disks {
        if let Some((sev, at)) = grade(d.usage_percent, t.disk_warn_percent, t.disk_crit_percent) {
            out.push(Problem {
                kind: Kind::Disk,
                severity: sev,
                message: format!("disk {} {:.0}% full ({} at {at:.0}%)", d.mount, d.usage_percent, sev.as_str()),
            });
        }
    }
    let mem = health.memory_used_percent();
    if let Some((sev, at)) = grade(mem, t.memory_warn_percent, t.memory_crit_percent) {
        out.push(Problem {
            kind: Kind::Memory,
            severity: sev,
            message: format!(
                "memory {mem:.0}% used, {:.0} MB available ({} at {at:.0}%)",
                health.memory_available_mb,
                sev.as_str()
            ),
        });
    }
    let load = health.load_per_cpu();
    if let Some((sev, at)) = grade(load, t.load_per_cpu_warn, t.load_per_cpu_crit) {
        out.push(Problem {
            kind: Kind::Load,
            severity: sev,
            message: format!(
                "load {:.2} per CPU over 5 min on {} CPUs ({} at {at})",
                load,
                health.cpu_count,
                sev.as_str()
            ),
        });
    }
    for m in metrics.unwrap_or(&[]) {
        if let Some((sev, at)) = grade(m.temperature_c, t.gpu_temp_warn_c, t.gpu_temp_crit_c) {
            out.push(Problem {
                kind: Kind::GpuTemperature,
                severity: sev,
                message: format!("GPU {} at {:.0} °C ({} at {at:.0} °C)", m.index, m.temperature_c, sev.as_str()),
            });
        }
    }
    out
}

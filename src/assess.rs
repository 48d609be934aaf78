//! One assessment per node (pure): from what a node said in one check — whether it is
//! connected and usable, `node.health`, `gpu.metrics`, `workload.list` — and the GPUs the
//! plugin gave out, to one [`State`] with its problems and the state of each GPU.
//! `claw_fleet_status`, the monitor, `claw_deploy`'s filter and the gateway methods all read
//! this one verdict (as kubelet computes a node's conditions once for every reader).
//! `node.health.status` is never read: clawnode always says `"healthy"`.

use crate::config::Thresholds;
use crate::holds::{HeldBy, Holds};
use crate::node::entry::NodeEntry;
use crate::node::facts::Facts;
use crate::node::gpu::Metric;
use crate::node::health::Health;
use crate::node::workload::{self, Container};
use serde::Serialize;
use std::rc::Rc;

/// A node's state: one vocabulary for tools, methods, events and docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum State {
    /// Answered; no threshold crossed.
    Healthy,
    /// Answered; a warning: a threshold, a partial check that failed, an unhealthy or
    /// restarting container, an entry of its answer that could not be read.
    Degraded,
    /// Answered; a critical threshold crossed, or its health could not be read at all.
    Unhealthy,
    /// Connected, but did not answer the check (timed out, dropped mid-call).
    Unreachable,
    /// Listed by the gateway but not connected (or `failuresToOffline` checks failed in a row).
    Offline,
    /// Connected, but the gateway withholds the commands the plugin needs (pending approval,
    /// not in `gateway.nodes.commands.allow`, withheld for a protocol-3 node).
    Unusable,
    /// No longer listed by the gateway (the monitor's memory of it).
    Gone,
}

impl State {
    /// Every state, in the order counts are shown.
    pub const ALL: [State; 7] = [
        State::Healthy,
        State::Degraded,
        State::Unhealthy,
        State::Unreachable,
        State::Offline,
        State::Unusable,
        State::Gone,
    ];

    /// The state's name.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Healthy => "healthy",
            State::Degraded => "degraded",
            State::Unhealthy => "unhealthy",
            State::Unreachable => "unreachable",
            State::Offline => "offline",
            State::Unusable => "unusable",
            State::Gone => "gone",
        }
    }

    /// Where a node in this state goes in lists that show problems first (0 first).
    pub fn attention(self) -> u8 {
        match self {
            State::Unhealthy => 0,
            State::Unreachable => 1,
            State::Unusable => 2,
            State::Offline => 3,
            State::Degraded => 4,
            State::Healthy => 5,
            State::Gone => 6,
        }
    }

    /// Whether the node can take new work in this state.
    pub fn schedulable(self) -> bool {
        matches!(self, State::Healthy | State::Degraded)
    }
}

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Severity {
    /// The node is degraded.
    Warning,
    /// The node is unhealthy, unreachable, offline or unusable.
    Critical,
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

/// What a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    /// A host filesystem is filling up.
    Disk,
    /// Memory is running out.
    Memory,
    /// Load per CPU is high.
    Load,
    /// A GPU runs hot.
    GpuTemperature,
    /// A container is unhealthy or restarting.
    Container,
    /// A command the check needs failed, or its answer could not be read.
    CheckFailed,
    /// An entry of an answer could not be read and was left out.
    Payload,
    /// The node does not answer.
    Unreachable,
    /// The node is not connected.
    Offline,
    /// The gateway withholds the commands the plugin needs.
    Unusable,
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

impl Problem {
    fn new(kind: Kind, severity: Severity, message: String) -> Self {
        Self { kind, severity, message }
    }
}

/// Whether the gateway lets the plugin use a listed node.
#[derive(Debug, Clone, PartialEq)]
pub enum Reach {
    /// Connected, with the commands the plugin reads.
    Usable,
    /// Listed, not connected.
    Offline,
    /// Connected, but not usable: why, and the fix.
    Unusable(String),
}

/// What one node said during one check. The I/O layer fills it; pure code reads it. A part
/// is `None` when it was not asked (or an earlier failure made asking moot).
#[derive(Debug, Clone)]
pub struct Report {
    /// The node as the gateway lists it.
    pub node: Rc<NodeEntry>,
    /// Whether it could be asked at all.
    pub reach: Reach,
    /// Static facts (`node.capabilities`, `gpu.list`).
    pub facts: Option<Result<Rc<Facts>, String>>,
    /// `node.health`.
    pub health: Option<Result<Health, String>>,
    /// `gpu.metrics`.
    pub metrics: Option<Result<Vec<Metric>, String>>,
    /// `workload.list`.
    pub containers: Option<Result<Vec<Container>, String>>,
    /// Why the node stopped answering, when it timed out or dropped mid-call.
    pub silent: Option<String>,
    /// Entries dropped from its answers (`node.health disks[1]: …`).
    pub dropped: Vec<String>,
}

impl Report {
    /// A report with nothing asked yet.
    pub fn new(node: Rc<NodeEntry>, reach: Reach) -> Self {
        Self {
            node,
            reach,
            facts: None,
            health: None,
            metrics: None,
            containers: None,
            silent: None,
            dropped: Vec::new(),
        }
    }

    /// The facts, when fetched.
    pub fn facts(&self) -> Option<&Facts> {
        self.facts.as_ref().and_then(|f| f.as_ref().ok()).map(|f| f.as_ref())
    }

    /// The health, when fetched.
    pub fn health(&self) -> Option<&Health> {
        self.health.as_ref().and_then(|h| h.as_ref().ok())
    }

    /// The metrics, when fetched.
    pub fn metrics(&self) -> Option<&[Metric]> {
        self.metrics.as_ref().and_then(|m| m.as_ref().ok()).map(Vec::as_slice)
    }

    /// The containers, when fetched.
    pub fn containers(&self) -> Option<&[Container]> {
        self.containers.as_ref().and_then(|c| c.as_ref().ok()).map(Vec::as_slice)
    }

    /// The first failure of a part the node cannot be assessed without (facts, health).
    pub fn fatal(&self) -> Option<&str> {
        match (&self.facts, &self.health) {
            (Some(Err(e)), _) | (_, Some(Err(e))) => Some(e),
            _ => None,
        }
    }
}

/// What a GPU is doing, as far as the plugin can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum GpuState {
    /// Nothing seen on it and no container of the plugin's holds it.
    Free,
    /// Its metrics show work (memory in use or utilisation).
    Busy,
    /// A container the plugin started holds it.
    Held,
    /// Its readings cannot be trusted or are missing: neither free nor busy.
    Unknown,
}

impl GpuState {
    /// The state's name.
    pub fn as_str(self) -> &'static str {
        match self {
            GpuState::Free => "free",
            GpuState::Busy => "busy",
            GpuState::Held => "held",
            GpuState::Unknown => "unknown",
        }
    }
}

/// Why a GPU is in its state (written out only when shown: `Display`).
#[derive(Debug, Clone, PartialEq)]
pub enum Why {
    /// Nothing to say (free).
    Free,
    /// Its metrics show work.
    Busy {
        /// VRAM in use, MB.
        used_mb: f64,
        /// Utilisation, percent.
        util: f64,
    },
    /// A container the plugin started holds it.
    Held(HeldBy),
    /// `gpu.metrics` failed.
    MetricsFailed,
    /// `gpu.metrics` did not list it.
    NotReported,
    /// Its readings are clawnode's zeros for unreadable values.
    Unreadable,
}

impl std::fmt::Display for Why {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Why::Free => Ok(()),
            Why::Busy { used_mb, util } => write!(f, "{} MB used, {}% util", Whole(*used_mb), Whole(*util)),
            Why::Held(h) => {
                let who = if h.name.is_empty() { h.container_id.get(..12).unwrap_or(&h.container_id) } else { &h.name };
                write!(f, "held by {who} since the plugin started it")
            }
            Why::MetricsFailed => f.write_str("gpu.metrics failed"),
            Why::NotReported => f.write_str("not reported by gpu.metrics"),
            Why::Unreadable => f.write_str("its readings cannot be read (0 MB VRAM reported: MIG mode or [N/A])"),
        }
    }
}

/// A reading written as `{:.0}` writes it. nvidia-smi's MB and percent are whole numbers, and
/// those take the integer path: exact float formatting costs more than the rest of a GPU's
/// verdict.
struct Whole(f64);

impl std::fmt::Display for Whole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let x = self.0;
        if x.fract() == 0.0 && x.is_sign_positive() && x < 9.0e15 {
            write!(f, "{}", x as u64)
        } else {
            write!(f, "{x:.0}")
        }
    }
}

/// One GPU's verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Gpu {
    /// Device index.
    pub index: u32,
    /// Its state.
    pub state: GpuState,
    /// Why, for a person (`61234 MB used, 87% util`).
    pub why: Why,
}

impl Gpu {
    /// Who holds it, when held.
    pub fn held_by(&self) -> Option<&HeldBy> {
        match &self.why {
            Why::Held(h) => Some(h),
            _ => None,
        }
    }
}

/// The verdict on one node.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// The node's state.
    pub state: State,
    /// Why, in one line.
    pub reason: String,
    /// Every problem found, critical first.
    pub problems: Vec<Problem>,
    /// Each GPU's state, by index; empty when the check did not look at GPUs.
    pub gpus: Vec<Gpu>,
}

impl Assessment {
    /// GPUs free now.
    pub fn gpus_free(&self) -> usize {
        self.gpus.iter().filter(|g| g.state == GpuState::Free).count()
    }

    /// The verdict on GPU `index`.
    pub fn gpu(&self, index: u32) -> Option<&Gpu> {
        self.gpus.iter().find(|g| g.index == index)
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

/// Assesses one node's report against the thresholds and the plugin's holds.
pub fn assess(r: &Report, holds: &Holds, t: &Thresholds) -> Assessment {
    let mut problems = Vec::new();
    match &r.reach {
        Reach::Offline => problems.push(Problem::new(Kind::Offline, Severity::Critical, "not connected".to_owned())),
        Reach::Unusable(why) => problems.push(Problem::new(Kind::Unusable, Severity::Critical, why.clone())),
        Reach::Usable => {}
    }
    if !problems.is_empty() {
        let state = if r.reach == Reach::Offline { State::Offline } else { State::Unusable };
        return finish(state, problems, Vec::new());
    }
    if let Some(err) = r.fatal() {
        let (state, kind) = match &r.silent {
            Some(_) => (State::Unreachable, Kind::Unreachable),
            None => (State::Unhealthy, Kind::CheckFailed),
        };
        let message = if r.silent.is_some() {
            format!("no answer: {err}")
        } else {
            format!("cannot read the node's health: {err}")
        };
        return finish(state, vec![Problem::new(kind, Severity::Critical, message)], Vec::new());
    }
    if let Some(h) = r.health() {
        grade_health(h, t, &mut problems);
        // A GPU list that disagrees with the node's own count is read again next check (the
        // probe forgets it); until then the GPUs counted are not to be trusted.
        if let (Some(n), Some(f)) = (h.gpu_count, r.facts()) {
            if n != f.gpu_count() {
                let message = format!(
                    "node.health reports {n} GPUs, but node.capabilities and gpu.list list {}; they are read again at \
                     the next check",
                    f.gpu_count()
                );
                problems.push(Problem::new(Kind::CheckFailed, Severity::Warning, message));
            }
        }
    }
    for m in r.metrics().unwrap_or(&[]) {
        if m.unreadable() {
            continue;
        }
        if let Some((sev, at)) = grade(m.temperature_c, t.gpu_temp_warn_c, t.gpu_temp_crit_c) {
            let message = format!("GPU {} at {:.0} °C ({} at {at:.0} °C)", m.index, m.temperature_c, sev.as_str());
            problems.push(Problem::new(Kind::GpuTemperature, sev, message));
        }
    }
    for c in r.containers().unwrap_or(&[]) {
        if let Some(message) = container_problem(c) {
            problems.push(Problem::new(Kind::Container, Severity::Warning, message));
        }
    }
    for e in [&r.metrics.as_ref().and_then(|m| m.as_ref().err()), &r.containers.as_ref().and_then(|c| c.as_ref().err())]
        .into_iter()
        .flatten()
    {
        problems.push(Problem::new(Kind::CheckFailed, Severity::Warning, (*e).clone()));
    }
    for d in &r.dropped {
        problems.push(Problem::new(Kind::Payload, Severity::Warning, format!("left out of the answer: {d}")));
    }
    let gpus = gpus(r, holds);
    let state = match problems.iter().map(|p| p.severity).max() {
        None => State::Healthy,
        Some(Severity::Warning) => State::Degraded,
        Some(Severity::Critical) => State::Unhealthy,
    };
    finish(state, problems, gpus)
}

fn finish(state: State, mut problems: Vec<Problem>, gpus: Vec<Gpu>) -> Assessment {
    problems.sort_by_key(|p| std::cmp::Reverse(p.severity));
    let worst = problems.first().map(|p| p.severity);
    let reason = if problems.is_empty() {
        "all checks pass".to_owned()
    } else {
        let shown: Vec<&str> =
            problems.iter().filter(|p| Some(p.severity) == worst).map(|p| p.message.as_str()).collect();
        shown.join("; ")
    };
    Assessment { state, reason, problems, gpus }
}

fn grade_health(h: &Health, t: &Thresholds, out: &mut Vec<Problem>) {
    for d in &h.disks {
        if let Some((sev, at)) = grade(d.usage_percent, t.disk_warn_percent, t.disk_crit_percent) {
            let message = format!("disk {} {:.0}% full ({} at {at:.0}%)", d.mount, d.usage_percent, sev.as_str());
            out.push(Problem::new(Kind::Disk, sev, message));
        }
    }
    let mem = h.memory_used_percent();
    if let Some((sev, at)) = grade(mem, t.memory_warn_percent, t.memory_crit_percent) {
        let message =
            format!("memory {mem:.0}% used, {:.0} MB available ({} at {at:.0}%)", h.memory_available_mb, sev.as_str());
        out.push(Problem::new(Kind::Memory, sev, message));
    }
    let load = h.load_per_cpu();
    if let Some((sev, at)) = grade(load, t.load_per_cpu_warn, t.load_per_cpu_crit) {
        let message = format!("load {load:.2} per CPU over 5 min on {} CPUs ({} at {at})", h.cpu_count, sev.as_str());
        out.push(Problem::new(Kind::Load, sev, message));
    }
}

/// The problem a container makes for its node, if any: failing its health check, or caught
/// in a restart loop.
pub fn container_problem(c: &Container) -> Option<String> {
    let who = if c.name.is_empty() { c.container_id.chars().take(12).collect() } else { c.name.clone() };
    match (c.state, c.health) {
        (workload::State::Running, Some(workload::Health::Unhealthy)) => {
            Some(format!("container {who} ({}) is unhealthy", c.image))
        }
        (workload::State::Restarting, _) => {
            let code = c.exit_code.map(|e| format!(", last exit code {e}")).unwrap_or_default();
            Some(format!("container {who} ({}) is restarting{code}", c.image))
        }
        _ => None,
    }
}

fn gpus(r: &Report, holds: &Holds) -> Vec<Gpu> {
    let (Some(facts), Some(metrics)) = (r.facts(), &r.metrics) else { return Vec::new() };
    let node = &r.node.id;
    (0..facts.gpu_count())
        .map(|index| {
            if let Some(h) = holds.holder(node, index) {
                return Gpu { index, state: GpuState::Held, why: Why::Held(h.held_by()) };
            }
            let (state, why) = match metrics {
                Err(_) => (GpuState::Unknown, Why::MetricsFailed),
                Ok(ms) => match ms.iter().find(|m| m.index == index) {
                    None => (GpuState::Unknown, Why::NotReported),
                    Some(m) if m.unreadable() => (GpuState::Unknown, Why::Unreadable),
                    Some(m) if m.looks_free() => (GpuState::Free, Why::Free),
                    Some(m) => (GpuState::Busy, Why::Busy { used_mb: m.memory_used_mb, util: m.utilization_percent }),
                },
            };
            Gpu { index, state, why }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::Whole;

    #[test]
    fn whole_readings_are_written_as_float_formatting_writes_them() {
        for x in [0.0, 1.0, 74.0, 61234.0, 81559.0, 8.9e15, 74.5, 75.5, 0.4999, 99.99, -0.0, 1e300] {
            assert_eq!(Whole(x).to_string(), format!("{x:.0}"), "{x}");
        }
    }
}

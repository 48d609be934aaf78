//! The gateway methods the Control UI reads, over the same functions the tools call:
//! `clawbernetes.fleet-status` (the monitor's snapshot, never staler than the fleet),
//! `clawbernetes.health-check` (a tick now), `clawbernetes.gpu-inventory` and
//! `clawbernetes.workloads` (the tools' details).

use crate::error::{invalid, Error};
use crate::fleet::status::FleetStatus;
use crate::io::host::Host;
use crate::io::watch;
use crate::monitor::{Tracked, Transition};
use crate::plugin::{Plugin, TickStats};
use crate::tools::{encode, gpu_inventory, workloads};
use serde::Serialize;
use serde_json::Value;

/// Gateway methods and the scope each needs.
pub const METHODS: [(&str, &str); 4] = [
    ("clawbernetes.fleet-status", "operator.read"),
    ("clawbernetes.gpu-inventory", "operator.read"),
    ("clawbernetes.workloads", "operator.read"),
    ("clawbernetes.health-check", "operator.write"),
];

/// Transitions the snapshot shows.
pub const SNAPSHOT_HISTORY: usize = 50;

/// What `clawbernetes.fleet-status` and `clawbernetes.health-check` answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot<'a> {
    /// The fleet status of the last check (the same aggregate `claw_fleet_status` returns).
    pub status: Option<&'a FleetStatus>,
    /// When that check ended (ms since epoch).
    pub checked_at: Option<f64>,
    /// `healthIntervalMs`.
    pub interval_ms: u64,
    /// Tick counters.
    pub monitor: TickStats,
    /// Every tracked node with its state and since when, gone ones included.
    pub nodes: Vec<&'a Tracked>,
    /// The latest transitions, oldest first.
    pub transitions: Vec<&'a Transition>,
    /// When the history was restored from the state store after a restart.
    pub restored_at: Option<f64>,
}

/// The snapshot as JSON text.
pub fn snapshot(p: &Plugin) -> Result<String, Error> {
    let monitor = p.monitor.borrow();
    let last = p.snapshot.borrow();
    let history: Vec<&Transition> = monitor.history().collect();
    let recent = history.get(history.len().saturating_sub(SNAPSHOT_HISTORY)..).unwrap_or(&[]).to_vec();
    let s = Snapshot {
        status: last.as_ref().map(|(s, _)| s),
        checked_at: last.as_ref().map(|(_, at)| *at),
        interval_ms: p.config.health_interval_ms,
        monitor: p.stats.get(),
        nodes: monitor.nodes().collect(),
        transitions: recent,
        restored_at: p.restored_at.get(),
    };
    crate::tools::encode(&s)
}

/// Serves gateway method `name`; the payload as JSON text.
pub async fn call<H: Host>(p: &Plugin, host: &H, name: &str, params: &Value) -> Result<String, Error> {
    serve(p, host, name, params).await.map_err(|e| e.within(name))
}

async fn serve<H: Host>(p: &Plugin, host: &H, name: &str, params: &Value) -> Result<String, Error> {
    match name {
        "clawbernetes.fleet-status" => {
            watch::fresh(p, host).await;
            snapshot(p)
        }
        "clawbernetes.health-check" => {
            watch::tick(p, host).await;
            snapshot(p)
        }
        "clawbernetes.gpu-inventory" => encode(&gpu_inventory::run(p, host, params).await?.details),
        "clawbernetes.workloads" => encode(&workloads::run(p, host, params).await?.details),
        _ => Err(invalid(format!("unknown method {name}"))),
    }
}

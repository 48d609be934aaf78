//! The health monitor's driver and the gateway methods: a tick lists the fleet, checks each
//! clawnode (`node.health`, and `gpu.metrics` where it has GPUs), steps the state machine,
//! logs and broadcasts transitions. Ticks never overlap.

use crate::assess::{self, Kind, Problem, Severity};
use crate::fanout::each_node;
use crate::fleet::probe::{probe, Needs};
use crate::host::{Host, Level};
use crate::monitor::{Observation, Seen, State, Transition};
use crate::plugin::Plugin;
use crate::tools;
use serde_json::{json, Value};

/// The gateway event transitions are broadcast as (`plugin.clawbernetes.health-transition`; the gateway allows no dots in names).
pub const TRANSITION_EVENT: &str = "health-transition";
/// Transitions sent in one event at most (the gateway refuses large payloads).
pub const MAX_EVENT_TRANSITIONS: usize = 100;
/// Transitions the dashboard snapshot shows.
pub const SNAPSHOT_HISTORY: usize = 50;

/// Runs one tick now, or, when one is running, waits for it instead of starting another.
pub async fn tick<H: Host>(p: &Plugin, host: &H) -> Vec<Transition> {
    if p.ticking.get() {
        let mut s = p.stats.get();
        s.joined += 1;
        p.stats.set(s);
        while p.ticking.get() {
            host.sleep(20).await;
        }
        return Vec::new();
    }
    p.ticking.set(true);
    let start = host.now_ms();
    let out = run_tick(p, host).await;
    let end = host.now_ms();
    let mut s = p.stats.get();
    s.ticks += 1;
    s.last_at = end;
    s.last_duration_ms = end - start;
    p.stats.set(s);
    p.ticking.set(false);
    out
}

async fn run_tick<H: Host>(p: &Plugin, host: &H) -> Vec<Transition> {
    let fleet = match p.fleet(host).await {
        Ok(f) => f,
        Err(e) => {
            host.log(Level::Error, &format!("clawbernetes: health check could not list nodes: {e}"));
            return Vec::new();
        }
    };
    let cfg = &p.config;
    let needs = Needs { facts: true, health: true, metrics: true, containers: false };
    let reports =
        each_node(host, &fleet.nodes, cfg.max_concurrency, cfg.invoke_timeout_ms, |s| probe(s, &p.facts, needs)).await;
    let mut seen: Vec<Observation> = reports
        .iter()
        .map(|r| {
            let seen = match (r.fatal(), r.health()) {
                (Some(e), _) => Seen::Failed(e.to_owned()),
                (None, Some(h)) => {
                    let mut problems = assess::assess(h, r.metrics(), &cfg.thresholds);
                    if let Some(Err(e)) = &r.metrics {
                        problems.push(Problem {
                            kind: Kind::CheckFailed,
                            severity: Severity::Warning,
                            message: e.clone(),
                        });
                    }
                    Seen::Checked(problems)
                }
                (None, None) => Seen::Failed("no health answer".to_owned()),
            };
            Observation { node_id: r.node.id.clone(), node_name: r.node.name.clone(), seen }
        })
        .collect();
    seen.extend(fleet.disconnected.iter().map(|n| Observation {
        node_id: n.id.clone(),
        node_name: n.name.clone(),
        seen: Seen::Disconnected,
    }));
    let transitions = p.monitor.borrow_mut().step(seen, &cfg.thresholds, host.now_ms());
    for t in &transitions {
        let from = t.from.map_or("new", State::as_str);
        let level = match (t.from, t.is_worse()) {
            (None, false) => Level::Debug,
            (_, true) => Level::Warn,
            (Some(_), false) => Level::Info,
        };
        host.log(level, &format!("clawbernetes: {} {from} → {}: {}", t.node_name, t.to.as_str(), t.reason));
    }
    if !transitions.is_empty() {
        let shown: Vec<&Transition> = transitions.iter().take(MAX_EVENT_TRANSITIONS).collect();
        host.emit(
            TRANSITION_EVENT,
            &json!({"transitions": shown, "more": transitions.len().saturating_sub(MAX_EVENT_TRANSITIONS)}),
        );
    }
    transitions
}

/// Runs the monitor until the caller drops the future: a tick at once, then one every
/// `healthIntervalMs`; a tick longer than the interval is counted and the next one starts
/// at the next interval boundary.
pub async fn run<H: Host>(p: &Plugin, host: &H) {
    let interval = p.config.health_interval_ms as f64;
    loop {
        let start = host.now_ms();
        tick(p, host).await;
        let elapsed = host.now_ms() - start;
        if elapsed > interval {
            let mut s = p.stats.get();
            s.overruns += 1;
            p.stats.set(s);
            host.log(
                Level::Warn,
                &format!(
                    "clawbernetes: a health check took {elapsed:.0} ms, longer than healthIntervalMs ({interval:.0})"
                ),
            );
        }
        let wait = interval - elapsed % interval;
        host.sleep(wait.max(0.0) as u64).await;
    }
}

/// The dashboard snapshot: node states from the last tick, counters and recent transitions.
pub fn snapshot(p: &Plugin) -> Value {
    let monitor = p.monitor.borrow();
    let mut counts = json!({"healthy": 0, "degraded": 0, "unhealthy": 0, "offline": 0, "gone": 0});
    let nodes: Vec<_> = monitor.nodes().collect();
    for n in &nodes {
        if let Some(c) = counts.get_mut(n.state.as_str()) {
            *c = json!(c.as_u64().unwrap_or(0) + 1);
        }
    }
    let history: Vec<_> = monitor.history().collect();
    let recent = history.get(history.len().saturating_sub(SNAPSHOT_HISTORY)..).unwrap_or(&[]);
    json!({
        "monitor": p.stats.get(),
        "intervalMs": p.config.health_interval_ms,
        "states": counts,
        "nodes": nodes,
        "transitions": recent,
    })
}

/// Serves gateway method `name`; the payload as JSON text.
pub async fn call_method<H: Host>(p: &Plugin, host: &H, name: &str, params: &Value) -> Result<String, String> {
    match name {
        "clawbernetes.fleet-status" => {
            if p.stats.get().ticks == 0 {
                tick(p, host).await;
            }
            Ok(snapshot(p).to_string())
        }
        "clawbernetes.health-check" => {
            tick(p, host).await;
            Ok(snapshot(p).to_string())
        }
        "clawbernetes.gpu-inventory" => Ok(tools::call(p, host, "claw_gpu_inventory", params).await?.details_json),
        "clawbernetes.workloads" => Ok(tools::call(p, host, "claw_workloads", params).await?.details_json),
        _ => Err(format!("unknown method {name}")),
    }
}

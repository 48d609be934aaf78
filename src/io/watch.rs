//! The health monitor's driver: a tick lists the fleet, checks every clawnode exactly as
//! `claw_fleet_status` does (the same probe and the same assessment), steps the state
//! machine, logs and broadcasts transitions, hands the agent an alert, and keeps the snapshot
//! the dashboard reads. Ticks never overlap. Between ticks a cheap node listing every
//! [`LIST_POLL_MS`] starts a tick at once when the listed clawnodes changed (a node joined or
//! left, connected or disconnected, was approved or lost its commands), so the snapshot is
//! never staler than the fleet.

use super::host::{Host, Level};
use super::probe::Needs;
use crate::fleet::status::aggregate;
use crate::monitor::{Seen, Transition};
use crate::plugin::{keys, Plugin};
use serde_json::json;

/// The gateway event transitions are broadcast as (`plugin.clawbernetes.health-transition`;
/// the gateway allows no dots in names).
pub const TRANSITION_EVENT: &str = "health-transition";
/// Transitions sent in one event at most (the gateway refuses large payloads).
pub const MAX_EVENT_TRANSITIONS: usize = 100;
/// How often the monitor lists nodes between ticks to see the fleet change, ms.
pub const LIST_POLL_MS: u64 = 2000;

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
    let mut f = match p.fleet(host).await {
        Ok(f) => f,
        Err(e) => {
            host.log(Level::Error, &format!("clawbernetes: health check could not list nodes: {e}"));
            return Vec::new();
        }
    };
    let usable = std::mem::take(&mut f.usable);
    let (mut checked, stats) = p.check(host, &usable, Needs::ALL).await;
    checked.extend(p.unusable_checked(f.unusable));
    let seen: Vec<Seen> = checked
        .iter()
        .map(|c| Seen {
            node_id: c.report.node.id.clone(),
            node_name: c.report.node.name.clone(),
            state: c.verdict.state,
            reason: c.verdict.reason.clone(),
        })
        .collect();
    let now = host.now_ms();
    *p.snapshot.borrow_mut() = Some((aggregate(&checked, stats), now));
    let transitions = p.monitor.borrow_mut().step(seen, p.config.thresholds.failures_to_offline, now);
    for t in &transitions {
        let from = t.from.map_or("new", |s| s.as_str());
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
        let text = serde_json::to_string(&*p.monitor.borrow()).unwrap_or_default();
        p.save(host, keys::MONITOR, &text).await;
    }
    let before = p.alerter.borrow().clone();
    let alert = p.alerter.borrow_mut().on_tick(&transitions, &p.config.alerts, now);
    if *p.alerter.borrow() != before {
        let text = serde_json::to_string(&*p.alerter.borrow()).unwrap_or_default();
        p.save(host, keys::ALERTS, &text).await;
    }
    if let Some(text) = alert {
        if let Err(why) = host.notify_agent(&text) {
            if !p.alerts_off_said.replace(true) {
                host.log(
                    Level::Warn,
                    &format!(
                        "clawbernetes: alerts to the agent are off: {why}; transitions are still logged and broadcast"
                    ),
                );
            }
        }
    }
    transitions
}

/// Whether the clawnodes the gateway lists, or how it lists them (connected, usable), differ
/// from what the monitor tracks: a node approved since the last tick keeps its id.
async fn fleet_changed<H: Host>(p: &Plugin, host: &H) -> bool {
    match p.fleet(host).await {
        Ok(f) => !p.monitor.borrow().tracks_exactly(&f.listed()),
        Err(_) => false,
    }
}

/// Ticks now when no tick ran yet or the listed clawnodes changed since the last one, so the
/// snapshot a method returns is never staler than the fleet.
pub async fn fresh<H: Host>(p: &Plugin, host: &H) {
    if p.stats.get().ticks == 0 || fleet_changed(p, host).await {
        tick(p, host).await;
        // `tick` joins a tick already under way, which may have listed the fleet before the
        // change (at scale a tick lasts seconds): then one more
        if fleet_changed(p, host).await {
            tick(p, host).await;
        }
    }
}

/// Runs the monitor until the caller drops the future: a tick at once, then one every
/// `healthIntervalMs`, and one as soon as the listed clawnodes change; a tick longer than the
/// interval is counted and logged.
pub async fn run<H: Host>(p: &Plugin, host: &H) {
    let interval = p.config.health_interval_ms as f64;
    if p.config.alerts.enabled {
        if let Err(why) = host.can_notify_agent() {
            p.alerts_off_said.set(true);
            host.log(
                Level::Warn,
                &format!(
                    "clawbernetes: alerts to the agent are off: {why}; transitions are still logged and broadcast"
                ),
            );
        }
    }
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
        // A tick longer than the interval moves the next one to the next interval boundary, so
        // an overloaded fleet is not checked back to back.
        let next = start + interval * (elapsed / interval).ceil().max(1.0);
        loop {
            let left = next - host.now_ms();
            if left <= 0.0 {
                break;
            }
            host.sleep((left.ceil() as u64).min(LIST_POLL_MS)).await;
            if host.now_ms() < next && fleet_changed(p, host).await {
                break;
            }
        }
    }
}

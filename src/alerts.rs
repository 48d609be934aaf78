//! What the monitor tells the agent (pure): one coalesced message per tick naming each node
//! whose state crossed the configured severity (going bad, or recovering), with a cool-down
//! per node so a flapping node does not speak every tick — its next message says it flapped.

use crate::assess::State;
use crate::config::{AlertLevel, Alerts};
use crate::monitor::Transition;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Nodes named in one message at most (then "…and N more").
pub const MAX_NODES: usize = 20;

/// How severe a state is for alerting (0: fine).
fn level(s: State) -> u8 {
    match s {
        State::Healthy => 0,
        State::Degraded => 1,
        State::Unhealthy | State::Unreachable | State::Unusable => 2,
        State::Offline | State::Gone => 3,
    }
}

fn threshold(l: AlertLevel) -> u8 {
    match l {
        AlertLevel::Degraded => 1,
        AlertLevel::Unhealthy => 2,
        AlertLevel::Offline => 3,
    }
}

/// What the agent last heard about one node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Told {
    /// The node's display name.
    name: String,
    /// The state it was told about.
    state: State,
    /// The bad state it was last told about (at `bad_at`): only worse ones are told within the
    /// cool-down.
    worst: State,
    /// When it was last told the node went bad (the cool-down runs from there).
    bad_at: f64,
    /// Changes since, not told because of the cool-down.
    muted: u32,
    /// The latest state and reason while muted.
    latest: Option<(State, String)>,
}

/// The alerting state across ticks; serialisable, so a recovery after a restart is still told.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alerter {
    told: HashMap<String, Told>,
}

impl Alerter {
    /// The message for one tick's transitions, if any should reach the agent, at `now`. A node
    /// going bad is told unless it went bad less than `cooldownMs` ago and is no worse than what
    /// the agent heard; a recovery is told at once when the agent was told the node is bad;
    /// changes held back by the cool-down are summed up (as flapping, when several) when it ends.
    pub fn on_tick(&mut self, transitions: &[Transition], cfg: &Alerts, now: f64) -> Option<String> {
        if !cfg.enabled {
            return None;
        }
        let min = threshold(cfg.min_severity);
        let cooldown = cfg.cooldown_ms as f64;
        let mut lines: Vec<String> = Vec::new();
        for t in transitions {
            let bad_now = level(t.to) >= min;
            let was_bad = t.from.is_some_and(|f| level(f) >= min);
            if !bad_now && (!was_bad || t.from.is_none()) {
                continue;
            }
            let line =
                format!("{}: {} → {} ({})", t.node_name, t.from.map_or("new", State::as_str), t.to.as_str(), t.reason);
            let entry = self.told.get_mut(&t.node_id);
            let muted = match &entry {
                Some(told) if bad_now => level(t.to) <= level(told.worst) && now - told.bad_at < cooldown,
                Some(told) => level(told.state) < min,
                None => !bad_now,
            };
            match (muted, entry) {
                (true, Some(told)) => {
                    told.muted += 1;
                    told.latest = Some((t.to, t.reason.clone()));
                }
                (true, None) => {}
                (false, entry) => {
                    let (bad_at, worst) = match (bad_now, &entry) {
                        (true, _) | (false, None) => (now, t.to),
                        (false, Some(told)) => (told.bad_at, told.worst),
                    };
                    let told = Told { name: t.node_name.clone(), state: t.to, worst, bad_at, muted: 0, latest: None };
                    self.told.insert(t.node_id.clone(), told);
                    lines.push(line);
                }
            }
        }
        for told in self.told.values_mut() {
            if told.muted == 0 || now - told.bad_at < cooldown {
                continue;
            }
            let muted = std::mem::take(&mut told.muted);
            let Some((state, reason)) = told.latest.take() else { continue };
            if state != told.state || muted >= 2 {
                let minutes = (now - told.bad_at) / 60_000.0;
                let held = if muted == 1 {
                    format!("1 change held back by the cool-down over {minutes:.0} min")
                } else {
                    format!("flapping: {muted} changes held back over {minutes:.0} min")
                };
                lines.push(format!("{}: {held}, now {} ({reason})", told.name, state.as_str()));
                told.state = state;
                if level(state) >= min {
                    told.bad_at = now;
                    told.worst = state;
                }
            }
        }
        if lines.is_empty() {
            return None;
        }
        lines.sort();
        let n = lines.len();
        let mut text =
            format!("clawbernetes health monitor: {} node{} changed state.", n, if n == 1 { "" } else { "s" });
        for l in lines.iter().take(MAX_NODES) {
            text.push_str("\n- ");
            text.push_str(l);
        }
        if n > MAX_NODES {
            text.push_str(&format!("\n…and {} more (claw_fleet_status has every node).", n - MAX_NODES));
        }
        Some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tr(id: &str, from: Option<State>, to: State, at: f64) -> Transition {
        Transition {
            node_id: id.into(),
            node_name: id.into(),
            from,
            to,
            reason: "why".into(),
            at,
            before_restart: false,
        }
    }

    #[test]
    fn bad_turns_and_recoveries_alert_once_and_flapping_is_coalesced() {
        let cfg = Alerts { enabled: true, min_severity: AlertLevel::Unhealthy, cooldown_ms: 60_000 };
        let mut a = Alerter::default();
        let msg = |line: &str| Some(format!("clawbernetes health monitor: 1 node changed state.\n- {line}"));
        assert_eq!(a.on_tick(&[tr("n1", None, State::Healthy, 0.0)], &cfg, 0.0), None);
        assert_eq!(a.on_tick(&[tr("n1", Some(State::Healthy), State::Degraded, 1.0)], &cfg, 1.0), None);
        assert_eq!(
            a.on_tick(&[tr("n1", Some(State::Degraded), State::Unhealthy, 2.0)], &cfg, 2.0),
            msg("n1: degraded → unhealthy (why)")
        );
        assert_eq!(
            a.on_tick(&[tr("n1", Some(State::Unhealthy), State::Healthy, 3.0)], &cfg, 3.0),
            msg("n1: unhealthy → healthy (why)")
        );
        assert_eq!(a.on_tick(&[tr("n1", Some(State::Healthy), State::Unhealthy, 4.0)], &cfg, 4.0), None);
        assert_eq!(a.on_tick(&[tr("n1", Some(State::Unhealthy), State::Healthy, 5.0)], &cfg, 5.0), None);
        assert_eq!(a.on_tick(&[], &cfg, 30_000.0), None);
        assert_eq!(
            a.on_tick(&[], &cfg, 62_002.0),
            msg("n1: flapping: 2 changes held back over 1 min, now healthy (why)")
        );
        assert_eq!(a.on_tick(&[], &cfg, 200_000.0), None);
    }

    #[test]
    fn a_worse_state_is_told_at_once_and_one_held_change_is_not_flapping() {
        let cfg = Alerts { enabled: true, min_severity: AlertLevel::Unhealthy, cooldown_ms: 60_000 };
        let mut a = Alerter::default();
        let msg = |line: &str| Some(format!("clawbernetes health monitor: 1 node changed state.\n- {line}"));
        assert_eq!(
            a.on_tick(&[tr("n1", Some(State::Healthy), State::Unreachable, 0.0)], &cfg, 0.0),
            msg("n1: healthy → unreachable (why)")
        );
        assert_eq!(
            a.on_tick(&[tr("n1", Some(State::Unreachable), State::Offline, 1.0)], &cfg, 1.0),
            msg("n1: unreachable → offline (why)")
        );
        assert_eq!(a.on_tick(&[tr("n1", Some(State::Offline), State::Unreachable, 2.0)], &cfg, 2.0), None);
        assert_eq!(
            a.on_tick(&[], &cfg, 61_000.0),
            msg("n1: 1 change held back by the cool-down over 1 min, now unreachable (why)")
        );
        let restored: Alerter = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        assert_eq!(restored, a, "what the agent heard survives a restart");
    }
}

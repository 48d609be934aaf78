//! The health monitor's state machine (pure): push in what one tick saw, get the
//! transitions out. The driver that ticks it lives in `service.rs`.

use crate::assess::{Condition, Problem};
use crate::config::Thresholds;
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};

/// Transitions kept for the dashboard.
pub const HISTORY: usize = 200;
/// Nodes remembered as gone at most (oldest forgotten first).
pub const GONE_KEPT: usize = 256;

/// A node's state as the monitor sees it, best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum State {
    /// No threshold crossed.
    Healthy,
    /// A warning threshold crossed.
    Degraded,
    /// A critical threshold crossed, or several checks failed in a row.
    Unhealthy,
    /// Listed but not connected, or many checks failed in a row.
    Offline,
    /// No longer listed by the gateway.
    Gone,
}

impl State {
    /// The state's name.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Healthy => "healthy",
            State::Degraded => "degraded",
            State::Unhealthy => "unhealthy",
            State::Offline => "offline",
            State::Gone => "gone",
        }
    }
}

impl From<Condition> for State {
    fn from(c: Condition) -> Self {
        match c {
            Condition::Healthy => State::Healthy,
            Condition::Degraded => State::Degraded,
            Condition::Unhealthy => State::Unhealthy,
        }
    }
}

/// What one tick learnt about one listed node.
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    /// Listed, not connected.
    Disconnected,
    /// Connected and checked: the problems found (empty: healthy).
    Checked(Vec<Problem>),
    /// Connected, but the check failed.
    Failed(String),
}

/// One node in one tick.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// Node id.
    pub node_id: String,
    /// Display name.
    pub node_name: String,
    /// What was seen.
    pub seen: Seen,
}

/// A change of a node's state.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Transition {
    /// Node id.
    pub node_id: String,
    /// Display name.
    pub node_name: String,
    /// State before (`None` when first seen).
    pub from: Option<State>,
    /// State now.
    pub to: State,
    /// Why, for a person.
    pub reason: String,
    /// When (ms since epoch).
    pub at: f64,
}

impl Transition {
    /// Whether this is a change for the worse (logged as a warning).
    pub fn is_worse(&self) -> bool {
        self.from.is_none_or(|f| self.to > f) && self.to != State::Healthy
    }
}

/// A node as the monitor tracks it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tracked {
    /// Node id.
    pub node_id: String,
    /// Display name.
    pub node_name: String,
    /// Current state.
    pub state: State,
    /// Since when (ms since epoch).
    pub since: f64,
    /// Checks failed in a row.
    pub consecutive_failures: u32,
    /// Problems at the last successful check, or the last failure.
    pub problems: Vec<Problem>,
    /// The last check's error, if it failed.
    pub last_error: Option<String>,
}

/// The state machine.
#[derive(Debug, Default)]
pub struct Monitor {
    nodes: BTreeMap<String, Tracked>,
    history: VecDeque<Transition>,
}

impl Monitor {
    /// Applies one tick's observations at `now`; returns the transitions it caused.
    pub fn step(&mut self, seen: Vec<Observation>, t: &Thresholds, now: f64) -> Vec<Transition> {
        let mut out = Vec::new();
        let listed: Vec<String> = seen.iter().map(|o| o.node_id.clone()).collect();
        for o in seen {
            let prev = self.nodes.get(&o.node_id);
            let failures = match (&o.seen, prev) {
                (Seen::Failed(_), Some(p)) => p.consecutive_failures + 1,
                (Seen::Failed(_), None) => 1,
                _ => 0,
            };
            let (state, reason, problems, last_error) = match o.seen {
                Seen::Disconnected => (State::Offline, "not connected".to_owned(), Vec::new(), None),
                Seen::Checked(problems) => {
                    let state = State::from(crate::assess::condition(&problems));
                    let reason = if problems.is_empty() {
                        "all checks pass".to_owned()
                    } else {
                        problems.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("; ")
                    };
                    (state, reason, problems, None)
                }
                Seen::Failed(err) => {
                    let state = if failures >= t.failures_to_offline {
                        State::Offline
                    } else if failures >= t.failures_to_unhealthy {
                        State::Unhealthy
                    } else {
                        prev.map_or(
                            State::Unhealthy,
                            |p| if p.state == State::Gone { State::Unhealthy } else { p.state },
                        )
                    };
                    let reason = format!("{failures} failed check(s) in a row: {err}");
                    let problems = prev.map(|p| p.problems.clone()).unwrap_or_default();
                    (state, reason, problems, Some(err))
                }
            };
            let from = prev.map(|p| p.state);
            let since = match prev {
                Some(p) if p.state == state => p.since,
                _ => now,
            };
            if from != Some(state) {
                out.push(Transition {
                    node_id: o.node_id.clone(),
                    node_name: o.node_name.clone(),
                    from,
                    to: state,
                    reason,
                    at: now,
                });
            }
            self.nodes.insert(
                o.node_id.clone(),
                Tracked {
                    node_id: o.node_id,
                    node_name: o.node_name,
                    state,
                    since,
                    consecutive_failures: failures,
                    problems,
                    last_error,
                },
            );
        }
        for n in self.nodes.values_mut() {
            if n.state != State::Gone && !listed.contains(&n.node_id) {
                out.push(Transition {
                    node_id: n.node_id.clone(),
                    node_name: n.node_name.clone(),
                    from: Some(n.state),
                    to: State::Gone,
                    reason: "no longer listed by the gateway".to_owned(),
                    at: now,
                });
                n.state = State::Gone;
                n.since = now;
            }
        }
        self.forget_old_gone();
        for tr in &out {
            if self.history.len() == HISTORY {
                self.history.pop_front();
            }
            self.history.push_back(tr.clone());
        }
        out
    }

    fn forget_old_gone(&mut self) {
        let mut gone: Vec<(f64, String)> =
            self.nodes.values().filter(|n| n.state == State::Gone).map(|n| (n.since, n.node_id.clone())).collect();
        if gone.len() <= GONE_KEPT {
            return;
        }
        gone.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (_, id) in gone.iter().take(gone.len() - GONE_KEPT) {
            self.nodes.remove(id);
        }
    }

    /// Every tracked node, by id.
    pub fn nodes(&self) -> impl Iterator<Item = &Tracked> {
        self.nodes.values()
    }

    /// Recent transitions, oldest first.
    pub fn history(&self) -> impl Iterator<Item = &Transition> {
        self.history.iter()
    }
}

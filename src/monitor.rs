//! The health monitor's state machine (pure): push in one tick's verdicts, get the transitions
//! out. It adds only time to the one assessment: a node that stays unreachable for
//! `failuresToOffline` checks in a row is offline, and a node no longer listed is gone. The
//! driver that ticks it lives in `io::watch`.

use crate::assess::State;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// Transitions kept (also what the state store keeps).
pub const HISTORY: usize = 200;
/// Nodes remembered as gone at most (oldest forgotten first).
pub const GONE_KEPT: usize = 256;

/// Why an unreachable node counts as offline: it has not answered `failures` checks in a row
/// (this one included), `failures_to_offline` or more. `None` when it does not.
pub fn offline_after(state: State, failures: u32, failures_to_offline: u32, reason: &str) -> Option<String> {
    (state == State::Unreachable && failures >= failures_to_offline)
        .then(|| format!("{failures} checks failed in a row: {reason}"))
}

/// One node's verdict in one tick.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    /// Node id.
    pub node_id: String,
    /// Display name.
    pub node_name: String,
    /// The assessment's state.
    pub state: State,
    /// The assessment's reason.
    pub reason: String,
}

/// A change of a node's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// Whether it happened before the plugin last restarted (restored from the state store).
    #[serde(default)]
    pub before_restart: bool,
}

impl Transition {
    /// Whether this is a change for the worse (logged as a warning): a first sight in any state
    /// but healthy, a move up the attention order, or leaving the fleet (gone is last in the
    /// attention order only because it is no longer part of the fleet; alerts rank it with
    /// offline).
    pub fn is_worse(&self) -> bool {
        self.to != State::Healthy
            && (self.to == State::Gone || self.from.is_none_or(|f| self.to.attention() < f.attention()))
    }
}

/// How the gateway lists a node, before any check: what the node list alone says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listed<'a> {
    /// Connected, with the commands the plugin reads.
    Usable,
    /// Listed, not connected.
    Offline,
    /// Connected, but the gateway withholds the commands the plugin reads, for this reason.
    Unusable(&'a str),
}

impl Listed<'_> {
    /// Whether a node tracked as `n` can be listed this way without a new check.
    fn fits(self, n: &Tracked) -> bool {
        match self {
            // the reason changes when an approval leaves commands withheld
            Listed::Unusable(why) => n.state == State::Unusable && n.reason == why,
            Listed::Offline => n.state == State::Offline,
            // offline while connected: it missed `failuresToOffline` checks in a row
            Listed::Usable => match n.state {
                State::Unusable | State::Gone => false,
                State::Offline => n.consecutive_failures > 0,
                _ => true,
            },
        }
    }
}

/// A node as the monitor tracks it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// Why, for a person.
    pub reason: String,
    /// Checks failed (unreachable) in a row.
    pub consecutive_failures: u32,
}

/// The state machine; serialisable so it survives a restart.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Monitor {
    nodes: BTreeMap<String, Tracked>,
    history: VecDeque<Transition>,
}

impl Monitor {
    /// Applies one tick's verdicts at `now`; returns the transitions they caused.
    pub fn step(&mut self, seen: Vec<Seen>, failures_to_offline: u32, now: f64) -> Vec<Transition> {
        let mut out = Vec::new();
        let listed: std::collections::HashSet<String> = seen.iter().map(|o| o.node_id.clone()).collect();
        for o in seen {
            let prev = self.nodes.get(&o.node_id);
            let failures = match (o.state, prev) {
                (State::Unreachable, Some(p)) => p.consecutive_failures + 1,
                (State::Unreachable, None) => 1,
                _ => 0,
            };
            let (state, reason) = match offline_after(o.state, failures, failures_to_offline, &o.reason) {
                Some(why) => (State::Offline, why),
                None => (o.state, o.reason),
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
                    reason: reason.clone(),
                    at: now,
                    before_restart: false,
                });
            }
            self.nodes.insert(
                o.node_id.clone(),
                Tracked {
                    node_id: o.node_id,
                    node_name: o.node_name,
                    state,
                    since,
                    reason,
                    consecutive_failures: failures,
                },
            );
        }
        for n in self.nodes.values_mut() {
            if n.state != State::Gone && !listed.contains(&n.node_id) {
                let reason = "no longer listed by the gateway".to_owned();
                out.push(Transition {
                    node_id: n.node_id.clone(),
                    node_name: n.node_name.clone(),
                    from: Some(n.state),
                    to: State::Gone,
                    reason: reason.clone(),
                    at: now,
                    before_restart: false,
                });
                n.state = State::Gone;
                n.since = now;
                n.reason = reason;
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

    /// Marks everything remembered as from before a restart (after restoring it).
    pub fn mark_restored(&mut self) {
        for t in &mut self.history {
            t.before_restart = true;
        }
    }

    /// Every tracked node, by id.
    pub fn nodes(&self) -> impl Iterator<Item = &Tracked> {
        self.nodes.values()
    }

    /// Checks in a row the node has not answered, before this one.
    pub fn failures(&self, node_id: &str) -> u32 {
        self.nodes.get(node_id).map_or(0, |n| n.consecutive_failures)
    }

    /// Whether the monitor tracks exactly the `listed` nodes (gone ones aside), each in a state
    /// the way it is listed allows: a node approved, connected, disconnected or withheld since
    /// the last tick keeps its id but needs a new check.
    pub fn tracks_exactly(&self, listed: &[(&str, Listed<'_>)]) -> bool {
        let live = self.nodes.values().filter(|n| n.state != State::Gone).count();
        live == listed.len() && listed.iter().all(|(id, how)| self.nodes.get(*id).is_some_and(|n| how.fits(n)))
    }

    /// Recent transitions, oldest first.
    pub fn history(&self) -> impl Iterator<Item = &Transition> {
        self.history.iter()
    }
}

//! The containers the plugin started and the GPUs they hold (pure). clawnode reports no GPU
//! allocation, and a model server can hold a GPU for minutes before its metrics show any
//! work, so a GPU given to a container the plugin started stays held while that container
//! exists (created, running, restarting, paused), whatever the metrics say; it is released
//! when the container is gone from `workload.list` or has exited. While `workload.run` is under
//! way the GPUs it was given are reserved, so two deploys at once never get the same GPU.

use crate::node::workload::Container;
use serde::{Deserialize, Serialize};

/// Records kept at most (the oldest go first); the record is persisted, so it stays bounded.
pub const MAX_HOLDS: usize = 4096;

/// How long a reservation outlives its `workload.run` at most (ms): the run's own deadline
/// (`claw_deploy`'s 300 s) and a minute. Past it, the node's `workload.list` decides again, so a
/// reservation left by a restart or a run that never answered does not hold a GPU for ever.
pub const STARTING_MAX_MS: f64 = 360_000.0;

/// One container the plugin started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hold {
    /// Node it runs on.
    pub node_id: String,
    /// Container id as `workload.run` returned it (64 hex).
    pub container_id: String,
    /// Container name (empty when the node named it).
    pub name: String,
    /// GPU indices it binds.
    pub gpus: Vec<u32>,
    /// When it was started (ms since epoch); for a reservation, when `workload.run` was sent.
    pub since: f64,
    /// A reservation: `workload.run` is under way and `container_id` is a placeholder.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub starting: bool,
}

/// Who holds a GPU, as tools show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldBy {
    /// Container id.
    pub container_id: String,
    /// Container name.
    pub name: String,
    /// When it was started (ms since epoch).
    pub since: f64,
    /// `workload.run` is still under way (`containerId` is then a placeholder, `starting-<n>`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub starting: bool,
}

impl Hold {
    /// Whether `c` is this container (by id prefix, else by name).
    fn is(&self, c: &Container) -> bool {
        !self.starting && (c.has_id(&self.container_id) || (!self.name.is_empty() && c.name == self.name))
    }

    /// Whether `workload.list` asked for at `asked_at` decides this record: not while it is a
    /// fresh reservation, nor when the record is newer than the list (a list taken before its
    /// container existed, by a check that overlapped the deploy).
    fn listed_by(&self, asked_at: f64) -> bool {
        if self.starting {
            asked_at - self.since > STARTING_MAX_MS
        } else {
            self.since < asked_at
        }
    }

    /// The hold as tools show it.
    pub fn held_by(&self) -> HeldBy {
        HeldBy {
            container_id: self.container_id.clone(),
            name: self.name.clone(),
            since: self.since,
            starting: self.starting,
        }
    }
}

/// Every live record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Holds {
    list: Vec<Hold>,
    /// The number of the next reservation's placeholder id.
    #[serde(default)]
    next: u64,
}

impl Holds {
    /// Reserves `gpus` of `node_id` for a `workload.run` sent at `now` (for a container to be
    /// named `name`, empty when the node names it); returns the placeholder id to confirm or
    /// release it with. No-op (and an empty id) when it binds no GPU.
    pub fn reserve(&mut self, node_id: &str, name: &str, gpus: &[u32], now: f64) -> String {
        if gpus.is_empty() {
            return String::new();
        }
        self.next += 1;
        let id = format!("starting-{}", self.next);
        let hold = Hold {
            node_id: node_id.to_owned(),
            container_id: id.clone(),
            name: name.to_owned(),
            gpus: gpus.to_vec(),
            since: now,
            starting: true,
        };
        self.add(hold);
        id
    }

    /// Turns reservation `placeholder` into the record of the container `workload.run` started
    /// at `now`.
    pub fn confirm(&mut self, node_id: &str, placeholder: &str, container_id: &str, name: &str, now: f64) {
        if let Some(h) = self.list.iter_mut().find(|h| h.node_id == node_id && h.container_id == placeholder) {
            h.container_id = container_id.to_owned();
            h.name = name.to_owned();
            h.since = now;
            h.starting = false;
        }
    }

    /// Records a started container (no-op when it binds no GPU).
    pub fn add(&mut self, hold: Hold) {
        if hold.gpus.is_empty() {
            return;
        }
        self.list.retain(|h| !(h.node_id == hold.node_id && h.container_id == hold.container_id));
        self.list.push(hold);
        if self.list.len() > MAX_HOLDS {
            let extra = self.list.len() - MAX_HOLDS;
            self.list.drain(..extra);
        }
    }

    /// Drops the record of a container the plugin knows is gone (a deploy that did not start).
    pub fn release(&mut self, node_id: &str, container_id: &str) {
        self.list.retain(|h| !(h.node_id == node_id && h.container_id == container_id));
    }

    /// Brings `node_id`'s records up to date with its `workload.list`, asked for at `asked_at`
    /// (ms since epoch) or later: those whose container is absent, exited or dead are released.
    /// A record made at `asked_at` or later is kept whatever the list says: the list may have
    /// been taken before its container existed (a check that overlapped the deploy); so is a
    /// reservation younger than [`STARTING_MAX_MS`]. Returns whether anything changed.
    pub fn settle(&mut self, node_id: &str, containers: &[Container], asked_at: f64) -> bool {
        let before = self.list.len();
        self.list.retain(|h| {
            h.node_id != node_id
                || !h.listed_by(asked_at)
                || containers.iter().any(|c| h.is(c) && c.state.holds_devices())
        });
        self.list.len() != before
    }

    /// The record holding GPU `index` of `node_id`, if any.
    pub fn holder(&self, node_id: &str, index: u32) -> Option<&Hold> {
        self.list.iter().rev().find(|h| h.node_id == node_id && h.gpus.contains(&index))
    }

    /// Whether `node_id` has any record.
    pub fn any_on(&self, node_id: &str) -> bool {
        self.list.iter().any(|h| h.node_id == node_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::workload::State;

    fn container(id: &str, state: State) -> Container {
        Container {
            container_id: id.to_owned(),
            image: String::new(),
            name: String::new(),
            state,
            health: None,
            exit_code: None,
            status: String::new(),
        }
    }

    #[test]
    fn a_hold_lasts_while_its_container_lives() {
        let mut h = Holds::default();
        let id = "3f2a9c1d7e4b5a6c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c";
        let hold = Hold {
            node_id: "n".into(),
            container_id: id.into(),
            name: "serve".into(),
            gpus: vec![0],
            since: 1.0,
            starting: false,
        };
        h.add(hold);
        assert!(!h.settle("n", &[container("3f2a9c1d7e4b", State::Running)], 2.0));
        assert_eq!(h.holder("n", 0).map(|x| x.since), Some(1.0));
        assert_eq!(h.holder("n", 1), None);
        assert!(!h.settle("other", &[], 2.0));
        // a list asked for before the container started says nothing about it
        assert!(!h.settle("n", &[], 1.0));
        assert!(h.settle("n", &[container("3f2a9c1d7e4b", State::Exited)], 2.0));
        assert_eq!(h.holder("n", 0), None);
    }

    #[test]
    fn a_reservation_holds_the_gpus_while_workload_run_is_under_way_and_becomes_the_container() {
        let mut h = Holds::default();
        let a = h.reserve("n", "train-a", &[0, 1], 10.0);
        let b = h.reserve("n", "", &[2], 11.0);
        assert_eq!((a.as_str(), b.as_str()), ("starting-1", "starting-2"));
        assert_eq!(h.reserve("n", "cpu-only", &[], 12.0), "");
        let held = |h: &Holds, i| h.holder("n", i).map(Hold::held_by);
        let starting =
            HeldBy { container_id: "starting-1".into(), name: "train-a".into(), since: 10.0, starting: true };
        assert_eq!(held(&h, 1), Some(starting));
        // a list asked for after the reservation does not release it: the container is not there yet
        assert!(!h.settle("n", &[], 20.0));
        assert_eq!(held(&h, 2).map(|x| x.container_id), Some("starting-2".to_owned()));
        let id = "3f2a9c1d7e4b5a6c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c";
        h.confirm("n", &a, id, "train-a", 30.0);
        let started = HeldBy { container_id: id.into(), name: "train-a".into(), since: 30.0, starting: false };
        assert_eq!(held(&h, 0), Some(started));
        // a list taken before workload.run answered says nothing of the new container
        assert!(!h.settle("n", &[], 25.0));
        h.release("n", &b);
        assert_eq!(held(&h, 2), None);
        // a reservation whose run never answered is left to the lists after STARTING_MAX_MS
        let c = h.reserve("n", "lost", &[3], 100.0);
        assert!(!h.settle("n", &[container("3f2a9c1d7e4b", State::Running)], 100.0 + STARTING_MAX_MS));
        assert!(h.settle("n", &[container("3f2a9c1d7e4b", State::Running)], 101.0 + STARTING_MAX_MS));
        assert_eq!((held(&h, 3), c.as_str()), (None, "starting-3"));
        assert_eq!(held(&h, 0).map(|x| x.name), Some("train-a".to_owned()));
    }
}

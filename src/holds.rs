//! The containers the plugin started and the GPUs they hold (pure). clawnode reports no GPU
//! allocation, and a model server can hold a GPU for minutes before its metrics show any
//! work, so a GPU given to a container the plugin started stays held while that container
//! exists (created, running, restarting, paused), whatever the metrics say; it is released
//! when the container is gone from `workload.list` or has exited.

use crate::node::workload::Container;
use serde::{Deserialize, Serialize};

/// Records kept at most (the oldest go first); the record is persisted, so it stays bounded.
pub const MAX_HOLDS: usize = 4096;

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
    /// When it was started (ms since epoch).
    pub since: f64,
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
}

impl Hold {
    /// Whether `c` is this container (by id prefix, else by name).
    fn is(&self, c: &Container) -> bool {
        c.has_id(&self.container_id) || (!self.name.is_empty() && c.name == self.name)
    }

    /// The hold as tools show it.
    pub fn held_by(&self) -> HeldBy {
        HeldBy { container_id: self.container_id.clone(), name: self.name.clone(), since: self.since }
    }
}

/// Every live record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Holds {
    list: Vec<Hold>,
}

impl Holds {
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
    /// been taken before its container existed (a check that overlapped the deploy). Returns
    /// whether anything changed.
    pub fn settle(&mut self, node_id: &str, containers: &[Container], asked_at: f64) -> bool {
        let before = self.list.len();
        self.list.retain(|h| {
            h.node_id != node_id || h.since >= asked_at || containers.iter().any(|c| h.is(c) && c.state.holds_devices())
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
        h.add(Hold { node_id: "n".into(), container_id: id.into(), name: "serve".into(), gpus: vec![0], since: 1.0 });
        assert!(!h.settle("n", &[container("3f2a9c1d7e4b", State::Running)], 2.0));
        assert_eq!(h.holder("n", 0).map(|x| x.since), Some(1.0));
        assert_eq!(h.holder("n", 1), None);
        assert!(!h.settle("other", &[], 2.0));
        // a list asked for before the container started says nothing about it
        assert!(!h.settle("n", &[], 1.0));
        assert!(h.settle("n", &[container("3f2a9c1d7e4b", State::Exited)], 2.0));
        assert_eq!(h.holder("n", 0), None);
    }
}

//! `claw_workloads`: every container on every node, its state read from Docker's text.

use super::probe::Report;
use super::FailedNode;
use crate::node::workload::{classify, State};
use serde::Serialize;

/// One container.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadEntry {
    /// Node id.
    pub node_id: String,
    /// Display name of the node.
    pub node_name: String,
    /// Short container id.
    pub container_id: String,
    /// Container name.
    pub name: String,
    /// Image.
    pub image: String,
    /// Normalised state.
    pub state: State,
    /// Exit code, where Docker gives one.
    pub exit_code: Option<i64>,
    /// Docker's status text, verbatim.
    pub status: String,
}

/// Containers by state.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    /// Running.
    pub running: usize,
    /// Exited.
    pub exited: usize,
    /// Created, never started.
    pub created: usize,
    /// Restarting.
    pub restarting: usize,
    /// Paused.
    pub paused: usize,
    /// Dead.
    pub dead: usize,
    /// Status text not understood.
    pub unknown: usize,
}

impl Counts {
    fn add(&mut self, s: State) {
        let slot = match s {
            State::Running => &mut self.running,
            State::Exited => &mut self.exited,
            State::Created => &mut self.created,
            State::Restarting => &mut self.restarting,
            State::Paused => &mut self.paused,
            State::Dead => &mut self.dead,
            State::Unknown => &mut self.unknown,
        };
        *slot += 1;
    }

    /// Non-zero counts with their state, in display order.
    pub fn nonzero(&self) -> Vec<(&'static str, usize)> {
        let all = [self.running, self.exited, self.created, self.restarting, self.paused, self.dead, self.unknown];
        State::ALL.iter().zip(all).filter(|(_, n)| *n > 0).map(|(s, n)| (s.as_str(), n)).collect()
    }
}

/// The workload list.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Workloads {
    /// Containers that passed the filters, by node.
    pub workloads: Vec<WorkloadEntry>,
    /// By state.
    pub counts: Counts,
    /// Containers listed.
    pub total: usize,
    /// Nodes that did not answer.
    pub failed_nodes: Vec<FailedNode>,
}

/// Filters of `claw_workloads`.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this state.
    pub state: Option<State>,
    /// Part of the image reference.
    pub image: Option<String>,
    /// Part of the container name.
    pub name: Option<String>,
}

/// Builds the list from the reports of one fan-out.
pub fn aggregate(reports: &[Report], filter: &Filter) -> Workloads {
    let mut out = Workloads::default();
    for r in reports {
        let containers = match &r.containers {
            Some(Ok(c)) => c,
            Some(Err(e)) => {
                out.failed_nodes.push(FailedNode::new(&r.node, e));
                continue;
            }
            None => continue,
        };
        for c in containers {
            let (state, exit_code) = classify(&c.status);
            let keep = filter.state.is_none_or(|s| s == state)
                && filter.image.as_deref().is_none_or(|i| c.image.contains(i))
                && filter.name.as_deref().is_none_or(|n| c.name.contains(n));
            if !keep {
                continue;
            }
            out.counts.add(state);
            out.workloads.push(WorkloadEntry {
                node_id: r.node.id.clone(),
                node_name: r.node.name.clone(),
                container_id: c.container_id.clone(),
                name: c.name.clone(),
                image: c.image.clone(),
                state,
                exit_code,
                status: c.status.clone(),
            });
        }
    }
    out.total = out.workloads.len();
    out
}

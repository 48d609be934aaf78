//! `claw_workloads`: every container on every node, its state and health read from the
//! runtime's status, the ones that need attention first.

use super::{Checked, FailedNode, FanoutStats, SharedName};
use crate::node::workload::{Health, State};
use serde::Serialize;

/// One container.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadEntry {
    /// Node id.
    pub node_id: String,
    /// Display name of the node.
    pub node_name: String,
    /// Container id as the node listed it.
    pub container_id: String,
    /// Container name.
    pub name: String,
    /// Image.
    pub image: String,
    /// Normalised state, in Docker's words.
    pub state: State,
    /// Health check result, when the container has one.
    pub health: Option<Health>,
    /// Exit code, where the runtime gives one.
    pub exit_code: Option<i64>,
    /// The runtime's status text (or state word), verbatim.
    pub status: String,
}

impl WorkloadEntry {
    /// Where the container goes in lists that show trouble first (0 first): failing its
    /// health check, restarting, dead, exited with an error, then the rest.
    pub fn attention(&self) -> u8 {
        match (self.state, self.health, self.exit_code) {
            (_, Some(Health::Unhealthy), _) => 0,
            (State::Restarting, ..) => 1,
            (State::Dead, ..) => 2,
            (State::Exited, _, Some(c)) if c != 0 => 3,
            (State::Unknown, ..) => 4,
            _ => 5,
        }
    }
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
    /// Being removed.
    pub removing: usize,
    /// Dead.
    pub dead: usize,
    /// Status not understood.
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
            State::Removing => &mut self.removing,
            State::Dead => &mut self.dead,
            State::Unknown => &mut self.unknown,
        };
        *slot += 1;
    }

    /// Non-zero counts with their state, in display order.
    pub fn nonzero(&self) -> Vec<(&'static str, usize)> {
        let all = [
            self.running,
            self.exited,
            self.created,
            self.restarting,
            self.paused,
            self.removing,
            self.dead,
            self.unknown,
        ];
        State::ALL.iter().zip(all).filter(|(_, n)| *n > 0).map(|(s, n)| (s.as_str(), n)).collect()
    }
}

/// The workload list.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Workloads {
    /// Containers that passed the filters, trouble first, then by node and name.
    pub workloads: Vec<WorkloadEntry>,
    /// By state.
    pub counts: Counts,
    /// Running but failing their health check.
    pub unhealthy: usize,
    /// Containers listed.
    pub total: usize,
    /// Nodes whose reads failed (no answer, or an error), and why.
    pub failed_nodes: Vec<FailedNode>,
    /// What the fan-out saw of the bound on invokes in flight.
    pub fanout: FanoutStats,
    /// A `nodeId` that is the display name of several nodes (all of them listed).
    pub shared_names: Vec<SharedName>,
}

/// Filters of `claw_workloads`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Only this state.
    pub state: Option<State>,
    /// Part of the image reference.
    pub image: Option<String>,
    /// Part of the container name.
    pub name: Option<String>,
}

/// Builds the list from the checked nodes of one fan-out.
pub fn aggregate(nodes: &[Checked], filter: &Filter, fanout: FanoutStats) -> Workloads {
    let mut out = Workloads { fanout, ..Workloads::default() };
    for Checked { report: r, .. } in nodes {
        let containers = match &r.containers {
            Some(Ok(c)) => c,
            Some(Err(e)) => {
                out.failed_nodes.push(FailedNode::new(&r.node, e));
                continue;
            }
            None => continue,
        };
        for c in containers {
            let keep = filter.state.is_none_or(|s| s == c.state)
                && filter.image.as_deref().is_none_or(|i| c.image.contains(i))
                && filter.name.as_deref().is_none_or(|n| c.name.contains(n));
            if !keep {
                continue;
            }
            out.counts.add(c.state);
            out.unhealthy += usize::from(c.health == Some(Health::Unhealthy));
            out.workloads.push(WorkloadEntry {
                node_id: r.node.id.clone(),
                node_name: r.node.name.clone(),
                container_id: c.container_id.clone(),
                name: c.name.clone(),
                image: c.image.clone(),
                state: c.state,
                health: c.health,
                exit_code: c.exit_code,
                status: c.status.clone(),
            });
        }
    }
    out.workloads.sort_by(|a, b| {
        (a.attention(), &a.node_name, &a.node_id, &a.name).cmp(&(b.attention(), &b.node_name, &b.node_id, &b.name))
    });
    out.total = out.workloads.len();
    out
}

//! The plugin's state across calls: config, the static-facts cache, the placement ledger and
//! the health monitor. One per registration; the wasm layer holds it.

use crate::config::Config;
use crate::facts;
use crate::fleet::NodeRef;
use crate::host::{Host, NodeEntry};
use crate::ledger::Ledger;
use crate::monitor::Monitor;
use std::cell::{Cell, RefCell};

/// Counters of the monitor's ticks.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TickStats {
    /// Ticks run.
    pub ticks: u64,
    /// Ticks that took longer than the interval.
    pub overruns: u64,
    /// Requests for a tick that joined one already running instead of starting another.
    pub joined: u64,
    /// When the last tick ended (ms since epoch; 0 before the first).
    pub last_at: f64,
    /// How long the last tick took, ms.
    pub last_duration_ms: f64,
}

/// The plugin.
#[derive(Debug)]
pub struct Plugin {
    /// Validated configuration.
    pub config: Config,
    /// Static node facts.
    pub facts: facts::Cache,
    /// GPUs just given work.
    pub ledger: Ledger,
    /// Health state machine.
    pub monitor: RefCell<Monitor>,
    /// Tick counters.
    pub stats: Cell<TickStats>,
    /// Whether a tick is running now.
    pub ticking: Cell<bool>,
}

/// The fleet as one listing shows it.
#[derive(Debug, Clone, Default)]
pub struct Fleet {
    /// Connected clawnodes, by name then id.
    pub nodes: Vec<NodeEntry>,
    /// Listed clawnodes that are not connected.
    pub disconnected: Vec<NodeEntry>,
    /// Connected nodes whose commands wait for an operator's approval.
    pub pending: Vec<NodeRef>,
}

impl Plugin {
    /// A plugin with `config`.
    pub fn new(config: Config) -> Self {
        Self {
            facts: facts::Cache::new(config.facts_ttl_ms),
            config,
            ledger: Ledger::default(),
            monitor: RefCell::default(),
            stats: Cell::default(),
            ticking: Cell::new(false),
        }
    }

    /// Lists the fleet: connected clawnodes, disconnected ones, nodes pending approval.
    pub async fn fleet<H: Host>(&self, host: &H) -> Result<Fleet, String> {
        let mut all = host.list_nodes().await?;
        all.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        let mut f = Fleet::default();
        for n in all {
            if n.connected && n.pending_approval {
                f.pending.push(NodeRef::from(&n));
            } else if n.is_clawnode() && n.connected {
                f.nodes.push(n);
            } else if n.is_clawnode() {
                f.disconnected.push(n);
            }
        }
        let ids: Vec<&str> = f.nodes.iter().map(|n| n.id.as_str()).collect();
        self.facts.retain(&ids);
        Ok(f)
    }
}

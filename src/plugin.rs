//! The plugin's state across calls — config, the static-facts cache, the adaptive bound on
//! invokes in flight, the record of containers it started, the health monitor, its last
//! snapshot — and the fleet listing every call starts from. One per registration; the wasm
//! layer holds it.

use crate::alerts::Alerter;
use crate::assess::{assess, Reach, Report, State};
use crate::config::Config;
use crate::fleet::status::FleetStatus;
use crate::fleet::Checked;
use crate::holds::Holds;
use crate::io::facts::Cache;
use crate::io::fanout::{each_node, Limiter, Stats};
use crate::io::host::{Host, Level};
use crate::io::probe::{probe, Needs};
use crate::monitor::{offline_after, Listed, Monitor};
use crate::node::entry::{NodeEntry, Standing};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// Keys in the host's plugin state store.
pub mod keys {
    /// The record of containers the plugin started ([`crate::holds::Holds`]).
    pub const HOLDS: &str = "holds";
    /// The monitor's tracked nodes and transition history ([`crate::monitor::Monitor`]).
    pub const MONITOR: &str = "monitor";
    /// What the agent was last told about each node ([`crate::alerts::Alerter`]).
    pub const ALERTS: &str = "alerts";
}

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

/// The fleet as one listing shows it.
#[derive(Debug, Clone, Default)]
pub struct Fleet {
    /// Connected clawnodes the plugin can use, by name then id.
    pub usable: Vec<Rc<NodeEntry>>,
    /// Clawnodes it cannot ask (offline, or unusable with the reason), already reported as such.
    pub unusable: Vec<Report>,
}

impl Fleet {
    /// Every listed clawnode's id, and how it is listed.
    pub fn listed(&self) -> Vec<(&str, Listed<'_>)> {
        let others = self.unusable.iter().map(|r| {
            let how = match &r.reach {
                Reach::Usable => Listed::Usable,
                Reach::Offline => Listed::Offline,
                Reach::Unusable(why) => Listed::Unusable(why),
            };
            (r.node.id.as_str(), how)
        });
        self.usable.iter().map(|n| (n.id.as_str(), Listed::Usable)).chain(others).collect()
    }

    /// Connected clawnodes the plugin cannot use, and why.
    pub fn connected_unusable(&self) -> impl Iterator<Item = (&NodeEntry, &str)> {
        self.unusable.iter().filter_map(|r| match &r.reach {
            Reach::Unusable(why) => Some((&*r.node, why.as_str())),
            _ => None,
        })
    }
}

/// Whether the state store has worked, so its absence is logged once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Store {
    /// Not tried yet.
    #[default]
    Untried,
    /// Loads and saves work.
    Working,
    /// It failed; the plugin keeps its state in memory (said once in the log).
    Unavailable,
}

/// The plugin.
#[derive(Debug)]
pub struct Plugin {
    /// Validated configuration.
    pub config: Config,
    /// Static node facts.
    pub facts: Cache,
    /// The bound on invokes in flight, shared by every call.
    pub limiter: Limiter,
    /// Containers the plugin started and the GPUs they hold.
    pub holds: RefCell<Holds>,
    /// Health state machine.
    pub monitor: RefCell<Monitor>,
    /// The last tick's status and when it ended.
    pub snapshot: RefCell<Option<(FleetStatus, f64)>>,
    /// When the monitor's memory was restored from the store (ms since epoch).
    pub restored_at: Cell<Option<f64>>,
    /// Alert coalescing and cool-down.
    pub alerter: RefCell<Alerter>,
    /// Tick counters.
    pub stats: Cell<TickStats>,
    /// Whether a tick is running now.
    pub ticking: Cell<bool>,
    /// The state store's health.
    pub store: Cell<Store>,
    /// Whether the store was read once already.
    restored: Cell<bool>,
    /// Whether the log already said that alerts cannot reach the agent.
    pub alerts_off_said: Cell<bool>,
}

impl Plugin {
    /// A plugin with `config`.
    pub fn new(config: Config) -> Self {
        Self {
            facts: Cache::new(config.facts_ttl_ms),
            limiter: Limiter::new(config.max_concurrency),
            holds: RefCell::default(),
            monitor: RefCell::default(),
            snapshot: RefCell::default(),
            restored_at: Cell::new(None),
            alerter: RefCell::default(),
            stats: Cell::default(),
            ticking: Cell::new(false),
            store: Cell::default(),
            restored: Cell::new(false),
            alerts_off_said: Cell::new(false),
            config,
        }
    }

    /// Lists the fleet: usable clawnodes, and the ones that are offline or unusable. Every
    /// call starts here, so the first one restores what the state store kept.
    pub async fn fleet<H: Host>(&self, host: &H) -> Result<Fleet, String> {
        self.restore(host).await;
        let mut all = host.list_nodes().await?;
        all.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        let mut f = Fleet::default();
        for n in all {
            match n.standing(self.config.node_policy) {
                Standing::Usable => f.usable.push(n),
                Standing::Offline => f.unusable.push(Report::new(n, Reach::Offline)),
                Standing::Unusable(why) => f.unusable.push(Report::new(n, Reach::Unusable(why))),
                Standing::Other => {}
            }
        }
        let ids: Vec<&str> = f.usable.iter().map(|n| n.id.as_str()).collect();
        self.facts.retain(&ids);
        Ok(f)
    }

    /// Asks `nodes` for `needs` within the bound (and nodes holding GPUs for their containers),
    /// brings the record of started containers up to date with what they list, and assesses
    /// each one.
    pub async fn check<H: Host>(&self, host: &H, nodes: &[Rc<NodeEntry>], needs: Needs) -> (Vec<Checked>, Stats) {
        let cfg = &self.config;
        // A GPU given to a container the plugin started is released when the container exits,
        // which only workload.list shows: a check that reads GPU states also lists the
        // containers of nodes with a hold, so no call shows a GPU held by a container gone.
        let asked_at = host.now_ms();
        let (reports, stats) = each_node(host, nodes, &self.limiter, cfg.invoke_timeout_ms, |s| {
            let held = needs.metrics && !needs.containers && self.holds.borrow().any_on(&s.node().id);
            probe(s, &self.facts, if held { Needs { containers: true, ..needs } } else { needs })
        })
        .await;
        let mut changed = false;
        {
            let mut holds = self.holds.borrow_mut();
            for r in &reports {
                if let Some(c) = r.containers() {
                    changed |= holds.settle(&r.node.id, c, asked_at);
                }
            }
        }
        if changed {
            self.save_holds(host).await;
        }
        let holds = self.holds.borrow();
        let checked =
            reports.into_iter().map(|r| Checked { verdict: assess(&r, &holds, &cfg.thresholds), report: r }).collect();
        (checked, stats)
    }

    /// Brings a call's verdicts in line with the monitor's memory: a node the monitor has seen
    /// silent for `failuresToOffline` checks in a row (this one included) is offline for every
    /// reader, not only in the monitor's snapshot.
    pub fn with_monitor_memory(&self, checked: &mut [Checked]) {
        let monitor = self.monitor.borrow();
        let limit = self.config.thresholds.failures_to_offline;
        for c in checked.iter_mut() {
            let v = &mut c.verdict;
            if let Some(why) = offline_after(v.state, monitor.failures(&c.report.node.id) + 1, limit, &v.reason) {
                v.state = State::Offline;
                v.reason = why;
            }
        }
    }

    /// The offline and unusable clawnodes of a fleet (its `unusable`), assessed as such.
    pub fn unusable_checked(&self, unusable: Vec<Report>) -> Vec<Checked> {
        let holds = self.holds.borrow();
        unusable
            .into_iter()
            .map(|r| Checked { verdict: assess(&r, &holds, &self.config.thresholds), report: r })
            .collect()
    }

    /// Saves the record of started containers (in memory only when the store fails).
    pub async fn save_holds<H: Host>(&self, host: &H) {
        let text = serde_json::to_string(&*self.holds.borrow()).unwrap_or_default();
        self.save(host, keys::HOLDS, &text).await;
    }

    /// Writes one key to the state store; the first failure is logged once, then the plugin
    /// keeps its state in memory.
    pub async fn save<H: Host>(&self, host: &H, key: &str, value: &str) {
        if self.store.get() == Store::Unavailable {
            return;
        }
        match host.save(key, value).await {
            Ok(()) => self.store.set(Store::Working),
            Err(e) => self.store_failed(host, &e),
        }
    }

    /// Loads what the state store kept (the record of started containers and the monitor's
    /// memory, marked as from before the restart); run once when the plugin starts.
    pub async fn restore<H: Host>(&self, host: &H) {
        if self.restored.replace(true) {
            return;
        }
        match host.load(keys::HOLDS).await {
            Ok(Some(text)) => match serde_json::from_str::<Holds>(&text) {
                Ok(h) => *self.holds.borrow_mut() = h,
                Err(e) => host.log(
                    Level::Warn,
                    &format!("clawbernetes: the saved container record is unreadable, starting afresh: {e}"),
                ),
            },
            Ok(None) => {}
            Err(e) => return self.store_failed(host, &e),
        }
        if let Ok(Some(text)) = host.load(keys::ALERTS).await {
            match serde_json::from_str::<Alerter>(&text) {
                Ok(a) => *self.alerter.borrow_mut() = a,
                Err(e) => host.log(
                    Level::Warn,
                    &format!("clawbernetes: the saved alert memory is unreadable, starting afresh: {e}"),
                ),
            }
        }
        if let Ok(Some(text)) = host.load(keys::MONITOR).await {
            match serde_json::from_str::<Monitor>(&text) {
                Ok(mut m) => {
                    m.mark_restored();
                    *self.monitor.borrow_mut() = m;
                    self.restored_at.set(Some(host.now_ms()));
                }
                Err(e) => host.log(
                    Level::Warn,
                    &format!("clawbernetes: the saved monitor history is unreadable, starting afresh: {e}"),
                ),
            }
        }
        self.store.set(Store::Working);
    }

    fn store_failed<H: Host>(&self, host: &H, why: &str) {
        if self.store.replace(Store::Unavailable) != Store::Unavailable {
            host.log(
                Level::Warn,
                &format!(
                    "clawbernetes: the plugin state store is unavailable ({why}); the container record and the health \
                     history are kept in memory only and do not survive a restart"
                ),
            );
        }
    }
}

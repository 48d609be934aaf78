//! The async driver: asks many nodes at once within a bound on invokes in flight that adapts
//! to the host (the gateway admits 128 pending node invokes and refuses the rest at once),
//! each node's invokes one after another (a node serves one invoke at a time), so each
//! deadline measures the node, not time queued behind its other invokes. The host's
//! backpressure is retried with backoff inside the invoke's deadline; only the node's own
//! failure, or the deadline, makes a node fail.

use super::host::{Failure, FailureKind, Host};
use crate::node::entry::NodeEntry;
use futures_util::future::{select, Either};
use futures_util::stream::{FuturesUnordered, StreamExt};
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// Extra time the core waits past an invoke's own timeout (which the host enforces) before
/// it gives up on a host that never answers.
pub const DEADLINE_GRACE_MS: u64 = 1000;
/// How often a fan-out's watchdog looks for invokes past their deadline.
const WATCHDOG_TICK_MS: u64 = DEADLINE_GRACE_MS / 2;
/// The first retry of a refused invoke waits this long; each further one twice as long.
const BACKOFF_MS: u64 = 25;
/// Longest wait between retries.
const BACKOFF_MAX_MS: u64 = 1000;
/// Where the bound starts before it has learnt anything (doubling from there while calls succeed).
const START_LIMIT: f64 = 32.0;

/// The bound on invokes in flight, shared by every call of the plugin: it grows while
/// invokes succeed (doubling at first, then by one per round) up to the configured ceiling,
/// and halves when the host says it is overloaded.
#[derive(Debug)]
pub struct Limiter {
    ceiling: f64,
    limit: Cell<f64>,
    doubling: Cell<bool>,
}

impl Limiter {
    /// A limiter that never exceeds `ceiling` (config `maxConcurrency`).
    pub fn new(ceiling: usize) -> Self {
        let ceiling = ceiling.max(1) as f64;
        Self { ceiling, limit: Cell::new(START_LIMIT.min(ceiling)), doubling: Cell::new(true) }
    }

    /// Invokes allowed in flight now.
    pub fn limit(&self) -> usize {
        self.limit.get().floor().max(1.0) as usize
    }

    fn succeeded(&self) {
        let l = self.limit.get();
        let grown = if self.doubling.get() { l + 1.0 } else { l + 1.0 / l };
        self.limit.set(grown.min(self.ceiling));
    }

    fn overloaded(&self) {
        self.doubling.set(false);
        self.limit.set((self.limit.get() / 2.0).max(1.0));
    }
}

pub use crate::fleet::FanoutStats as Stats;

/// Cuts off invokes the host never answers, for a whole fan-out with one timer instead of one
/// timer per invoke: every tick it advances its clock and wakes the waiting invokes, and those
/// past their deadline give up.
#[derive(Default)]
struct Watchdog {
    now: Cell<f64>,
    waiting: RefCell<Vec<Waker>>,
}

impl Watchdog {
    async fn run<H: Host>(&self, host: &H) {
        loop {
            host.sleep(WATCHDOG_TICK_MS).await;
            self.now.set(host.now_ms());
            for w in self.waiting.take() {
                w.wake();
            }
        }
    }
}

/// Resolves once the watchdog's clock passes `at`.
struct Expiry {
    dog: Rc<Watchdog>,
    at: f64,
}

impl Future for Expiry {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.dog.now.get() >= self.at {
            return Poll::Ready(());
        }
        self.dog.waiting.borrow_mut().push(cx.waker().clone());
        Poll::Pending
    }
}

/// Shared by the sessions of one fan-out.
struct Shared<'h> {
    limiter: &'h Limiter,
    in_flight: Cell<usize>,
    stats: Cell<Stats>,
    dog: Option<Rc<Watchdog>>,
}

impl Shared<'_> {
    fn update(&self, f: impl FnOnce(&mut Stats)) {
        let mut s = self.stats.get();
        f(&mut s);
        self.stats.set(s);
    }
}

/// One node's conversation during a fan-out.
pub struct Session<'h, H: Host> {
    host: &'h H,
    node: &'h Rc<NodeEntry>,
    timeout_ms: u64,
    silent: RefCell<Option<String>>,
    shared: Rc<Shared<'h>>,
}

impl<'h, H: Host> Session<'h, H> {
    /// A session with `node` outside any fan-out (one invoke at a time, each with a timer of
    /// its own), within `limiter`.
    pub fn new(host: &'h H, node: &'h Rc<NodeEntry>, limiter: &'h Limiter, timeout_ms: u64) -> Self {
        let shared = Rc::new(Shared { limiter, in_flight: Cell::new(0), stats: Cell::default(), dog: None });
        Self { host, node, timeout_ms, silent: RefCell::new(None), shared }
    }

    /// The node talked to.
    pub fn node(&self) -> &'h Rc<NodeEntry> {
        self.node
    }

    /// The host's clock.
    pub fn now(&self) -> f64 {
        self.host.now_ms()
    }

    /// Why the node stopped answering, once it did.
    pub fn silent(&self) -> Option<String> {
        self.silent.borrow().clone()
    }

    /// Invokes `command` and returns the payload text; the deadline starts now, when the node
    /// is free for it, and holds across retries of the host's refusals. Errors are prefixed
    /// with the command. Once the node failed to answer at all, later calls fail at once
    /// instead of waiting out another deadline.
    pub async fn call(&self, command: &str, params: &Value) -> Result<String, String> {
        if self.host.cancelled() {
            return Err(format!("{command}: cancelled"));
        }
        if self.silent.borrow().is_some() {
            return Err(format!("{command}: skipped, the node did not answer an earlier command"));
        }
        let start = self.host.now_ms();
        let end = start + self.timeout_ms as f64;
        let mut attempt = 0u32;
        let failure = loop {
            let left = (end - self.host.now_ms()).max(1.0) as u64;
            let r = self.send(command, params, left).await;
            match r {
                Ok(text) => {
                    self.shared.limiter.succeeded();
                    return Ok(text);
                }
                Err(f) if f.kind == FailureKind::Backpressure => {
                    if f.message.contains("overloaded") || f.message.contains("capacity") {
                        self.shared.limiter.overloaded();
                        self.shared.update(|s| s.overloaded += 1);
                    }
                    let wait = f.retry_after_ms.unwrap_or(BACKOFF_MS << attempt.min(6)).min(BACKOFF_MAX_MS);
                    if self.host.now_ms() + wait as f64 >= end || self.host.cancelled() {
                        break Failure::silent(format!(
                            "the gateway kept refusing for {} ms: {}",
                            self.timeout_ms, f.message
                        ));
                    }
                    attempt += 1;
                    self.shared.update(|s| s.retries += 1);
                    self.host.sleep(wait).await;
                }
                Err(f) => break f,
            }
        };
        let message = format!("{command}: {}", failure.message);
        if failure.kind != FailureKind::NodeError {
            *self.silent.borrow_mut() = Some(message.clone());
        }
        Err(message)
    }

    /// One invoke within the deadline.
    async fn send(&self, command: &str, params: &Value, timeout_ms: u64) -> Result<String, Failure> {
        let sh = &self.shared;
        sh.in_flight.set(sh.in_flight.get() + 1);
        sh.update(|s| s.peak_in_flight = s.peak_in_flight.max(sh.in_flight.get()));
        let invoke = pin!(self.host.invoke(&self.node.id, command, params, timeout_ms));
        let limit = timeout_ms + DEADLINE_GRACE_MS;
        let deadline: Pin<Box<dyn Future<Output = ()> + '_>> = match &sh.dog {
            Some(dog) => Box::pin(Expiry { dog: Rc::clone(dog), at: self.host.now_ms() + limit as f64 }),
            None => Box::pin(self.host.sleep(limit)),
        };
        let out = match select(invoke, deadline).await {
            Either::Left((r, _)) => r,
            Either::Right(_) => Err(Failure::silent(format!("no answer within {timeout_ms} ms"))),
        };
        sh.in_flight.set(sh.in_flight.get().saturating_sub(1));
        out
    }
}

/// Runs `work` for every node, admitting nodes while the limiter has room, and returns the
/// results in the order of `nodes` with what the fan-out saw of the bound. Reports progress
/// to the host at every tenth of the fleet.
pub async fn each_node<'h, H, T, F, Fut>(
    host: &'h H,
    nodes: &'h [Rc<NodeEntry>],
    limiter: &'h Limiter,
    timeout_ms: u64,
    work: F,
) -> (Vec<T>, Stats)
where
    H: Host,
    F: Fn(Session<'h, H>) -> Fut,
    Fut: Future<Output = T>,
{
    let total = nodes.len();
    let step = (total / 10).max(1);
    let mut slots: Vec<Option<T>> = std::iter::repeat_with(|| None).take(total).collect();
    let dog = Rc::new(Watchdog::default());
    dog.now.set(host.now_ms());
    let shared =
        Rc::new(Shared { limiter, in_flight: Cell::new(0), stats: Cell::default(), dog: Some(Rc::clone(&dog)) });
    let collect = async {
        let mut waiting = nodes.iter().enumerate();
        let mut running = FuturesUnordered::new();
        let mut done = 0;
        loop {
            while running.len() < limiter.limit() {
                let Some((i, n)) = waiting.next() else { break };
                let session =
                    Session { host, node: n, timeout_ms, silent: RefCell::new(None), shared: Rc::clone(&shared) };
                let fut = work(session);
                running.push(async move { (i, fut.await) });
            }
            let Some((i, t)) = running.next().await else { break };
            if let Some(slot) = slots.get_mut(i) {
                *slot = Some(t);
            }
            done += 1;
            if done % step == 0 && done < total {
                host.progress(
                    &format!("{done}/{total} nodes answered"),
                    &serde_json::json!({"progress": {"done": done, "total": total}}),
                );
            }
        }
    };
    // The watchdog runs only while answers are awaited; it is dropped (its timer cleared) after.
    select(pin!(collect), pin!(dog.run(host))).await;
    let mut stats = shared.stats.get();
    stats.limit = limiter.limit();
    (slots.into_iter().flatten().collect(), stats)
}

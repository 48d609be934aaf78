//! The async driver: asks many nodes at once within a bound on invokes in flight that adapts
//! to the host (the gateway admits 128 pending node invokes and refuses the rest at once),
//! each node's invokes one after another (a node serves one invoke at a time), so each
//! deadline measures the node, not time queued behind its other invokes. The host's
//! backpressure is retried with backoff inside the invoke's deadline; only the node's own
//! failure, or the deadline, makes a node fail.

use super::host::{Failure, FailureKind, Host};
use crate::commands;
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
/// A read (a command in [`commands::READ`], safe to send twice) whose deadline is at least this
/// long is first given a third of it, then asked once more with the rest: a gateway under load
/// can drop a node's answer (it refuses `node.invoke.result` with "pairing changed" when it
/// cannot confirm the pairing in time), and the invoke would otherwise wait out the whole
/// deadline and fail a node that answered.
const REASK_MIN_DEADLINE_MS: u64 = 15_000;
/// Where the bound starts before it has learnt anything (doubling from there while calls succeed).
const START_LIMIT: f64 = 32.0;
/// After the bound is cut, further overload answers within this window are the same event (the
/// invokes already in flight when the gateway filled up), not a reason to cut again.
const CUT_SPACING_MS: f64 = 250.0;

/// The bound on invokes in flight, shared by every call of the plugin (tool calls, methods and
/// the monitor's ticks admit their nodes through the same count): it grows while invokes succeed
/// with the bound full — doubling at first, then by one per round — up to the configured
/// ceiling, and halves when the host says it is overloaded (once per burst of refusals).
#[derive(Debug)]
pub struct Limiter {
    ceiling: f64,
    limit: Cell<f64>,
    doubling: Cell<bool>,
    admitted: Cell<usize>,
    last_cut: Cell<f64>,
    waiting: RefCell<Vec<Waker>>,
}

impl Limiter {
    /// A limiter that never exceeds `ceiling` (config `maxConcurrency`).
    pub fn new(ceiling: usize) -> Self {
        let ceiling = ceiling.max(1) as f64;
        Self {
            ceiling,
            limit: Cell::new(START_LIMIT.min(ceiling)),
            doubling: Cell::new(true),
            admitted: Cell::new(0),
            last_cut: Cell::new(f64::NEG_INFINITY),
            waiting: RefCell::default(),
        }
    }

    /// Invokes allowed in flight now.
    pub fn limit(&self) -> usize {
        self.limit.get().floor().max(1.0) as usize
    }

    /// Nodes admitted now, across every call.
    pub fn admitted(&self) -> usize {
        self.admitted.get()
    }

    /// A slot for one node, when the bound has room.
    fn try_admit(&self) -> Option<Permit<'_>> {
        if self.admitted.get() >= self.limit() {
            return None;
        }
        self.admitted.set(self.admitted.get() + 1);
        Some(Permit(self))
    }

    /// Resolves once the bound has room (another call frees a slot, or the bound grows).
    fn room(&self) -> Room<'_> {
        Room(self)
    }

    fn release(&self) {
        self.admitted.set(self.admitted.get().saturating_sub(1));
        for w in self.waiting.take() {
            w.wake();
        }
    }

    fn succeeded(&self) {
        let l = self.limit.get();
        if (self.admitted.get() as f64) < l.floor() {
            return; // the bound is not what holds calls back: nothing to learn
        }
        let grown = if self.doubling.get() { l + 1.0 } else { l + 1.0 / l };
        self.limit.set(grown.min(self.ceiling));
        for w in self.waiting.take() {
            w.wake();
        }
    }

    fn overloaded(&self, now: f64) {
        self.doubling.set(false);
        if now - self.last_cut.get() < CUT_SPACING_MS {
            return;
        }
        self.last_cut.set(now);
        self.limit.set((self.limit.get() / 2.0).max(1.0));
    }
}

/// One admitted node's slot; released when dropped (also when the call is cancelled).
struct Permit<'l>(&'l Limiter);

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.0.release();
    }
}

/// See [`Limiter::room`].
struct Room<'l>(&'l Limiter);

impl Future for Room<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0.admitted.get() < self.0.limit() {
            return Poll::Ready(());
        }
        self.0.waiting.borrow_mut().push(cx.waker().clone());
        Poll::Pending
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
    /// is free for it, and holds across retries of the host's refusals (and, for a read, one
    /// more ask after a third of it went unanswered: [`REASK_MIN_DEADLINE_MS`]). Errors are
    /// prefixed with the command. Once the node failed to answer at all, later calls fail at
    /// once instead of waiting out another deadline.
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
        let mut asked_again = false;
        let mut reask = self.timeout_ms >= REASK_MIN_DEADLINE_MS && commands::READ.contains(&command);
        let failure = loop {
            let sent = self.host.now_ms();
            let left = (end - sent).max(1.0) as u64;
            let budget = if reask { left.min(self.timeout_ms / 3) } else { left };
            let r = self.send(command, params, budget).await;
            match r {
                Ok(text) => {
                    self.shared.limiter.succeeded();
                    return Ok(text);
                }
                Err(f) if f.kind == FailureKind::Backpressure => {
                    if f.message.contains("overloaded") || f.message.contains("capacity") || f.message.contains("busy")
                    {
                        self.shared.limiter.overloaded(self.host.now_ms());
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
                Err(f) if f.kind == FailureKind::Silent => {
                    let unanswered = self.host.now_ms() - sent >= budget as f64;
                    if reask && (unanswered || f.message.contains("pairing changed")) && !self.host.cancelled() {
                        // unanswered for its whole first share, or the gateway lost it when the
                        // node's pairing changed under it: asked once more with the rest
                        reask = false;
                        asked_again = true;
                        self.shared.update(|s| s.retries += 1);
                    } else if asked_again && unanswered {
                        // the deadline ran out across attempts: say so for the whole of it
                        break Failure::silent(format!("no answer within {} ms (asked twice)", self.timeout_ms));
                    } else {
                        break f;
                    }
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
            Either::Right(_) => Err(Failure::silent(format!("no answer within {} ms", self.timeout_ms))),
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
        let mut waiting = nodes.iter().enumerate().peekable();
        let mut running = FuturesUnordered::new();
        let mut done = 0;
        loop {
            while waiting.peek().is_some() {
                let Some(permit) = limiter.try_admit() else { break };
                let Some((i, n)) = waiting.next() else { break };
                let session =
                    Session { host, node: n, timeout_ms, silent: RefCell::new(None), shared: Rc::clone(&shared) };
                let fut = work(session);
                running.push(async move {
                    let _slot = permit;
                    (i, fut.await)
                });
            }
            let finished = if running.is_empty() {
                if waiting.peek().is_none() {
                    break;
                }
                limiter.room().await; // every slot is another call's: wait for one to free up
                continue;
            } else if waiting.peek().is_some() {
                match select(running.next(), limiter.room()).await {
                    Either::Left((next, _)) => next,
                    Either::Right(_) => continue,
                }
            } else {
                running.next().await
            };
            let Some((i, t)) = finished else { continue };
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_bound_doubles_then_halves_on_overload_and_grows_back_one_per_round() {
        let l = Limiter::new(120);
        assert_eq!(l.limit(), 32);
        let mut held: Vec<_> = std::iter::from_fn(|| l.try_admit()).collect();
        assert_eq!(held.len(), 32, "admits up to the bound, no further");
        // each success with the bound full grows it, and the fan-out fills the room at once
        for _ in 0..32 {
            l.succeeded();
            held.extend(l.try_admit());
        }
        assert_eq!((l.limit(), held.len()), (64, 64), "a full bound whose invokes succeed doubles per round at first");
        l.overloaded(1000.0);
        assert_eq!(l.limit(), 32, "overload halves it");
        l.overloaded(1100.0);
        assert_eq!(l.limit(), 32, "refusals within 250 ms are the same burst: one cut");
        let rounds = std::iter::repeat_with(|| l.succeeded()).take_while(|()| l.limit() < 33).count() + 1;
        assert_eq!((l.limit(), rounds), (33, 33), "after a cut it grows by one per round of successes");
        l.overloaded(1400.0);
        assert_eq!(l.limit(), 16);
        drop(held);
        l.succeeded();
        assert_eq!(l.limit(), 16, "a bound that is not full learns nothing");
        let capped = Limiter::new(40);
        let mut held: Vec<_> = std::iter::from_fn(|| capped.try_admit()).collect();
        for _ in 0..100 {
            capped.succeeded();
            held.extend(capped.try_admit());
        }
        assert_eq!((capped.limit(), held.len()), (40, 40), "never past maxConcurrency");
    }
}

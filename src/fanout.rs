//! The async driver: asks many nodes at once, a bounded number in flight, each node's
//! invokes one after another (a node serves one invoke at a time), so each deadline the host
//! enforces measures the node, not time queued behind its other invokes.

use crate::host::{Failure, Host, NodeEntry};
use futures_util::future::{select, Either};
use futures_util::stream::{self, StreamExt};
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

/// One node's conversation during a fan-out.
pub struct Session<'h, H: Host> {
    host: &'h H,
    node: &'h NodeEntry,
    timeout_ms: u64,
    silent: Cell<bool>,
    dog: Option<Rc<Watchdog>>,
}

impl<'h, H: Host> Session<'h, H> {
    /// A session with `node`, each invoke bounded by `timeout_ms` (a lone session: its invokes
    /// each get a timer of their own).
    pub fn new(host: &'h H, node: &'h NodeEntry, timeout_ms: u64) -> Self {
        Self { host, node, timeout_ms, silent: Cell::new(false), dog: None }
    }

    /// The node talked to.
    pub fn node(&self) -> &'h NodeEntry {
        self.node
    }

    /// The node's id.
    pub fn node_id(&self) -> &'h str {
        &self.node.id
    }

    /// Whether the node declares `command`.
    pub fn declares(&self, command: &str) -> bool {
        self.node.declares(command)
    }

    /// The host's clock.
    pub fn now(&self) -> f64 {
        self.host.now_ms()
    }

    /// Invokes `command`; the deadline starts now, when the node is free for it. Errors are
    /// prefixed with the command. Once the node failed to answer at all, later calls fail at
    /// once instead of waiting out another deadline.
    pub async fn call(&self, command: &str, params: &Value) -> Result<Value, String> {
        if self.host.cancelled() {
            return Err(format!("{command}: cancelled"));
        }
        if self.silent.get() {
            return Err(format!("{command}: skipped, the node did not answer an earlier command"));
        }
        let invoke = pin!(self.host.invoke(&self.node.id, command, params, self.timeout_ms));
        let limit = self.timeout_ms + DEADLINE_GRACE_MS;
        let deadline: Pin<Box<dyn Future<Output = ()> + '_>> = match &self.dog {
            Some(dog) => Box::pin(Expiry { dog: Rc::clone(dog), at: self.host.now_ms() + limit as f64 }),
            None => Box::pin(self.host.sleep(limit)),
        };
        let failure = match select(invoke, deadline).await {
            Either::Left((Ok(v), _)) => return Ok(v),
            Either::Left((Err(f), _)) => f,
            Either::Right(_) => Failure::unreachable(format!("no answer within {} ms", self.timeout_ms)),
        };
        if !failure.node_answered {
            self.silent.set(true);
        }
        Err(format!("{command}: {}", failure.message))
    }
}

/// Runs `work` for every node, at most `limit` nodes at a time, and returns the results
/// in the order of `nodes`. Reports progress to the host at every tenth of the fleet.
pub async fn each_node<'h, H, T, F, Fut>(
    host: &'h H,
    nodes: &'h [NodeEntry],
    limit: usize,
    timeout_ms: u64,
    work: F,
) -> Vec<T>
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
    let jobs = nodes.iter().enumerate().map(|(i, n)| {
        let session = Session { dog: Some(Rc::clone(&dog)), ..Session::new(host, n, timeout_ms) };
        let fut = work(session);
        async move { (i, fut.await) }
    });
    let collect = async {
        let mut results = stream::iter(jobs).buffer_unordered(limit.max(1));
        let mut done = 0;
        while let Some((i, t)) = results.next().await {
            if let Some(slot) = slots.get_mut(i) {
                *slot = Some(t);
            }
            done += 1;
            if done % step == 0 && done < total {
                host.progress(done, total);
            }
        }
    };
    // The watchdog runs only while answers are awaited; it is dropped (its timer cleared) after.
    select(pin!(collect), pin!(dog.run(host))).await;
    slots.into_iter().flatten().collect()
}

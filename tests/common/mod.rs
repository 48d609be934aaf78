//! Shared by the native integration tests: a fake gateway whose clawnodes answer with the real
//! fixtures (edited per node where a test needs it), recording every invoke, and the recorder
//! of the hardening cases.
#![allow(dead_code)]

pub mod recorder;

use clawbernetes::io::host::{Failure, FailureKind, Host, Level};
use clawbernetes::node::entry::{NodeEntry, CLAWNODE_MARKERS};
use serde_json::{json, Value};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// The `response` of fixture `tests/fixtures/clawnode/<name>.json`.
pub fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clawnode").join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let v: Value = serde_json::from_str(&text).unwrap();
    v["response"].clone()
}

/// Commands a default clawnode build declares (68).
pub fn default_commands() -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clawnode/commands-default-build.txt");
    std::fs::read_to_string(path).unwrap().split_whitespace().map(str::to_owned).collect()
}

/// A short command list for the hardening tests: the markers, the GPU and workload commands,
/// a few sensitive ones.
pub fn clawnode_commands() -> Vec<String> {
    let mut c: Vec<String> = CLAWNODE_MARKERS.iter().map(|s| s.to_string()).collect();
    c.extend(
        [
            "gpu.list",
            "gpu.metrics",
            "workload.list",
            "workload.logs",
            "workload.run",
            "secret.get",
            "auth.create_key",
            "system.run",
        ]
        .map(String::from),
    );
    c
}

/// A connected clawnode named `name` (its id is `id-<name>`) declaring `clawnode_commands()`,
/// as today's clawnode lists (protocol 3: no device family; platform `linux x86_64`).
pub fn node(name: &str) -> NodeEntry {
    NodeEntry {
        id: format!("id-{name}"),
        name: name.to_owned(),
        connected: true,
        commands: clawnode_commands().into(),
        pending: Vec::new().into(),
        pending_approval: false,
        client_id: "node-host".to_owned(),
        caps: ["system", "gpu", "nvidia", "docker", "container"].map(String::from).to_vec().into(),
        platform: "linux x86_64".to_owned(),
        device_family: String::new(),
    }
}

/// What a fake node answers to one command.
pub type Answer = Result<Value, Failure>;

/// A fake node being described: its list entry and the answers that differ from the fixtures.
pub struct FakeNode {
    pub entry: NodeEntry,
    pub answers: HashMap<String, Answer>,
}

impl FakeNode {
    /// A connected clawnode `name` of a default build, answering every fixture as recorded.
    pub fn clawnode(name: &str) -> Self {
        let entry = NodeEntry { commands: default_commands().into(), ..node(name) };
        Self { entry, answers: HashMap::new() }
    }

    /// Edits the payload of `command` in place.
    pub fn edit(mut self, command: &str, f: impl FnOnce(&mut Value)) -> Self {
        let answer = self.answers.entry(command.to_owned()).or_insert_with(|| FakeHost::default_answer(command));
        if let Ok(v) = answer {
            f(v);
        }
        self
    }

    /// Makes `command` fail with a failure of `kind`.
    pub fn fail(mut self, command: &str, message: &str, kind: FailureKind) -> Self {
        self.answers.insert(command.to_owned(), Err(Failure::new(kind, message)));
        self
    }

    /// Answers `command` with `payload`.
    pub fn answer(mut self, command: &str, payload: Value) -> Self {
        self.answers.insert(command.to_owned(), Ok(payload));
        self
    }

    /// Lists the node under `display` (its id stays `id-<name>`).
    pub fn shown_as(mut self, display: &str) -> Self {
        self.entry.name = display.to_owned();
        self
    }

    /// Makes every GPU idle (nothing running).
    pub fn idle_gpus(self) -> Self {
        self.edit("gpu.metrics", |m| {
            for g in m["metrics"].as_array_mut().unwrap() {
                g["memory_used_mb"] = 1.into();
                g["utilization_percent"] = 0.into();
            }
        })
    }

    /// Removes every GPU (a CPU-only node).
    pub fn cpu_only(self) -> Self {
        self.edit("node.capabilities", |c| {
            c["gpus"] = Value::Array(vec![]);
            c["gpu_count"] = 0.into();
            c["capabilities"] = json!(["system", "docker", "container"]);
        })
        .edit("node.health", |h| h["gpu_count"] = 0.into())
        .edit("gpu.metrics", |m| *m = json!({"count": 0, "metrics": []}))
        .edit("gpu.list", |m| *m = json!({"count": 0, "gpus": [], "total_memory_gb": 0}))
    }
}

/// A host over fixture nodes: every node answers the fixtures unless told otherwise. Time is
/// virtual: the clock advances 1 ms per reading, and [`FakeHost::run`] moves it to the next
/// timer only when nothing else can run, so deadlines never fire while answers are ready and
/// waits cost nothing.
#[derive(Default)]
pub struct FakeHost {
    pub nodes: Vec<NodeEntry>,
    pub answers: HashMap<(String, String), Answer>,
    /// Every invoke: (node name, command, params).
    pub invokes: RefCell<Vec<(String, String, Value)>>,
    pub logs: RefCell<Vec<(Level, String)>>,
    pub cancelled: Cell<bool>,
    pub clock: Cell<f64>,
    /// The state store (`None`: the host has none).
    pub store: Option<RefCell<HashMap<String, String>>>,
    /// System events handed to the agent.
    pub events: RefCell<Vec<String>>,
    /// Progress texts reported.
    pub progress: RefCell<Vec<String>>,
    /// Pending invokes the host admits at once (`None`: no limit); past it, it refuses with
    /// the gateway's overload error.
    pub capacity: Option<usize>,
    pub in_flight: Cell<usize>,
    /// Most invokes pending at once (counted while `capacity` is set).
    pub peak: Cell<usize>,
    /// Answers given once each, in order, before `answers` (node id, command).
    pub scripts: RefCell<HashMap<(String, String), VecDeque<Answer>>>,
    /// Invokes never answered, by (node id, command): how many more of them (the gateway
    /// dropped the node's answer, or the node hangs).
    pub hangs: RefCell<HashMap<(String, String), u32>>,
    /// Pending `sleep`s: when each wakes, and its waker.
    timers: RefCell<Vec<(f64, Waker)>>,
}

impl FakeHost {
    pub fn new(nodes: Vec<NodeEntry>) -> Self {
        Self { nodes, clock: Cell::new(1_700_000_000_000.0), store: Some(RefCell::default()), ..Self::default() }
    }

    /// Moves the clock `ms` forward.
    pub fn advance(&self, ms: f64) {
        self.clock.set(self.clock.get() + ms);
    }

    /// Drives `fut` to completion on virtual time: whenever nothing is ready to run, the clock
    /// jumps to the earliest pending `sleep` and wakes it.
    pub fn run<F: Future>(&self, fut: F) -> F::Output {
        struct Flag(AtomicBool);
        impl Wake for Flag {
            fn wake(self: Arc<Self>) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let flag = Arc::new(Flag(AtomicBool::new(false)));
        let waker = Waker::from(Arc::clone(&flag));
        let mut cx = Context::from_waker(&waker);
        let mut fut = std::pin::pin!(fut);
        loop {
            flag.0.store(false, Ordering::SeqCst);
            if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
                return v;
            }
            if flag.0.load(Ordering::SeqCst) {
                continue;
            }
            let mut timers = self.timers.borrow_mut();
            let next = timers.iter().enumerate().min_by(|a, b| a.1 .0.total_cmp(&b.1 .0)).map(|(i, _)| i);
            let Some(i) = next else { panic!("nothing can run and no timer is pending") };
            let (at, w) = timers.remove(i);
            self.clock.set(self.clock.get().max(at));
            w.wake();
        }
    }

    /// A host over described nodes.
    pub fn of(nodes: Vec<FakeNode>) -> Self {
        let mut host = Self::new(Vec::new());
        for n in nodes {
            for (command, answer) in n.answers {
                host.answer(&n.entry.id, &command, answer);
            }
            host.nodes.push(n.entry);
        }
        host
    }

    /// `node_id` answers `command` with `answer`.
    pub fn answer(&mut self, node_id: &str, command: &str, answer: Answer) {
        self.answers.insert((node_id.to_owned(), command.to_owned()), answer);
    }

    /// The next `times` invokes of `command` on `node_id` are never answered.
    pub fn hang(&self, node_id: &str, command: &str, times: u32) {
        self.hangs.borrow_mut().insert((node_id.to_owned(), command.to_owned()), times);
    }

    /// `node_id` answers its next `command`s with `answers`, one each, then as before.
    pub fn script(&self, node_id: &str, command: &str, answers: Vec<Answer>) {
        self.scripts.borrow_mut().insert((node_id.to_owned(), command.to_owned()), answers.into());
    }

    /// The fixture answer to `command`, as every fixture node gives it.
    pub fn default_answer(command: &str) -> Answer {
        match command {
            "node.health" | "node.capabilities" | "gpu.list" | "gpu.metrics" | "workload.list" | "workload.run"
            | "workload.logs" | "secret.get" | "auth.create_key" | "system.run" | "system.info" => Ok(fixture(command)),
            other => Err(Failure::node(format!("COMMAND_ERROR: no fixture for {other}"))),
        }
    }

    /// The invokes sent so far (node name, command, params), forgotten once taken.
    pub fn take_calls(&self) -> Vec<(String, String, Value)> {
        std::mem::take(&mut *self.invokes.borrow_mut())
    }
}

/// Resolves on its second poll (the first wakes itself): lets other futures run.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl Host for FakeHost {
    async fn list_nodes(&self) -> Result<Vec<Rc<NodeEntry>>, String> {
        Ok(self.nodes.iter().cloned().map(Rc::new).collect())
    }

    async fn invoke(&self, node_id: &str, command: &str, params: &Value, _timeout_ms: u64) -> Result<String, Failure> {
        let name = self.nodes.iter().find(|n| n.id == node_id).map_or(node_id, |n| n.name.as_str());
        self.invokes.borrow_mut().push((name.to_owned(), command.to_owned(), params.clone()));
        if let Some(cap) = self.capacity {
            if self.in_flight.get() >= cap {
                return Err(Failure::new(
                    FailureKind::Backpressure,
                    "UNAVAILABLE: WorkerTaskError: worker task capacity reached: code=overloaded",
                ));
            }
            self.in_flight.set(self.in_flight.get() + 1);
            self.peak.set(self.peak.get().max(self.in_flight.get()));
            YieldOnce(false).await;
            self.in_flight.set(self.in_flight.get() - 1);
        }
        let key = (node_id.to_owned(), command.to_owned());
        let hang = self.hangs.borrow_mut().get_mut(&key).is_some_and(|n| {
            let left = *n > 0;
            *n = n.saturating_sub(1);
            left
        });
        if hang {
            std::future::pending::<()>().await;
        }
        let scripted = self.scripts.borrow_mut().get_mut(&key).and_then(VecDeque::pop_front);
        let answer = match scripted {
            Some(a) => a,
            None => self.answers.get(&key).cloned().unwrap_or_else(|| Self::default_answer(command)),
        };
        answer.map(|v| v.to_string())
    }

    async fn sleep(&self, ms: u64) {
        let at = self.clock.get() + ms as f64;
        std::future::poll_fn(|cx| {
            if self.clock.get() >= at {
                return Poll::Ready(());
            }
            self.timers.borrow_mut().push((at, cx.waker().clone()));
            Poll::Pending
        })
        .await;
    }

    fn now_ms(&self) -> f64 {
        self.clock.set(self.clock.get() + 1.0);
        self.clock.get()
    }

    fn cancelled(&self) -> bool {
        self.cancelled.get()
    }

    fn log(&self, level: Level, message: &str) {
        self.logs.borrow_mut().push((level, message.to_owned()));
    }

    fn progress(&self, text: &str, _details: &Value) {
        self.progress.borrow_mut().push(text.to_owned());
    }

    async fn load(&self, key: &str) -> Result<Option<String>, String> {
        let store = self.store.as_ref().ok_or("no store")?;
        Ok(store.borrow().get(key).cloned())
    }

    async fn save(&self, key: &str, value: &str) -> Result<(), String> {
        let store = self.store.as_ref().ok_or("no store")?;
        store.borrow_mut().insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    fn can_notify_agent(&self) -> Result<(), String> {
        Ok(())
    }

    fn notify_agent(&self, text: &str) -> Result<(), String> {
        self.events.borrow_mut().push(text.to_owned());
        Ok(())
    }
}

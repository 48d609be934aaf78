//! Shared by the native integration tests: a fake gateway whose clawnodes answer with the real
//! fixtures (edited per node where a test needs it), recording every invoke, and the recorder
//! of the hardening cases.
#![allow(dead_code)]

pub mod recorder;

use clawbernetes::host::{Failure, Host, Level, NodeEntry, CLAWNODE_MARKERS};
use serde_json::{json, Value};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::PathBuf;

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
        ["gpu.list", "gpu.metrics", "workload.list", "workload.run", "secret.get", "auth.create_key", "system.run"]
            .map(String::from),
    );
    c
}

/// A connected clawnode named `name` (its id is `id-<name>`) declaring `clawnode_commands()`.
pub fn node(name: &str) -> NodeEntry {
    NodeEntry {
        id: format!("id-{name}"),
        name: name.to_owned(),
        connected: true,
        commands: clawnode_commands().into(),
        pending_approval: false,
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

    /// Makes `command` fail.
    pub fn fail(mut self, command: &str, message: &str, node_answered: bool) -> Self {
        self.answers.insert(command.to_owned(), Err(Failure { message: message.to_owned(), node_answered }));
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

/// A host over fixture nodes: every node answers the fixtures unless told otherwise; no
/// deadline ever fires (`sleep` never resolves), the clock advances 1 ms per reading.
#[derive(Default)]
pub struct FakeHost {
    pub nodes: Vec<NodeEntry>,
    pub answers: HashMap<(String, String), Answer>,
    /// Every invoke: (node name, command, params).
    pub invokes: RefCell<Vec<(String, String, Value)>>,
    pub logs: RefCell<Vec<(Level, String)>>,
    pub cancelled: Cell<bool>,
    pub clock: Cell<f64>,
}

impl FakeHost {
    pub fn new(nodes: Vec<NodeEntry>) -> Self {
        Self { nodes, clock: Cell::new(1_700_000_000_000.0), ..Self::default() }
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

    /// The fixture answer to `command`, as every fixture node gives it.
    pub fn default_answer(command: &str) -> Answer {
        match command {
            "node.health" | "node.capabilities" | "gpu.list" | "gpu.metrics" | "workload.list" | "workload.run"
            | "secret.get" | "auth.create_key" | "system.run" | "system.info" => Ok(fixture(command)),
            other => Err(Failure { message: format!("COMMAND_ERROR: no fixture for {other}"), node_answered: true }),
        }
    }

    /// The invokes sent so far (node name, command, params), forgotten once taken.
    pub fn take_calls(&self) -> Vec<(String, String, Value)> {
        std::mem::take(&mut *self.invokes.borrow_mut())
    }
}

impl Host for FakeHost {
    async fn list_nodes(&self) -> Result<Vec<NodeEntry>, String> {
        Ok(self.nodes.clone())
    }

    async fn invoke(&self, node_id: &str, command: &str, params: &Value, _timeout_ms: u64) -> Result<Value, Failure> {
        let name = self.nodes.iter().find(|n| n.id == node_id).map_or(node_id, |n| n.name.as_str());
        self.invokes.borrow_mut().push((name.to_owned(), command.to_owned(), params.clone()));
        match self.answers.get(&(node_id.to_owned(), command.to_owned())) {
            Some(a) => a.clone(),
            None => Self::default_answer(command),
        }
    }

    async fn sleep(&self, _ms: u64) {
        std::future::pending::<()>().await;
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
}

//! A native fake of the gateway for the core's integration tests: nodes answer with the real
//! clawnode fixtures (optionally edited per node), and every invoke is recorded.

use clawbernetes::host::{Failure, Host, Level, NodeEntry};
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

/// The `response` of fixture `name` (`tests/fixtures/clawnode/<name>.json`).
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/clawnode/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let v: Value = serde_json::from_str(&text).unwrap();
    v["response"].clone()
}

/// Commands a default clawnode build declares.
pub fn default_commands() -> Vec<String> {
    let path = format!("{}/tests/fixtures/clawnode/commands-default-build.txt", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap().split_whitespace().map(str::to_owned).collect()
}

/// What a fake node answers to a command.
pub type Answer = Result<Value, Failure>;

/// One fake node.
pub struct FakeNode {
    pub entry: NodeEntry,
    pub answers: HashMap<String, Answer>,
}

impl FakeNode {
    /// A connected clawnode `name` answering every fixture as recorded.
    pub fn clawnode(name: &str) -> Self {
        let mut answers = HashMap::new();
        for cmd in ["node.health", "node.capabilities", "gpu.list", "gpu.metrics", "workload.list", "workload.run"] {
            answers.insert(cmd.to_owned(), Ok(fixture(cmd)));
        }
        answers.insert("system.info".to_owned(), Ok(fixture("system.info")));
        answers.insert("secret.get".to_owned(), Ok(fixture("secret.get")));
        let entry = NodeEntry {
            id: format!("id-{name}"),
            name: name.to_owned(),
            connected: true,
            commands: default_commands().into(),
            pending_approval: false,
        };
        Self { entry, answers }
    }

    /// Edits the payload of `command` in place.
    pub fn edit(mut self, command: &str, f: impl FnOnce(&mut Value)) -> Self {
        if let Some(Ok(v)) = self.answers.get_mut(command) {
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
            c["capabilities"] = serde_json::json!(["system", "docker", "container"]);
        })
        .edit("node.health", |h| h["gpu_count"] = 0.into())
        .edit("gpu.metrics", |m| *m = serde_json::json!({"count": 0, "metrics": []}))
        .edit("gpu.list", |m| *m = serde_json::json!({"count": 0, "gpus": [], "total_memory_gb": 0}))
    }
}

/// The fake host.
#[derive(Default)]
pub struct FakeHost {
    pub nodes: Vec<FakeNode>,
    /// Listed nodes that are not clawnodes or not connected (answer nothing).
    pub others: Vec<NodeEntry>,
    /// Every invoke: (node name, command, params).
    pub calls: RefCell<Vec<(String, String, Value)>>,
    pub logs: RefCell<Vec<(Level, String)>>,
    pub now: Cell<f64>,
}

impl FakeHost {
    /// A host over `nodes`.
    pub fn new(nodes: Vec<FakeNode>) -> Self {
        Self { nodes, now: Cell::new(1_000_000.0), ..Self::default() }
    }

    /// Invokes sent to `node` so far, by command, then forgets them.
    pub fn take_calls(&self) -> Vec<(String, String, Value)> {
        std::mem::take(&mut *self.calls.borrow_mut())
    }
}

impl Host for FakeHost {
    async fn list_nodes(&self) -> Result<Vec<NodeEntry>, String> {
        Ok(self.nodes.iter().map(|n| n.entry.clone()).chain(self.others.iter().cloned()).collect())
    }

    async fn invoke(&self, node_id: &str, command: &str, params: &Value, _timeout_ms: u64) -> Result<Value, Failure> {
        let node =
            self.nodes.iter().find(|n| n.entry.id == node_id).ok_or_else(|| Failure::unreachable("unknown node"))?;
        self.calls.borrow_mut().push((node.entry.name.clone(), command.to_owned(), params.clone()));
        node.answers.get(command).cloned().unwrap_or_else(|| {
            Err(Failure { message: format!("COMMAND_ERROR: unknown command: {command}"), node_answered: true })
        })
    }

    async fn sleep(&self, _ms: u64) {
        std::future::pending::<()>().await
    }

    fn now_ms(&self) -> f64 {
        self.now.get()
    }

    fn log(&self, level: Level, message: &str) {
        self.logs.borrow_mut().push((level, message.to_owned()));
    }
}

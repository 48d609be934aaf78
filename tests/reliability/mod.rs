//! Shared by the hardening tests (`tests/hardening.rs`, `tests/untrusted_args.rs`): a native
//! fake `Host` over the clawnode fixtures, and the recorder that writes each case to
//! `target/reliability/rust-*.jsonl`, from which `docs/RELIABILITY.md` is rendered.
#![allow(dead_code)]

use clawbernetes::host::{Failure, Host, Level, NodeEntry, CLAWNODE_MARKERS};
use serde_json::{json, Value};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt::Debug;
use std::io::Write;
use std::path::PathBuf;

/// The `response` of fixture `tests/fixtures/clawnode/<name>.json`.
pub fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clawnode").join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let v: Value = serde_json::from_str(&text).unwrap();
    v["response"].clone()
}

/// Commands a fixture node declares: the markers, the GPU and workload commands, a few sensitive ones.
pub fn clawnode_commands() -> Vec<String> {
    let mut c: Vec<String> = CLAWNODE_MARKERS.iter().map(|s| s.to_string()).collect();
    c.extend(
        ["gpu.list", "gpu.metrics", "workload.list", "workload.run", "secret.get", "auth.create_key", "system.run"]
            .map(String::from),
    );
    c
}

/// A connected clawnode named `name` (its id is `id-<name>`).
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

/// A host over fixture nodes: every node answers the fixtures unless told otherwise; no
/// deadline ever fires (`sleep` never resolves), the clock advances 1 ms per reading.
#[derive(Default)]
pub struct FakeHost {
    pub nodes: Vec<NodeEntry>,
    pub answers: HashMap<(String, String), Answer>,
    pub invokes: RefCell<Vec<(String, String, Value)>>,
    pub logs: RefCell<Vec<(Level, String)>>,
    pub cancelled: Cell<bool>,
    pub clock: Cell<f64>,
}

impl FakeHost {
    pub fn new(nodes: Vec<NodeEntry>) -> Self {
        Self { nodes, clock: Cell::new(1_700_000_000_000.0), ..Self::default() }
    }

    /// `node_id` answers `command` with `answer`.
    pub fn answer(&mut self, node_id: &str, command: &str, answer: Answer) {
        self.answers.insert((node_id.to_owned(), command.to_owned()), answer);
    }

    /// The fixture answer to `command`, as every fixture node gives it.
    pub fn default_answer(command: &str) -> Answer {
        match command {
            "node.health" | "node.capabilities" | "gpu.list" | "gpu.metrics" | "workload.list" | "workload.run"
            | "secret.get" | "auth.create_key" | "system.run" => Ok(fixture(command)),
            other => Err(Failure { message: format!("COMMAND_ERROR: no fixture for {other}"), node_answered: true }),
        }
    }
}

impl Host for FakeHost {
    async fn list_nodes(&self) -> Result<Vec<NodeEntry>, String> {
        Ok(self.nodes.clone())
    }

    async fn invoke(&self, node_id: &str, command: &str, params: &Value, _timeout_ms: u64) -> Result<Value, Failure> {
        self.invokes.borrow_mut().push((node_id.to_owned(), command.to_owned(), params.clone()));
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

/// One case of `docs/RELIABILITY.md`.
struct Row {
    area: String,
    case: String,
    expected: String,
    observed: String,
}

/// Collects the cases of one test and writes them to `target/reliability/rust-<name>.jsonl`
/// when dropped — also when the test fails, so a failing case shows as failed.
pub struct Recorder {
    file: String,
    rows: RefCell<Vec<Row>>,
}

impl Recorder {
    pub fn new(name: &str) -> Self {
        Self { file: format!("rust-{name}.jsonl"), rows: RefCell::default() }
    }

    /// Records a case whose outcome is `observed`, then asserts it equals `expected`.
    pub fn check<T: PartialEq + Debug>(&self, area: &str, case: &str, expected: T, observed: T) {
        self.rows.borrow_mut().push(Row {
            area: area.to_owned(),
            case: case.to_owned(),
            expected: show(&expected),
            observed: show(&observed),
        });
        assert_eq!(observed, expected, "{area}: {case}");
    }
}

fn show<T: Debug>(v: &T) -> String {
    let s = format!("{v:?}");
    // Strings read better without Debug's quotes and escapes.
    serde_json::from_str::<String>(&s).unwrap_or(s)
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/reliability");
        let _ = std::fs::create_dir_all(&dir);
        let Ok(mut f) = std::fs::File::create(dir.join(&self.file)) else { return };
        for r in self.rows.borrow().iter() {
            let pass = r.expected == r.observed;
            let line =
                json!({"area": r.area, "case": r.case, "expected": r.expected, "observed": r.observed, "pass": pass});
            let _ = writeln!(f, "{line}");
        }
    }
}

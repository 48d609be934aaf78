//! The simulator's answers against the real clawnode answers in `tests/fixtures/clawnode/`:
//! for every fixture, the same command with the same params on a node shaped like the fixture
//! machine gives the same keys with the same JSON types (and error fixtures the same message).

// A test file: helpers may unwrap, index and panic (a failure is the assertion).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use clawsim::node::{Node, Reply};
use clawsim::spec::{DiskSpec, Faults, GpuGroup, ListShape, NodeSpec};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Keys whose value is `null` in some real answers and a value in others.
const NULLABLE: [&str; 15] = [
    "power_draw_w",
    "power_limit_w",
    "lastUsed",
    "last_run",
    "next_run",
    "finished_at",
    "boundTo",
    "mountPath",
    "previousImage",
    "cpu",
    "storage_gb",
    "nope-bin",
    "name",
    "size",
    "memory",
];

/// Objects whose keys are free-form (docker's own JSON): the sim may add keys there, at any depth.
const OPEN: [&str; 1] = ["inspect"];

/// Fixture ids in an order where each finds what it needs (a container, a config, …).
const SCENARIO: [&str; 75] = [
    "node.health",
    "node.capabilities",
    "gpu.list",
    "gpu.metrics",
    "system.info",
    "system.which",
    "system.run",
    "workload.run",
    "workload.list",
    "workload.logs",
    "workload.inspect",
    "workload.stats",
    "container.exec",
    "workload.stop",
    "workload.stop-noparams",
    "workload.run-envobj",
    "config.create",
    "config.get",
    "config.list",
    "config.update",
    "config.delete",
    "secret.create",
    "secret.get",
    "secret.list",
    "secret.rotate",
    "deploy.history",
    "deploy.create",
    "deploy.status",
    "deploy.history-2",
    "deploy.pause",
    "deploy.promote",
    "deploy.delete",
    "deploy.history-null",
    "job.create",
    "job.status",
    "job.logs",
    "job.delete",
    "job.create-error",
    "cron.create",
    "cron.list",
    "cron.trigger",
    "cron.suspend",
    "cron.resume",
    "namespace.create",
    "namespace.set_quota",
    "namespace.list",
    "namespace.usage",
    "node.label",
    "node.taint",
    "volume.create",
    "volume.list",
    "volume.mount",
    "volume.snapshot",
    "volume.unmount",
    "volume.delete",
    "backup.create",
    "backup.list",
    "auth.create_key",
    "auth.list_keys",
    "audit.query",
    "audit.query-null",
    "autoscale.create",
    "autoscale.status",
    "autoscale.adjust",
    "autoscale.delete",
    "policy.create",
    "policy.create-2",
    "policy.list",
    "policy.validate",
    "metrics.query-featuregated",
    "rbac.check-unknown",
    "node.drain",
    // run again at the end: shapes must hold with state in the stores too
    "workload.list",
    "gpu.metrics",
    "node.health",
];

const FIXTURE_CONTAINER: &str = "3f2a9c1d7e4b5a6c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c";

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/clawnode")
}

fn load(id: &str) -> Value {
    let path = fixture_dir().join(format!("{id}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// A node shaped like the machine the fixtures were taken on: 2 CPUs, 2x H100, docker.
fn fixture_node() -> Node {
    let spec = NodeSpec {
        name: "vm".into(),
        display_name: None,
        wire: None,
        workload_list_shape: ListShape::Cli,
        cpu_count: 2,
        memory_mb: 24105,
        memory_used_mb: 1316,
        load: [2.76, 2.34, 1.02],
        container_runtime: "docker".into(),
        labels: BTreeMap::new(),
        uptime_secs: 417,
        os: "Debian GNU/Linux".into(),
        os_version: "12".into(),
        kernel_version: "6.18.44-fc-v669".into(),
        gpus: vec![GpuGroup {
            model: "NVIDIA H100 80GB HBM3".into(),
            count: 2,
            memory_mb: 81559,
            power_limit_w: Some(700.0),
            idle_temp_c: 33,
        }],
        disks: vec![DiskSpec { mount: "/".into(), total_gb: 252, used_percent: 70.4 }],
        workloads: vec![],
        latency: None,
        faults: Faults::default(),
    };
    Node::new(spec, &clawsim::default_build_commands(), 1_795_634_851_000, 42)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Differences between the fixture's shape and the sim's, as `path: what` lines.
fn shape_diff(fixture: &Value, sim: &Value, path: &str, key: &str, open: bool, out: &mut Vec<String>) {
    let open = open || OPEN.contains(&key);
    let (fk, sk) = (kind(fixture), kind(sim));
    if fk != sk {
        if NULLABLE.contains(&key) && (fk == "null" || sk == "null") {
            return;
        }
        out.push(format!("{path}: fixture has {fk}, sim has {sk}"));
        return;
    }
    match (fixture, sim) {
        (Value::Object(f), Value::Object(s)) => {
            let fkeys: BTreeSet<&String> = f.keys().collect();
            let skeys: BTreeSet<&String> = s.keys().collect();
            for missing in fkeys.difference(&skeys) {
                out.push(format!("{path}.{missing}: missing in sim"));
            }
            if !open {
                for extra in skeys.difference(&fkeys) {
                    out.push(format!("{path}.{extra}: not in fixture"));
                }
            }
            for k in fkeys.intersection(&skeys) {
                shape_diff(&f[*k], &s[*k], &format!("{path}.{k}"), k, open, out);
            }
        }
        (Value::Array(f), Value::Array(s)) => {
            if !f.is_empty() && s.is_empty() {
                out.push(format!("{path}: sim array is empty, cannot check its items"));
            }
            if let Some(last) = f.len().checked_sub(1) {
                for (i, item) in s.iter().enumerate() {
                    shape_diff(&f[i.min(last)], item, &format!("{path}[{i}]"), key, open, out);
                }
            }
        }
        _ => {}
    }
}

#[test]
fn every_fixture_answer_has_the_same_keys_and_types() {
    let mut node = fixture_node();
    let mut problems = Vec::new();
    let mut now = 1_795_634_851_000u64;
    for id in SCENARIO {
        let fx = load(id);
        let command = fx["command"].as_str().unwrap();
        if id == "workload.run" {
            node.queue_container_id(FIXTURE_CONTAINER);
        }
        if id == "deploy.create" {
            node.queue_container_id(FIXTURE_CONTAINER);
            node.queue_container_id(FIXTURE_CONTAINER);
        }
        now += 1_000;
        let reply = node.handle(command, fx["params"].clone(), now);
        match (fx.get("response"), fx.get("error"), reply) {
            (Some(expected), None, Reply::Ok(got)) => {
                let mut diff = Vec::new();
                shape_diff(expected, &got, command, "", false, &mut diff);
                problems.extend(diff.into_iter().map(|d| format!("{id}: {d}")));
            }
            (None, Some(err), Reply::Error(message)) => {
                assert_eq!(err["code"], "COMMAND_ERROR");
                if err["message"] != message.as_str() {
                    problems.push(format!("{id}: message {message:?}, fixture {}", err["message"]));
                }
            }
            (_, _, other) => problems.push(format!("{id}: unexpected reply {other:?}")),
        }
    }
    assert!(problems.is_empty(), "shape differences:\n{}", problems.join("\n"));
}

#[test]
fn the_scenario_covers_every_fixture_file() {
    let mut files: BTreeSet<String> = std::fs::read_dir(fixture_dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|f| f.strip_suffix(".json").map(str::to_string))
        .collect();
    files.remove("params");
    let covered: BTreeSet<String> = SCENARIO.iter().map(|s| s.to_string()).collect();
    let missing: Vec<&String> = files.difference(&covered).collect();
    assert!(missing.is_empty(), "fixtures not checked: {missing:?}");
}

#[test]
fn commands_without_a_fixture_still_answer_objects() {
    let mut node = fixture_node();
    let steps: [(&str, &str); 9] = [
        ("secret.create", r#"{"name":"s","data":{"k":"v"}}"#),
        ("secret.delete", r#"{"name":"s"}"#),
        ("deploy.create", r#"{"name":"web","image":"nginx:1.27"}"#),
        ("deploy.update", r#"{"name":"web","image":"nginx:1.28"}"#),
        ("deploy.rollback", r#"{"name":"web"}"#),
        ("backup.create", r#"{"scope":"all"}"#),
        ("auth.create_key", r#"{"name":"k"}"#),
        ("auth.list_keys", r#"{}"#),
        ("system.info", r#"{}"#),
    ];
    for (command, params) in steps {
        let reply = node.handle(command, serde_json::from_str(params).unwrap(), 1_795_634_851_000);
        assert!(matches!(&reply, Reply::Ok(Value::Object(_))), "{command}: {reply:?}");
    }
    let Reply::Ok(list) = node.handle("backup.list", serde_json::json!({}), 1_795_634_851_000) else { panic!() };
    let id = list["backups"][0]["id"].as_str().unwrap().to_string();
    let reply = node.handle("backup.restore", serde_json::json!({ "id": id }), 1_795_634_851_000);
    assert!(matches!(reply, Reply::Ok(Value::Object(_))), "{reply:?}");
    let Reply::Ok(keys) = node.handle("auth.list_keys", serde_json::json!({}), 1) else { panic!() };
    let key_id = keys["keys"][0]["keyId"].as_str().unwrap().to_string();
    let reply = node.handle("auth.revoke_key", serde_json::json!({ "keyId": key_id }), 1);
    assert!(matches!(reply, Reply::Ok(Value::Object(_))), "{reply:?}");
}

#[test]
fn every_declared_command_is_served() {
    let mut node = fixture_node();
    for command in clawsim::default_build_commands() {
        let reply = node.handle(&command, serde_json::json!({}), 1);
        if let Reply::Error(message) = &reply {
            assert!(!message.starts_with("unknown command"), "{command}: {message}");
        }
    }
}

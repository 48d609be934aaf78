#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Untrusted node payloads: every parser and the aggregation on top, fed the fixtures with
//! mutations (wrong types, missing and extra fields, negative and huge numbers, "NaN" strings,
//! deep nesting, megabytes, invalid UTF-8). Each case lands in `docs/RELIABILITY.md`.

mod common;

use clawbernetes::config::{Config, Thresholds};
use clawbernetes::host::{Failure, NodeEntry};
use clawbernetes::monitor::{Monitor, Observation, Seen, State, HISTORY};
use clawbernetes::node::{caps, gpu, health, workload};
use clawbernetes::plugin::Plugin;
use clawbernetes::{assess, service, tools, transport};
use common::recorder::Recorder;
use common::{fixture, node, FakeHost};
use futures_executor::block_on;
use proptest::prelude::*;
use proptest::test_runner::{Config as PtConfig, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Value};
use std::collections::BTreeSet;

const CASES: u32 = 200;

fn runner(cases: u32) -> TestRunner {
    let cfg = PtConfig { cases, failure_persistence: None, ..PtConfig::default() };
    TestRunner::new_with_rng(cfg, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

/// Runs a property and records it: "holds for N cases", or the minimal failing input.
fn property<S: Strategy>(
    rec: &Recorder,
    area: &str,
    case: &str,
    cases: u32,
    s: S,
    test: impl Fn(S::Value) -> Result<(), String>,
) where
    S::Value: std::fmt::Debug,
{
    let out = runner(cases).run(&s, |v| test(v).map_err(TestCaseError::fail));
    let observed = match out {
        Ok(()) => format!("holds for {cases} generated cases"),
        Err(e) => format!("fails: {}", common_cut(&e.to_string(), 600)),
    };
    rec.check(area, case, format!("holds for {cases} generated cases"), observed);
}

fn common_cut(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

// ---------------------------------------------------------------------------------------------
// Mutations of a JSON value

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Idx(usize),
}

fn paths(v: &Value, here: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(here.clone());
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                here.push(Step::Key(k.clone()));
                paths(c, here, out);
                here.pop();
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                here.push(Step::Idx(i));
                paths(c, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(v: &'a mut Value, path: &[Step]) -> &'a mut Value {
    path.iter().fold(v, |v, s| match s {
        Step::Key(k) => &mut v[k.as_str()],
        Step::Idx(i) => &mut v[*i],
    })
}

/// Values nodes must not be trusted to avoid.
fn weird() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(json!("NaN")),
        Just(json!("Infinity")),
        Just(json!("-Infinity")),
        Just(json!(-1)),
        Just(json!(-0.5)),
        Just(json!(1e300)),
        Just(json!(-1e300)),
        Just(json!(u64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(1e15 + 1.0)),
        Just(json!(1.5)),
        Just(json!(true)),
        Just(json!("")),
        Just(json!("12")),
        Just(json!([])),
        Just(json!({})),
        Just(json!([1, "a", null])),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e6f64..1e6).prop_map(|x| json!(x)),
        "\\PC{0,12}".prop_map(|s| json!(s)),
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(prop::sample::Index, Value),
    Remove(prop::sample::Index),
    AddField(prop::sample::Index, String, Value),
    Duplicate(prop::sample::Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<prop::sample::Index>(), weird()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        2 => any::<prop::sample::Index>().prop_map(Mutation::Remove),
        1 => (any::<prop::sample::Index>(), "[a-z_]{1,10}", weird()).prop_map(|(i, k, v)| Mutation::AddField(i, k, v)),
        1 => any::<prop::sample::Index>().prop_map(Mutation::Duplicate),
    ]
}

fn apply(v: &Value, m: &Mutation) -> Value {
    let mut v = v.clone();
    let mut all = Vec::new();
    paths(&v, &mut Vec::new(), &mut all);
    match m {
        Mutation::Replace(i, w) => *at(&mut v, i.get(all.as_slice()).as_slice()) = w.clone(),
        Mutation::Remove(i) => {
            let p = i.get(all.as_slice()).as_slice();
            if let Some((last, parent)) = p.split_last() {
                match (at(&mut v, parent), last) {
                    (Value::Object(m), Step::Key(k)) => {
                        m.remove(k);
                    }
                    (Value::Array(a), Step::Idx(i)) => {
                        a.remove(*i);
                    }
                    _ => {}
                }
            }
        }
        Mutation::AddField(i, k, w) => {
            if let Value::Object(m) = at(&mut v, i.get(all.as_slice()).as_slice()) {
                m.insert(k.clone(), w.clone());
            }
        }
        Mutation::Duplicate(i) => {
            if let Value::Array(a) = at(&mut v, i.get(all.as_slice()).as_slice()) {
                if let Some(first) = a.first().cloned() {
                    a.push(first);
                }
            }
        }
    }
    v
}

/// A fixture with 1 to 3 mutations.
fn mutated(name: &str) -> impl Strategy<Value = Value> {
    let base = fixture(name);
    prop::collection::vec(mutation(), 1..=3).prop_map(move |ms| ms.iter().fold(base.clone(), |v, m| apply(&v, m)))
}

fn sane(x: f64) -> bool {
    x.is_finite() && (0.0..=1e15).contains(&x)
}

fn ensure(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(what())
    }
}

fn prefixed<T>(r: &Result<T, String>, command: &str) -> Result<(), String> {
    match r {
        Err(e) => ensure(e.starts_with(&format!("{command}: ")) && e.len() > command.len() + 2, || {
            format!("error {e:?} does not name {command}")
        }),
        Ok(_) => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// Parsers

#[test]
fn parsers_accept_the_fixtures() {
    let rec = Recorder::new("parsers-fixtures");
    let area = "node payloads: fixtures";
    let h = health::parse(&fixture("node.health")).unwrap();
    rec.check(
        area,
        "node.health fixture parses (memory, disks, GPUs)",
        "24105 MB total, 22789 MB available, 1 disk, 2 GPUs".to_owned(),
        format!(
            "{} MB total, {} MB available, {} disk, {} GPUs",
            h.memory_total_mb,
            h.memory_available_mb,
            h.disks.len(),
            h.gpu_count
        ),
    );
    let c = caps::parse(&fixture("node.capabilities")).unwrap();
    rec.check(
        area,
        "node.capabilities fixture parses",
        "docker, 2 CPUs, 2 GPUs".to_owned(),
        format!("{}, {} CPUs, {} GPUs", c.container_runtime.unwrap_or_default(), c.cpu_count, c.gpus.len()),
    );
    rec.check(area, "gpu.list fixture parses", 2, gpu::parse_list(&fixture("gpu.list")).unwrap().len());
    let m = gpu::parse_metrics(&fixture("gpu.metrics")).unwrap();
    rec.check(
        area,
        "gpu.metrics fixture parses; free inferred from use",
        vec![false, true],
        m.iter().map(gpu::Metric::looks_free).collect::<Vec<_>>(),
    );
    rec.check(area, "workload.list fixture parses", 1, workload::parse_list(&fixture("workload.list")).unwrap().len());
    rec.check(
        area,
        "workload.run fixture parses",
        "3f2a9c1d7e4b".to_owned(),
        workload::parse_run(&fixture("workload.run")).unwrap().container_id[..12].to_owned(),
    );
}

#[test]
fn parsers_never_panic_and_name_the_command_on_mutated_fixtures() {
    let rec = Recorder::new("parsers-mutated");
    let area = "node payloads: mutated fixtures";
    property(&rec, area, "node.health: wrong types, missing/extra fields, negative/huge numbers, \"NaN\" → typed value with sane numbers or an error naming node.health", CASES, mutated("node.health"), |v| {
        let r = health::parse(&v);
        prefixed(&r, "node.health")?;
        if let Ok(h) = r {
            ensure(sane(h.memory_total_mb) && sane(h.memory_available_mb) && h.memory_available_mb <= h.memory_total_mb,
                || format!("memory {} of {}", h.memory_available_mb, h.memory_total_mb))?;
            ensure(h.load.iter().all(|x| sane(*x)), || format!("load {:?}", h.load))?;
            for d in &h.disks {
                ensure(sane(d.total_bytes) && sane(d.available_bytes) && (0.0..=100.0).contains(&d.usage_percent),
                    || format!("disk {d:?}"))?;
            }
            ensure((0.0..=100.0).contains(&h.memory_used_percent()), || "memory percent".into())?;
        }
        Ok(())
    });
    property(
        &rec,
        area,
        "node.capabilities: mutated → sane value or an error naming node.capabilities",
        CASES,
        mutated("node.capabilities"),
        |v| {
            let r = caps::parse(&v);
            prefixed(&r, "node.capabilities")?;
            if let Ok(c) = r {
                ensure(sane(c.total_memory_mb) && c.gpus.iter().all(|g| sane(g.memory_mb)), || format!("{c:?}"))?;
            }
            Ok(())
        },
    );
    property(
        &rec,
        area,
        "gpu.list: mutated → sane value or an error naming gpu.list",
        CASES,
        mutated("gpu.list"),
        |v| {
            let r = gpu::parse_list(&v);
            prefixed(&r, "gpu.list")?;
            if let Ok(g) = r {
                ensure(g.iter().all(|g| sane(g.memory_total_mb)), || format!("{g:?}"))?;
            }
            Ok(())
        },
    );
    property(
        &rec,
        area,
        "gpu.metrics: mutated → used ≤ total, utilisation ≤ 100, or an error naming gpu.metrics",
        CASES,
        mutated("gpu.metrics"),
        |v| {
            let r = gpu::parse_metrics(&v);
            prefixed(&r, "gpu.metrics")?;
            if let Ok(ms) = r {
                for m in ms {
                    ensure(
                        sane(m.memory_used_mb)
                            && m.memory_used_mb <= m.memory_total_mb
                            && (0.0..=100.0).contains(&m.utilization_percent)
                            && sane(m.temperature_c)
                            && m.power_draw_w.is_none_or(sane),
                        || format!("{m:?}"),
                    )?;
                }
            }
            Ok(())
        },
    );
    property(
        &rec,
        area,
        "workload.list: mutated → containers or an error naming workload.list",
        CASES,
        mutated("workload.list"),
        |v| prefixed(&workload::parse_list(&v), "workload.list"),
    );
    property(
        &rec,
        area,
        "workload.run: mutated → started container or an error naming workload.run",
        CASES,
        mutated("workload.run"),
        |v| prefixed(&workload::parse_run(&v), "workload.run"),
    );
    property(
        &rec,
        area,
        "Docker status text: any string classifies without panicking; exit codes only for Exited/Restarting",
        500,
        "\\PC{0,40}|(Exited|Restarting|Up) \\(-?[0-9]{0,25}\\)?.{0,10}",
        |s: String| {
            let (state, code) = workload::classify(&s);
            ensure(code.is_none() || matches!(state, workload::State::Exited | workload::State::Restarting), || {
                format!("{state:?} {code:?}")
            })
        },
    );
}

#[test]
fn parsers_refuse_each_kind_of_bad_field_by_name() {
    let rec = Recorder::new("parsers-fields");
    let area = "node payloads: bad fields";
    let with = |name: &str, f: &dyn Fn(&mut Value)| {
        let mut v = fixture(name);
        f(&mut v);
        v
    };
    let e = |r: Result<(), String>| r.err().unwrap_or_else(|| "accepted".to_owned());
    let hp = |v: Value| e(health::parse(&v).map(|_| ()));
    rec.check(
        area,
        "node.health memory.total_mb as \"NaN\" string",
        "node.health: memory.total_mb: expected a number, got a string".to_owned(),
        hp(with("node.health", &|v| v["memory"]["total_mb"] = json!("NaN"))),
    );
    rec.check(
        area,
        "node.health memory.available_mb negative",
        "node.health: memory.available_mb: expected a number between 0 and 1e15, got a number".to_owned(),
        hp(with("node.health", &|v| v["memory"]["available_mb"] = json!(-5))),
    );
    rec.check(
        area,
        "node.health memory.total_mb 1e300",
        "node.health: memory.total_mb: expected a number between 0 and 1e15, got a number".to_owned(),
        hp(with("node.health", &|v| v["memory"]["total_mb"] = json!(1e300))),
    );
    rec.check(
        area,
        "node.health used_mb above total_mb (no available_mb)",
        "node.health: memory.used_mb (30000) exceeds memory.total_mb (24105)".to_owned(),
        hp(with("node.health", &|v| {
            v["memory"].as_object_mut().unwrap().remove("available_mb");
            v["memory"]["used_mb"] = json!(30000);
        })),
    );
    rec.check(
        area,
        "node.health disk available_bytes above total_bytes (no usage_percent)",
        "node.health: disks[0].available_bytes (3) exceeds total_bytes (2)".to_owned(),
        hp(with("node.health", &|v| {
            v["disks"][0] = json!({"mount": "/", "total_bytes": 2, "available_bytes": 3});
        })),
    );
    rec.check(
        area,
        "node.health cpu_count 2.5",
        "node.health: cpu_count: expected a whole number, got a number".to_owned(),
        hp(with("node.health", &|v| v["cpu_count"] = json!(2.5))),
    );
    rec.check(
        area,
        "node.health gpu_count missing",
        "node.health: gpu_count: missing".to_owned(),
        hp(with("node.health", &|v| {
            v.as_object_mut().unwrap().remove("gpu_count");
        })),
    );
    rec.check(
        area,
        "node.health payload is an array",
        "node.health: payload: expected an object, got an array".to_owned(),
        hp(json!([1])),
    );
    rec.check(
        area,
        "node.health payload is null",
        "node.health: payload: expected an object, got null".to_owned(),
        hp(Value::Null),
    );
    rec.check(
        area,
        "node.health status \"healthy\" with no numbers is not trusted",
        "node.health: load_average: missing".to_owned(),
        hp(json!({"status": "healthy"})),
    );
    rec.check(
        area,
        "node.capabilities gpu_count disagrees with gpus[]",
        "node.capabilities: gpu_count is 8 but gpus lists 2".to_owned(),
        e(caps::parse(&with("node.capabilities", &|v| v["gpu_count"] = json!(8))).map(|_| ())),
    );
    rec.check(
        area,
        "node.capabilities gpus[1].index negative",
        "node.capabilities: gpus[1].index: expected a whole number, got a number".to_owned(),
        e(caps::parse(&with("node.capabilities", &|v| v["gpus"][1]["index"] = json!(-1))).map(|_| ())),
    );
    rec.check(
        area,
        "gpu.metrics memory_used_mb above memory_total_mb",
        "gpu.metrics: metrics[0].memory_used_mb (90000) exceeds memory_total_mb (81559)".to_owned(),
        e(gpu::parse_metrics(&with("gpu.metrics", &|v| v["metrics"][0]["memory_used_mb"] = json!(90000))).map(|_| ())),
    );
    rec.check(
        area,
        "gpu.metrics temperature_c \"Infinity\"",
        "gpu.metrics: metrics[1].temperature_c: expected a number, got a string".to_owned(),
        e(gpu::parse_metrics(&with("gpu.metrics", &|v| v["metrics"][1]["temperature_c"] = json!("Infinity")))
            .map(|_| ())),
    );
    rec.check(
        area,
        "gpu.metrics metrics not an array",
        "gpu.metrics: metrics: expected an array, got an object".to_owned(),
        e(gpu::parse_metrics(&json!({"metrics": {}})).map(|_| ())),
    );
    rec.check(
        area,
        "gpu.list gpus missing",
        "gpu.list: gpus: missing".to_owned(),
        e(gpu::parse_list(&json!({"count": 2})).map(|_| ())),
    );
    rec.check(
        area,
        "workload.list containerId missing",
        "workload.list: workloads[0].containerId: missing".to_owned(),
        e(workload::parse_list(&json!({"workloads": [{"image": "x"}]})).map(|_| ())),
    );
    rec.check(
        area,
        "workload.run success:false",
        "workload.run: the node answered success: false".to_owned(),
        e(workload::parse_run(&json!({"success": false, "containerId": "x"})).map(|_| ())),
    );
}

#[test]
fn deep_huge_and_non_utf8_payloads_give_errors_not_crashes() {
    let rec = Recorder::new("parsers-size");
    let area = "node payloads: size, depth, encoding";
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let err = transport::parse_payload(&deep).unwrap_err();
    rec.check(
        area,
        "10 000 nested arrays (node payload text)",
        "payload is not valid JSON: recursion limit exceeded".to_owned(),
        err[..err.find(" at line").unwrap_or(err.len())].to_owned(),
    );
    let deep_obj = format!("{}{}{}", "{\"a\":".repeat(10_000), "1", "}".repeat(10_000));
    let err = transport::parse_payload(&deep_obj).unwrap_err();
    rec.check(area, "10 000 nested objects (node payload text)", true, err.contains("recursion limit exceeded"));
    let body = format!("{{\"ok\":true,\"result\":{{\"details\":{{\"payload\":{deep}}}}}}}");
    rec.check(
        area,
        "10 000 nested arrays inside an HTTP gateway reply",
        "the gateway answered HTTP 200 with a body that is not JSON".to_owned(),
        transport::http_details(200, &body, "http://127.0.0.1:18789").unwrap_err(),
    );
    let deep_bytes = deep.as_bytes();
    rec.check(
        area,
        "10 000 nested arrays read from bytes (serde_json::from_slice)",
        true,
        serde_json::from_slice::<Value>(deep_bytes).unwrap_err().to_string().contains("recursion limit"),
    );

    let over = format!("\"{}\"", "x".repeat(transport::MAX_PAYLOAD_BYTES));
    rec.check(
        area,
        "payload one byte over MAX_PAYLOAD_BYTES (4 MiB + 1)",
        format!("payload too large: {} bytes (limit 4194304)", transport::MAX_PAYLOAD_BYTES + 2),
        transport::parse_payload(&over).unwrap_err(),
    );
    let big = format!("{{\"ok\":true,\"body\":\"{}\"}}", "x".repeat(transport::MAX_LIST_BYTES));
    rec.check(
        area,
        "HTTP gateway reply over MAX_LIST_BYTES (64 MiB)",
        format!("gateway reply too large: {} bytes (limit 67108864)", big.len()),
        transport::http_details(200, &big, "http://g").unwrap_err(),
    );
    let fat = json!({"ok": true, "payload": {"blob": "x".repeat(transport::MAX_PAYLOAD_BYTES)}});
    rec.check(
        area,
        "HTTP invoke reply whose payload object is over MAX_PAYLOAD_BYTES",
        format!("payload too large: {} bytes (limit 4194304)", transport::MAX_PAYLOAD_BYTES + 11),
        transport::http_invoke_payload(fat).unwrap_err(),
    );
    let entry = json!({"nodeId": "x".repeat(64), "displayName": "gpu-node-0001", "connected": true, "commands": clawbernetes::commands::ALL, "invocableCommands": clawbernetes::commands::ALL});
    let list = json!({"nodes": vec![entry; 5000]}).to_string();
    let nodes = transport::parse_list_text(&list).and_then(|v| transport::parse_node_list(&v)).map(|n| n.len());
    rec.check(
        area,
        &format!(
            "node list of 5000 nodes ({} MB, over the per-node payload cap) is read in full",
            list.len() / 1_000_000
        ),
        Ok(5000),
        nodes,
    );
    let inner = json!({"payloadJSON": over});
    rec.check(
        area,
        "payloadJSON string over the cap inside an HTTP reply",
        true,
        transport::http_invoke_payload(inner).unwrap_err().starts_with("payload too large"),
    );

    // ~3 MB of workload.list: under the cap, parsed in full, counted exactly.
    let item = json!({"containerId": "3f2a9c1d7e4b", "image": "pytorch/pytorch:2.0", "name": "train-1", "status": "Up 5 minutes"});
    let n = 30_000;
    let list = json!({"count": n, "workloads": vec![item; n]});
    let text = list.to_string();
    let parsed = transport::parse_payload(&text).and_then(|v| workload::parse_list(&v)).unwrap();
    rec.check(
        area,
        &format!("multi-megabyte workload.list under the cap ({} MB, {n} containers)", text.len() / 1_000_000),
        n,
        parsed.len(),
    );

    // Invalid UTF-8 from a node: rejected as bytes, replaced when read lossily, never a panic.
    let mut bytes =
        serde_json::to_vec(&json!({"workloads": [{"containerId": "abc", "name": "NAME", "status": "Up 1 second"}]}))
            .unwrap();
    let at = bytes.windows(4).position(|w| w == b"NAME").unwrap();
    bytes[at] = 0xff;
    bytes[at + 1] = 0xfe;
    rec.check(
        area,
        "invalid UTF-8 bytes through serde_json::from_slice",
        true,
        serde_json::from_slice::<Value>(&bytes).is_err(),
    );
    let lossy = String::from_utf8_lossy(&bytes);
    let c = transport::parse_payload(&lossy).and_then(|v| workload::parse_list(&v)).unwrap();
    rec.check(
        area,
        "invalid UTF-8 read lossily (as the JS host decodes it): U+FFFD, state still read",
        ("\u{fffd}\u{fffd}ME".to_owned(), workload::State::Running),
        (c[0].name.clone(), workload::classify(&c[0].status).0),
    );
    property(
        &rec,
        area,
        "arbitrary bytes → from_slice / lossy parse_payload never panic",
        300,
        prop::collection::vec(any::<u8>(), 0..256),
        |b| {
            let _ = serde_json::from_slice::<Value>(&b);
            let _ = transport::parse_payload(&String::from_utf8_lossy(&b));
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Transport codecs

#[test]
fn transport_codecs_survive_anything() {
    let rec = Recorder::new("transport");
    let area = "transport codecs";
    let entry = json!({"nodeId": "abc", "displayName": "gpu-01", "connected": true, "commands": ["node.health", "node.capabilities"], "approvalState": "approved"});
    let list = json!({"nodes": [entry.clone(), entry.clone(), entry]});
    property(
        &rec,
        area,
        "parse_node_list on mutated lists: never panics; every node kept has a non-empty id and a name",
        CASES,
        prop::collection::vec(mutation(), 1..=4).prop_map(move |ms| ms.iter().fold(list.clone(), |v, m| apply(&v, m))),
        |v| {
            if let Ok(nodes) = transport::parse_node_list(&v) {
                ensure(nodes.iter().all(|n| !n.id.is_empty() && !n.name.is_empty()), || format!("{nodes:?}"))?;
            }
            Ok(())
        },
    );
    property(
        &rec,
        area,
        "http_details on any status and body: never panics; 2xx needs ok:true and result.details",
        300,
        (
            0u16..1000,
            prop_oneof![
                "\\PC{0,60}",
                Just("{\"ok\":true,\"result\":{\"details\":{\"payload\":{}}}}".to_owned()),
                Just("{\"ok\":true,\"result\":{\"details\":7}}".to_owned()),
                Just("{\"ok\":false,\"error\":{\"message\":5}}".to_owned()),
            ],
        ),
        |(status, body)| {
            let r = transport::http_details(status, &body, "http://g");
            ensure(r.is_err() || (200..300).contains(&status), || format!("{status} accepted"))
        },
    );
    let url = "http://127.0.0.1:18789";
    rec.check(
        area,
        "HTTP 401",
        true,
        transport::http_details(401, "", url).unwrap_err().contains("refused the token (HTTP 401): set gatewayToken"),
    );
    rec.check(
        area,
        "HTTP 404 says how to allow the nodes tool",
        true,
        transport::http_details(404, "Not Found", url).unwrap_err().contains("add \"nodes\" to gateway.tools.allow"),
    );
    rec.check(
        area,
        "HTTP 500 with an error body",
        "gateway error (HTTP 500 tool_error): boom".to_owned(),
        transport::http_details(500, r#"{"ok":false,"error":{"type":"tool_error","message":"boom"}}"#, url)
            .unwrap_err(),
    );
    rec.check(
        area,
        "HTTP 502 with an HTML body",
        "the gateway answered HTTP 502 with a body that is not JSON".to_owned(),
        transport::http_details(502, "<html>bad gateway</html>", url).unwrap_err(),
    );
    rec.check(
        area,
        "HTTP 200 with ok:false",
        "gateway error (HTTP 200 error): no message".to_owned(),
        transport::http_details(200, r#"{"ok":false}"#, url).unwrap_err(),
    );
    rec.check(
        area,
        "HTTP 200 with details not an object",
        "gateway reply: result.details is a number, expected an object".to_owned(),
        transport::http_details(200, r#"{"ok":true,"result":{"details":7}}"#, url).unwrap_err(),
    );
    rec.check(
        area,
        "HTTP invoke reply with no payload",
        "gateway reply has no payload".to_owned(),
        transport::http_invoke_payload(json!({"ok": true})).unwrap_err(),
    );
    rec.check(
        area,
        "HTTP invoke reply with garbage payloadJSON",
        true,
        transport::http_invoke_payload(json!({"payloadJSON": "{not json"}))
            .unwrap_err()
            .starts_with("payload is not valid JSON"),
    );
    rec.check(
        area,
        "node list that is not {nodes: [...]}",
        "node list: expected an object, got an array".to_owned(),
        transport::parse_node_list(&json!([])).unwrap_err(),
    );
}

// ---------------------------------------------------------------------------------------------
// Aggregation over a fleet of fixture nodes, some of them broken

const COMMANDS: [&str; 5] = ["node.capabilities", "gpu.list", "node.health", "gpu.metrics", "workload.list"];

#[derive(Debug, Clone)]
enum Fault {
    Good,
    Mutated(usize, Value),
    Fails(usize, bool),
}

fn fault() -> impl Strategy<Value = Fault> {
    let mutated = (0..COMMANDS.len()).prop_flat_map(|c| mutated(COMMANDS[c]).prop_map(move |v| Fault::Mutated(c, v)));
    prop_oneof![2 => Just(Fault::Good), 5 => mutated, 2 => (0..COMMANDS.len(), any::<bool>()).prop_map(|(c, a)| Fault::Fails(c, a))]
}

fn fleet_host(faults: &[Fault]) -> FakeHost {
    let nodes: Vec<NodeEntry> = (0..faults.len()).map(|i| node(&format!("gpu-{i:02}"))).collect();
    let mut host = FakeHost::new(nodes.clone());
    for (n, f) in nodes.iter().zip(faults) {
        match f {
            Fault::Good => {}
            Fault::Mutated(c, v) => host.answer(&n.id, COMMANDS[*c], Ok(v.clone())),
            Fault::Fails(c, answered) => host.answer(
                &n.id,
                COMMANDS[*c],
                Err(Failure { message: "TIMEOUT: node invoke timed out".into(), node_answered: *answered }),
            ),
        }
    }
    host
}

/// What a node should contribute, worked out from the parsers alone.
struct Expect {
    fatal: Option<String>,
    gpus: usize,
    memory_mb: f64,
    metrics: Option<Result<Vec<gpu::Metric>, String>>,
    containers: Option<Result<usize, String>>,
}

fn expect(host: &FakeHost, n: &NodeEntry, with_health: bool) -> Expect {
    let ans = |c: &str| {
        host.answers
            .get(&(n.id.clone(), c.to_owned()))
            .cloned()
            .unwrap_or_else(|| FakeHost::default_answer(c))
            .map_err(|f| format!("{c}: {}", f.message))
    };
    let mut e = Expect { fatal: None, gpus: 0, memory_mb: 0.0, metrics: None, containers: None };
    let c = match ans("node.capabilities").and_then(|v| caps::parse(&v)) {
        Ok(c) => c,
        Err(err) => return Expect { fatal: Some(err), ..e },
    };
    let list = if c.gpus.is_empty() { Ok(Vec::new()) } else { ans("gpu.list").and_then(|v| gpu::parse_list(&v)) };
    let list = match list {
        Ok(l) => l,
        Err(err) => return Expect { fatal: Some(err), ..e },
    };
    e.gpus = c.gpus.len().max(list.len());
    if with_health {
        match ans("node.health").and_then(|v| health::parse(&v)) {
            Ok(h) => e.memory_mb = h.memory_total_mb,
            Err(err) => return Expect { fatal: Some(err), ..e },
        }
    }
    e.containers = Some(ans("workload.list").and_then(|v| workload::parse_list(&v)).map(|c| c.len()));
    if e.gpus > 0 {
        e.metrics = Some(ans("gpu.metrics").and_then(|v| gpu::parse_metrics(&v)));
    }
    e
}

fn covers(ms: &[gpu::Metric], gpus: usize) -> bool {
    let idx: BTreeSet<u32> = ms.iter().map(|m| m.index).collect();
    idx.len() == ms.len() && idx == (0..gpus as u32).collect()
}

fn fleet() -> impl Strategy<Value = Vec<Fault>> {
    prop::collection::vec(fault(), 1..8)
}

fn call(p: &Plugin, host: &FakeHost, tool: &str, args: Value) -> Result<Value, String> {
    block_on(tools::call(p, host, tool, &args)).map(|o| o.details())
}

fn ids(v: &Value) -> BTreeSet<String> {
    v.as_array().unwrap().iter().map(|f| f["nodeId"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn fleet_status_counts_only_accepted_nodes() {
    let rec = Recorder::new("aggregate-status");
    property(&rec, "aggregation", "claw_fleet_status over 1-7 nodes with mutated or failing payloads: states add up, broken nodes are failed with the command named (never healthy), GPU and memory totals are the sums over accepted nodes, free ≤ total", 120, fleet(), |faults| {
        let host = fleet_host(&faults);
        let p = Plugin::new(Config::default());
        let d = call(&p, &host, "claw_fleet_status", json!({}))?;
        let n = &d["nodes"];
        let total = faults.len() as u64;
        let sum = ["healthy", "degraded", "unhealthy", "unreachable"].iter().map(|k| n[k].as_u64().unwrap()).sum::<u64>();
        ensure(n["total"] == json!(total) && sum == total, || format!("states {n}"))?;
        let mut want_failed = BTreeSet::new();
        let (mut gpus, mut mem) = (0usize, 0.0f64);
        for node in &host.nodes {
            let e = expect(&host, node, true);
            match e.fatal {
                Some(err) => {
                    let f = d["failedNodes"].as_array().unwrap().iter().find(|f| f["nodeId"] == json!(node.id)).ok_or("failed node missing")?;
                    ensure(f["error"] == json!(err), || format!("error {} vs {err}", f["error"]))?;
                    want_failed.insert(node.id.clone());
                    let detail = d["nodeDetails"].as_array().unwrap().iter().find(|x| x["nodeId"] == json!(node.id)).unwrap();
                    ensure(detail["state"] == json!("unreachable"), || format!("{detail}"))?;
                }
                None => {
                    gpus += e.gpus;
                    mem += e.memory_mb;
                }
            }
        }
        ensure(ids(&d["failedNodes"]) == want_failed, || format!("failed {}", d["failedNodes"]))?;
        ensure(d["gpus"]["total"] == json!(gpus), || format!("gpus {} want {gpus}", d["gpus"]))?;
        ensure(d["memory"]["totalMb"].as_f64() == Some(mem), || format!("memory {} want {mem}", d["memory"]))?;
        let free = d["gpus"]["free"].as_u64().unwrap();
        ensure(free <= gpus as u64, || format!("free {free} > total {gpus}"))?;
        let by_model: (u64, u64) = d["gpus"]["byModel"].as_array().unwrap().iter().fold((0, 0), |a, m| (a.0 + m["total"].as_u64().unwrap(), a.1 + m["free"].as_u64().unwrap()));
        ensure(by_model == (gpus as u64, free), || format!("byModel {by_model:?}"))
    });
}

#[test]
fn gpu_inventory_lists_exactly_the_gpus_of_accepted_nodes() {
    let rec = Recorder::new("aggregate-inventory");
    property(&rec, "aggregation", "claw_gpu_inventory over broken fleets: a node with bad facts or metrics (or metrics not covering its GPUs) is a failed node, never zero GPUs; total = Σ GPUs of accepted nodes", 120, fleet(), |faults| {
        let host = fleet_host(&faults);
        let p = Plugin::new(Config::default());
        let d = call(&p, &host, "claw_gpu_inventory", json!({}))?;
        let mut want_failed = BTreeSet::new();
        let mut total = 0;
        for node in &host.nodes {
            let e = expect(&host, node, false);
            let bad = e.fatal.is_some() || matches!(&e.metrics, Some(Err(_))) || matches!(&e.metrics, Some(Ok(m)) if !covers(m, e.gpus));
            if bad {
                want_failed.insert(node.id.clone());
            } else {
                total += e.gpus;
            }
        }
        ensure(ids(&d["failedNodes"]) == want_failed, || format!("failed {} want {want_failed:?}", d["failedNodes"]))?;
        ensure(d["total"] == json!(total) && d["gpus"].as_array().unwrap().len() == total, || format!("total {} want {total}", d["total"]))?;
        ensure(d["available"].as_u64().unwrap() <= total as u64, || "available > total".into())
    });
}

#[test]
fn workloads_count_exactly_the_containers_listed() {
    let rec = Recorder::new("aggregate-workloads");
    property(&rec, "aggregation", "claw_workloads over broken fleets: total = Σ containers of nodes whose workload.list parsed; the others are failed nodes naming workload.list", 120, fleet(), |faults| {
        let host = fleet_host(&faults);
        let p = Plugin::new(Config::default());
        let d = call(&p, &host, "claw_workloads", json!({}))?;
        let mut want_failed = BTreeSet::new();
        let mut total = 0;
        for node in &host.nodes {
            let r = host.answers.get(&(node.id.clone(), "workload.list".to_owned())).cloned().unwrap_or_else(|| FakeHost::default_answer("workload.list"));
            match r.map_err(|f| f.message).and_then(|v| workload::parse_list(&v)) {
                Ok(c) => total += c.len(),
                Err(_) => {
                    want_failed.insert(node.id.clone());
                }
            }
        }
        for f in d["failedNodes"].as_array().unwrap() {
            ensure(f["error"].as_str().unwrap().starts_with("workload.list: "), || format!("{f}"))?;
        }
        let counts: u64 = d["counts"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
        ensure(ids(&d["failedNodes"]) == want_failed, || format!("failed {}", d["failedNodes"]))?;
        ensure(d["total"] == json!(total) && counts == total as u64, || format!("total {} counts {counts} want {total}", d["total"]))
    });
}

#[test]
fn placement_never_picks_a_broken_node() {
    let rec = Recorder::new("aggregate-placement");
    property(&rec, "aggregation", "claw_deploy dryRun over broken fleets: every node is a candidate or rejected; broken nodes are rejected with the reason; a candidate's GPU 0 is free by its metrics", 120, fleet(), |faults| {
        let host = fleet_host(&faults);
        let p = Plugin::new(Config::default());
        let out = call(&p, &host, "claw_deploy", json!({"image": "pytorch/pytorch:2.0", "gpus": 1, "dryRun": true}));
        let d = match out {
            Ok(d) => d,
            Err(e) => return ensure(e.starts_with("claw_deploy: no node can host this workload"), || e),
        };
        let cands = ids(&d["candidates"]);
        let rejected = ids(&d["rejected"]);
        ensure(cands.len() + rejected.len() == faults.len() && cands.is_disjoint(&rejected), || format!("{cands:?} {rejected:?}"))?;
        for node in &host.nodes {
            let e = expect(&host, node, true);
            let metrics_ok = matches!(&e.metrics, Some(Ok(m)) if covers(m, e.gpus) && m.iter().any(|m| m.index == 0 && m.looks_free()));
            if cands.contains(&node.id) {
                ensure(e.fatal.is_none() && metrics_ok, || format!("{} picked: {:?}", node.name, e.fatal))?;
            }
        }
        Ok(())
    });
}

#[test]
fn monitor_state_machine_invariants() {
    let rec = Recorder::new("monitor");
    let t = Thresholds::default();
    let seen = prop_oneof![
        Just(Seen::Disconnected),
        Just(Seen::Failed("TIMEOUT".into())),
        Just(Seen::Checked(vec![])),
        Just(Seen::Checked(vec![assess::Problem {
            kind: assess::Kind::Disk,
            severity: assess::Severity::Warning,
            message: "disk".into()
        }])),
        Just(Seen::Checked(vec![assess::Problem {
            kind: assess::Kind::Memory,
            severity: assess::Severity::Critical,
            message: "mem".into()
        }])),
    ];
    let tick = prop::collection::vec((0usize..6, seen), 0..6);
    property(&rec, "health monitor", "Monitor::step over 1-40 random ticks of 0-5 nodes: failures counted in a row (a tick unlisted does not reset them), unhealthy after failuresToUnhealthy failures in a row, offline after failuresToOffline, unlisted nodes gone, history bounded", 150,
        prop::collection::vec(tick, 1..40), |ticks| {
            let mut m = Monitor::default();
            let mut streak = std::collections::HashMap::<String, u32>::new();
            for (k, tick) in ticks.into_iter().enumerate() {
                let mut obs: Vec<Observation> = Vec::new();
                for (i, s) in tick {
                    let id = format!("n{i}");
                    if obs.iter().any(|o| o.node_id == id) {
                        continue;
                    }
                    let c = streak.entry(id.clone()).or_insert(0);
                    *c = if matches!(s, Seen::Failed(_)) { *c + 1 } else { 0 };
                    obs.push(Observation { node_id: id.clone(), node_name: id, seen: s });
                }
                let listed: Vec<String> = obs.iter().map(|o| o.node_id.clone()).collect();
                let failed: Vec<String> = obs.iter().filter(|o| matches!(o.seen, Seen::Failed(_))).map(|o| o.node_id.clone()).collect();
                let trs = m.step(obs, &t, k as f64);
                for tr in &trs {
                    ensure(tr.from != Some(tr.to), || format!("no-op transition {tr:?}"))?;
                }
                for n in m.nodes() {
                    if !listed.contains(&n.node_id) {
                        ensure(n.state == State::Gone, || format!("{} unlisted but {:?}", n.node_id, n.state))?;
                        continue;
                    }
                    let want = streak.get(&n.node_id).copied().unwrap_or(0);
                    ensure(n.consecutive_failures == want, || format!("{} failures {} want {want}", n.node_id, n.consecutive_failures))?;
                    if failed.contains(&n.node_id) {
                        if want >= t.failures_to_unhealthy {
                            ensure(matches!(n.state, State::Unhealthy | State::Offline), || format!("{} after {want} failures is {:?}", n.node_id, n.state))?;
                        }
                        if want >= t.failures_to_offline {
                            ensure(n.state == State::Offline, || format!("{} after {want} failures is {:?}", n.node_id, n.state))?;
                        }
                    }
                }
                ensure(m.history().count() <= HISTORY, || "history unbounded".into())?;
            }
            Ok(())
        });
}

#[test]
fn monitor_tick_over_broken_fleet_reports_failures() {
    let rec = Recorder::new("monitor-tick");
    property(&rec, "health monitor", "a monitor tick over broken fleets: each node whose facts or health cannot be used is tracked with its error, never healthy", 80, fleet(), |faults| {
        let host = fleet_host(&faults);
        let p = Plugin::new(Config::default());
        block_on(service::tick(&p, &host));
        let m = p.monitor.borrow();
        for node in &host.nodes {
            let e = expect(&host, node, true);
            let tracked = m.nodes().find(|t| t.node_id == node.id).ok_or("node not tracked")?;
            if let Some(err) = e.fatal {
                ensure(tracked.state != State::Healthy && tracked.last_error.as_deref() == Some(err.as_str()), || format!("{tracked:?} want {err}"))?;
            }
        }
        Ok(())
    });
}

#[test]
fn five_thousand_nodes_ten_percent_failing_add_up() {
    let rec = Recorder::new("aggregate-scale");
    let faults: Vec<Fault> = (0..5000).map(|i| if i % 10 == 9 { Fault::Fails(2, true) } else { Fault::Good }).collect();
    let host = fleet_host(&faults);
    let p = Plugin::new(Config::default());
    let d = call(&p, &host, "claw_fleet_status", json!({})).unwrap();
    rec.check("aggregation", "5000 fixture nodes, every 10th failing node.health: totals (native)",
        json!({"total": 5000, "unreachable": 500, "failed": 500, "gpus": 9000, "memoryTotalMb": 4500.0 * 24105.0}),
        json!({"total": d["nodes"]["total"], "unreachable": d["nodes"]["unreachable"], "failed": d["failedNodes"].as_array().unwrap().len(),
               "gpus": d["gpus"]["total"], "memoryTotalMb": d["memory"]["totalMb"]}));
    let text = block_on(tools::call(&p, &host, "claw_fleet_status", &json!({}))).unwrap().text;
    rec.check(
        "aggregation",
        "5000 nodes: the summary text stays bounded (≤ 3500 bytes)",
        true,
        text.len() <= clawbernetes::summary::MAX_TEXT_BYTES,
    );
}

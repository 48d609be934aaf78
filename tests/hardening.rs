#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Untrusted node payloads: every parser and the aggregation on top, fed the fixtures with
//! mutations (wrong types, missing and extra fields, negative and huge numbers, "NaN" strings,
//! deep nesting, megabytes, invalid UTF-8); the transport codecs; fleet-level invariants over
//! fleets of broken nodes; 5000 nodes with 10% failing. Each case lands in `docs/RELIABILITY.md`.

mod common;

use clawbernetes::assess::{GpuState, Kind, State};
use clawbernetes::config::Config;
use clawbernetes::fleet::status::FleetStatus;
use clawbernetes::io::host::{Failure, FailureKind, Host, Level};
use clawbernetes::io::probe::Needs;
use clawbernetes::io::{transport, watch};
use clawbernetes::monitor::{Monitor, Seen, HISTORY};
use clawbernetes::node::entry::NodeEntry;
use clawbernetes::node::gpu::Metric;
use clawbernetes::node::health::{is_container_mount, Health};
use clawbernetes::node::workload::Container;
use clawbernetes::node::{caps, gpu, health, workload, Parsed, MAX_BYTES, MAX_MB};
use clawbernetes::plugin::Plugin;
use clawbernetes::tools::{self, deploy, fleet_status, gpu_inventory, multi_invoke, workloads};
use common::recorder::Recorder;
use common::{fixture, node, FakeHost};
use proptest::prelude::*;
use proptest::test_runner::{Config as PtConfig, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

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
        Err(e) => format!("fails: {}", cut(&e.to_string(), 1500)),
    };
    rec.check(area, case, format!("holds for {cases} generated cases"), observed);
}

fn cut(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// The payload text of fixture `name`, as a node sends it.
fn text(name: &str) -> String {
    fixture(name).to_string()
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
        Just(json!(0)),
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
        Just(json!([[{"containerId": "abc"}]])),
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

/// A finite byte count a node can hold (u64 on the node: a petabyte disk is fine).
fn bytes_ok(x: f64) -> bool {
    x.is_finite() && (0.0..=MAX_BYTES).contains(&x)
}

/// A finite size in MB within what a node can report.
fn mb_ok(x: f64) -> bool {
    x.is_finite() && (0.0..=MAX_MB).contains(&x)
}

fn ensure(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(what())
    }
}

/// The errors a payload may give that are not about a malformed field.
const NOT_A_FIELD: [&str; 1] = ["the node answered success: false"];

/// A rejected payload's error names the command, then the field (a path such as
/// `memory.total_mb` or `metrics`, `payload` for the whole of it, or serde's "missing field
/// `x`"), and never a Rust type of the plugin.
fn names_command_and_field(e: &str, command: &str) -> Result<(), String> {
    let Some(rest) = e.strip_prefix(&format!("{command}: ")) else {
        return Err(format!("error {e:?} does not start with {command:?}"));
    };
    let field = rest.split([':', ' ']).next().unwrap_or("");
    let is_path = !field.is_empty()
        && field.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']'))
        && field.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    const SERDE_WORDS: [&str; 12] = [
        "invalid",
        "expected",
        "unknown",
        "trailing",
        "key",
        "recursion",
        "control",
        "lone",
        "number",
        "missing",
        "duplicate",
        "data",
    ];
    let named = (is_path && !SERDE_WORDS.contains(&field))
        || rest.starts_with("missing field `")
        || rest.starts_with("duplicate field `")
        || NOT_A_FIELD.contains(&rest);
    ensure(named, || format!("error {e:?} does not name the field"))?;
    ensure(!e.contains("struct ") && !e.contains("enum "), || format!("error {e:?} names a Rust type"))
}

fn rejected_well<T>(r: &Result<T, String>, command: &str) -> Result<(), String> {
    match r {
        Err(e) => names_command_and_field(e, command),
        Ok(_) => Ok(()),
    }
}

/// Each dropped entry is reported as `<command> <list>[i]: why`, a repeated GPU index as
/// `gpu.metrics metrics: GPU i reported more than once` (neither reading trusted) or
/// `gpu.list gpus: GPU i listed more than once; the first entry is kept`.
fn dropped_well(dropped: &[String], list: &str) -> Result<(), String> {
    for d in dropped {
        let ok = d
            .strip_prefix(&format!("{list}["))
            .and_then(|r| r.split_once("]: "))
            .is_some_and(|(i, why)| i.parse::<usize>().is_ok() && !why.is_empty())
            || d.strip_prefix(&format!("{list}: GPU ")).and_then(|r| r.split_once(' ')).is_some_and(|(i, why)| {
                i.parse::<u32>().is_ok()
                    && why
                        == if list == "gpu.metrics metrics" {
                            "reported more than once"
                        } else {
                            "listed more than once; the first entry is kept"
                        }
            });
        ensure(ok && !d.contains("struct "), || format!("dropped entry {d:?} is not reported as {list}[i]: why"))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Parsers

#[test]
fn parsers_accept_the_fixtures() {
    let rec = Recorder::new("parsers-fixtures");
    let area = "node payloads: fixtures";
    let h = health::parse(&text("node.health")).unwrap();
    rec.check(
        area,
        "node.health fixture parses (memory, disks, GPUs), nothing dropped",
        "24105 MB total, 22789 MB available, 1 disk, 2 GPUs, 0 dropped".to_owned(),
        format!(
            "{} MB total, {} MB available, {} disk, {} GPUs, {} dropped",
            h.value.memory_total_mb,
            h.value.memory_available_mb,
            h.value.disks.len(),
            h.value.gpu_count.map_or("no".to_owned(), |n| n.to_string()),
            h.dropped.len()
        ),
    );
    let c = caps::parse(&text("node.capabilities")).unwrap();
    rec.check(
        area,
        "node.capabilities fixture parses",
        "docker, 2 CPUs, 2 GPUs, 0 dropped".to_owned(),
        format!(
            "{}, {} CPUs, {} GPUs, {} dropped",
            c.value.runtime.as_ref().map_or("no runtime", |r| r.name()),
            c.value.cpu_count,
            c.value.gpus.len(),
            c.dropped.len()
        ),
    );
    let l = gpu::parse_list(&text("gpu.list")).unwrap();
    rec.check(area, "gpu.list fixture parses", (2, 0), (l.value.len(), l.dropped.len()));
    let m = gpu::parse_metrics(&text("gpu.metrics")).unwrap();
    rec.check(
        area,
        "gpu.metrics fixture parses; free inferred from use",
        vec![false, true],
        m.value.iter().map(Metric::looks_free).collect::<Vec<_>>(),
    );
    rec.check(
        area,
        "gpu.metrics fixture: every reading readable (VRAM total reported)",
        vec![false, false],
        m.value.iter().map(Metric::unreadable).collect::<Vec<_>>(),
    );
    let w = workload::parse_list(&text("workload.list")).unwrap();
    rec.check(
        area,
        "workload.list fixture parses",
        vec![("train-1".to_owned(), workload::State::Running)],
        w.value.iter().map(|c| (c.name.clone(), c.state)).collect::<Vec<_>>(),
    );
    rec.check(
        area,
        "workload.run fixture parses",
        "3f2a9c1d7e4b".to_owned(),
        workload::parse_run(&text("workload.run")).unwrap().container_id[..12].to_owned(),
    );
}

#[test]
fn parsers_never_panic_and_name_the_command_on_mutated_fixtures() {
    let rec = Recorder::new("parsers-mutated");
    let area = "node payloads: mutated fixtures";
    property(&rec, area, "node.health: wrong types, missing/extra fields, negative/huge numbers, \"NaN\" → typed value within physical bounds (bytes ≤ u64::MAX, available ≤ total, percentages 0-100, host disks only) with dropped disks reported, or an error naming node.health and the field", CASES, mutated("node.health"), |v| {
        let r = health::parse(&v.to_string());
        rejected_well(&r, "node.health")?;
        if let Ok(p) = r {
            let h = &p.value;
            ensure(mb_ok(h.memory_total_mb) && mb_ok(h.memory_available_mb) && h.memory_available_mb <= h.memory_total_mb,
                || format!("memory {} of {}", h.memory_available_mb, h.memory_total_mb))?;
            ensure(h.load.iter().all(|x| x.is_finite() && *x >= 0.0), || format!("load {:?}", h.load))?;
            for d in &h.disks {
                ensure(bytes_ok(d.total_bytes) && bytes_ok(d.available_bytes) && d.available_bytes <= d.total_bytes
                    && (0.0..=100.0).contains(&d.usage_percent) && !is_container_mount(&d.mount),
                    || format!("disk {d:?}"))?;
            }
            ensure((0.0..=100.0).contains(&h.memory_used_percent()), || "memory percent".into())?;
            ensure(h.load_per_cpu().is_finite(), || "load per CPU".into())?;
            dropped_well(&p.dropped, "node.health disks")?;
        }
        Ok(())
    });
    property(
        &rec,
        area,
        "node.capabilities: mutated → sane value with dropped GPUs reported, or an error naming node.capabilities and the field",
        CASES,
        mutated("node.capabilities"),
        |v| {
            let r = caps::parse(&v.to_string());
            rejected_well(&r, "node.capabilities")?;
            if let Ok(c) = r {
                ensure(mb_ok(c.value.total_memory_mb) && c.value.gpus.iter().all(|g| mb_ok(g.memory_mb)), || {
                    format!("{c:?}")
                })?;
                dropped_well(&c.dropped, "node.capabilities gpus")?;
            }
            Ok(())
        },
    );
    property(
        &rec,
        area,
        "gpu.list: mutated → sane value with dropped GPUs reported, or an error naming gpu.list and the field",
        CASES,
        mutated("gpu.list"),
        |v| {
            let r = gpu::parse_list(&v.to_string());
            rejected_well(&r, "gpu.list")?;
            if let Ok(g) = r {
                ensure(g.value.iter().all(|g| mb_ok(g.memory_total_mb)), || format!("{g:?}"))?;
                dropped_well(&g.dropped, "gpu.list gpus")?;
            }
            Ok(())
        },
    );
    property(
        &rec,
        area,
        "gpu.metrics: mutated → used ≤ total (or total unreadable), utilisation ≤ 100, each GPU once, dropped entries reported; or an error naming gpu.metrics and the field",
        CASES,
        mutated("gpu.metrics"),
        |v| {
            let r = gpu::parse_metrics(&v.to_string());
            rejected_well(&r, "gpu.metrics")?;
            if let Ok(p) = r {
                for m in &p.value {
                    ensure(
                        mb_ok(m.memory_used_mb)
                            && mb_ok(m.memory_total_mb)
                            && (m.unreadable() || m.memory_used_mb <= m.memory_total_mb)
                            && (0.0..=100.0).contains(&m.utilization_percent)
                            && m.temperature_c.is_finite()
                            && m.power_draw_w.is_none_or(f64::is_finite),
                        || format!("{m:?}"),
                    )?;
                }
                let idx: BTreeSet<u32> = p.value.iter().map(|m| m.index).collect();
                ensure(idx.len() == p.value.len(), || format!("a GPU reported twice: {:?}", p.value))?;
                dropped_well(&p.dropped, "gpu.metrics metrics")?;
            }
            Ok(())
        },
    );
    property(
        &rec,
        area,
        "workload.list: mutated → containers with dropped entries reported, or an error naming workload.list and the field",
        CASES,
        mutated("workload.list"),
        |v| {
            let r = workload::parse_list(&v.to_string());
            rejected_well(&r, "workload.list")?;
            if let Ok(p) = r {
                ensure(p.value.iter().all(|c| !c.container_id.trim().is_empty()), || format!("{p:?}"))?;
                dropped_well(&p.dropped, "workload.list workloads")?;
            }
            Ok(())
        },
    );
    property(
        &rec,
        area,
        "workload.run: mutated → started container or an error naming workload.run and the field",
        CASES,
        mutated("workload.run"),
        |v| rejected_well(&workload::parse_run(&v.to_string()), "workload.run"),
    );
    property(
        &rec,
        area,
        "Docker status text: any string classifies without panicking; exit codes only for Exited/Restarting, health only for running",
        500,
        "\\PC{0,40}|(Exited|Restarting|Up) \\(-?[0-9]{0,25}\\)?.{0,10}",
        |s: String| {
            let (state, health, code) = workload::classify(&s);
            ensure(code.is_none() || matches!(state, workload::State::Exited | workload::State::Restarting), || {
                format!("{state:?} {code:?}")
            })?;
            ensure(health.is_none() || state == workload::State::Running, || format!("{state:?} {health:?}"))
        },
    );
    one_bad_list_entry_is_dropped_alone(&rec);
}

/// A payload with more list entries than the fixtures have, so that one bad entry has
/// neighbours to keep: three host disks, two GPUs, three containers in both item shapes.
fn rich(command: &str) -> Value {
    let mut v = fixture(command);
    match command {
        "node.health" => {
            let disks = v["disks"].as_array_mut().unwrap();
            disks.push(json!({"mount": "/data", "total_bytes": 4_000_787_030_016u64, "available_bytes": 1_000_197_757_504u64, "usage_percent": 75.0}));
            disks.push(json!({"mount": "/mnt/cloud", "total_bytes": 1_125_899_906_842_624u64, "available_bytes": 1_125_899_906_842_624u64}));
        }
        "workload.list" => {
            let w = v["workloads"].as_array_mut().unwrap();
            w.push(json!({"containerId": "4a3b0d2e8f5c", "image": "vllm/vllm-openai:latest", "name": "serve", "status": "Up 2 hours (healthy)"}));
            w.push(json!({"containerId": "9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c", "image": "redis", "state": "exited", "gpus": [], "createdAt": "2026-01-10T08:00:00+00:00", "labels": {}, "workloadId": null}));
        }
        _ => {}
    }
    v
}

/// The list a payload's entries are in, as dropped entries name it.
fn list_of(command: &str) -> (&'static str, &'static str) {
    match command {
        "node.health" => ("disks", "node.health disks"),
        "node.capabilities" => ("gpus", "node.capabilities gpus"),
        "gpu.list" => ("gpus", "gpu.list gpus"),
        "gpu.metrics" => ("metrics", "gpu.metrics metrics"),
        _ => ("workloads", "workload.list workloads"),
    }
}

/// The entries a parser kept (each shown with `Debug`) and what it dropped.
fn kept(command: &str, text: &str) -> Result<(Vec<String>, Vec<String>), String> {
    fn show<T: std::fmt::Debug>(v: &[T]) -> Vec<String> {
        v.iter().map(|x| format!("{x:?}")).collect()
    }
    match command {
        "node.health" => health::parse(text).map(|p| (show(&p.value.disks), p.dropped)),
        "node.capabilities" => caps::parse(text).map(|p| (show(&p.value.gpus), p.dropped)),
        "gpu.list" => gpu::parse_list(text).map(|p| (show(&p.value), p.dropped)),
        "gpu.metrics" => gpu::parse_metrics(text).map(|p| (show(&p.value), p.dropped)),
        _ => workload::parse_list(text).map(|p| (show(&p.value), p.dropped)),
    }
}

/// One bad list entry is dropped alone (recorded with the mutated fixtures).
fn one_bad_list_entry_is_dropped_alone(rec: &Recorder) {
    let commands = ["node.health", "node.capabilities", "gpu.list", "gpu.metrics", "workload.list"];
    let s = (0..commands.len(), any::<prop::sample::Index>(), prop::collection::vec(mutation(), 1..=3));
    property(rec, "node payloads: mutated fixtures", "1-3 mutations inside one disk, GPU or container entry (or the entry replaced): the payload is still read, every other entry kept as it was, and the bad entry either read or dropped and reported as <command> <list>[i] (a host disk turned container mount is left out; when its GPU index now repeats another, gpu.metrics trusts neither and the GPU lists keep the first, reported)", 300, s, |(c, i, ms)| {
        let command = commands[c];
        let (field, list) = list_of(command);
        let base = rich(command);
        let (before, _) = kept(command, &base.to_string())?;
        let n = base[field].as_array().unwrap().len();
        let i = i.index(n);
        let mut v = base.clone();
        let entry = ms.iter().fold(v[field][i].clone(), |e, m| apply(&e, m));
        v[field][i] = entry.clone();
        let (after, dropped) = kept(command, &v.to_string()).map_err(|e| format!("the whole payload failed: {e}"))?;
        dropped_well(&dropped, list)?;
        let others: Vec<&String> = before.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, x)| x).collect();
        let named = dropped.iter().any(|d| d.starts_with(&format!("{list}[{i}]: ")));
        // A GPU index reported as repeated: entries with it are judged apart from the rest.
        let repeated: Option<u32> = dropped.iter().find_map(|d| d.strip_prefix(&format!("{list}: GPU "))?.split(' ').next()?.parse().ok());
        let index_of = |s: &str| s.split("index: ").nth(1).and_then(|r| r.split(',').next()).and_then(|n| n.parse::<u32>().ok());
        if let Some(k) = repeated {
            fn rest(xs: Vec<&String>, k: u32, index_of: impl Fn(&str) -> Option<u32>) -> Vec<&String> {
                xs.into_iter().filter(|x| index_of(x) != Some(k)).collect()
            }
            let with_k = after.iter().filter(|x| index_of(x) == Some(k)).count();
            // The fixtures' indices are distinct, so the bad entry is one of those with index k.
            let (left, want) = (rest(after.iter().collect(), k, index_of), rest(others.clone(), k, index_of));
            ensure(left == want, || format!("entries other than GPU {k} changed: {after:?} vs {before:?}"))?;
            let wanted_k = usize::from(command != "gpu.metrics");
            return ensure(with_k == wanted_k, || format!("GPU {k} kept {with_k} times: {after:?}"));
        }
        if after.len() == n {
            let same: Vec<&String> = after.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, x)| x).collect();
            ensure(same == others, || format!("other entries changed: {after:?} vs {before:?}"))?;
            ensure(!named, || format!("entry {i} kept but reported dropped: {dropped:?}"))
        } else {
            let gone_silently = command == "node.health" && entry["mount"].as_str().is_some_and(is_container_mount);
            ensure(after.iter().collect::<Vec<_>>() == others, || format!("kept {after:?}, expected {others:?}"))?;
            ensure(named || gone_silently, || format!("entry {i} gone without a report: {dropped:?}"))
        }
    });
}

#[test]
fn parsers_refuse_each_kind_of_bad_field_by_name() {
    let rec = Recorder::new("parsers-fields");
    let area = "node payloads: bad fields";
    let with = |name: &str, f: &dyn Fn(&mut Value)| {
        let mut v = fixture(name);
        f(&mut v);
        v.to_string()
    };
    let e = |r: Result<(), String>| r.err().unwrap_or_else(|| "accepted".to_owned());
    let hp = |v: String| e(health::parse(&v).map(|_| ()));
    rec.check(
        area,
        "node.health memory.total_mb as \"NaN\" string",
        "node.health: memory.total_mb: invalid type: string \"NaN\", expected f64".to_owned(),
        hp(with("node.health", &|v| v["memory"]["total_mb"] = json!("NaN"))),
    );
    rec.check(
        area,
        "node.health memory.available_mb negative",
        "node.health: memory.available_mb -5 is outside 0..=24105".to_owned(),
        hp(with("node.health", &|v| v["memory"]["available_mb"] = json!(-5))),
    );
    rec.check(
        area,
        "node.health memory.total_mb 1e300 (above 1e12 MB, an exabyte)",
        "node.health: memory.total_mb 1e300 is outside 0..=1000000000000".to_owned(),
        hp(with("node.health", &|v| v["memory"]["total_mb"] = json!(1e300))),
    );
    rec.check(
        area,
        "node.health used_mb above total_mb (no available_mb)",
        "node.health: memory.used_mb 30000 is outside 0..=24105".to_owned(),
        hp(with("node.health", &|v| {
            v["memory"].as_object_mut().unwrap().remove("available_mb");
            v["memory"]["used_mb"] = json!(30000);
        })),
    );
    rec.check(
        area,
        "node.health memory without available_mb or used_mb",
        "node.health: memory.available_mb: missing".to_owned(),
        hp(with("node.health", &|v| v["memory"] = json!({"total_mb": 10}))),
    );
    rec.check(
        area,
        "node.health cpu_count 2.5",
        "node.health: cpu_count: invalid type: floating point `2.5`, expected u32".to_owned(),
        hp(with("node.health", &|v| v["cpu_count"] = json!(2.5))),
    );
    rec.check(
        area,
        "node.health load_average null",
        "node.health: load_average: invalid type: null, expected an object".to_owned(),
        hp(with("node.health", &|v| v["load_average"] = Value::Null)),
    );
    rec.check(
        area,
        "node.health payload is an array",
        "node.health: payload: expected an object, got an array".to_owned(),
        hp("[1]".to_owned()),
    );
    rec.check(
        area,
        "node.health payload is null",
        "node.health: payload: expected an object, got null".to_owned(),
        hp("null".to_owned()),
    );
    rec.check(
        area,
        "node.health payload is not JSON",
        "node.health: payload is not valid JSON: key must be a string".to_owned(),
        hp("{not json".to_owned()),
    );
    rec.check(
        area,
        "node.health status \"healthy\" with no numbers is not trusted",
        "node.health: missing field `cpu_count`".to_owned(),
        hp(json!({"status": "healthy"}).to_string()),
    );
    let disks = |f: &dyn Fn(&mut Value)| {
        let p = health::parse(&with("node.health", f)).unwrap();
        (p.value.disks.iter().map(|d| d.mount.clone()).collect::<Vec<_>>(), p.dropped)
    };
    rec.check(
        area,
        "node.health disk available_bytes above total_bytes: that disk dropped and reported, the payload kept",
        (
            vec!["/data".to_owned()],
            vec!["node.health disks[0]: available_bytes (3) exceeds total_bytes (2)".to_owned()],
        ),
        disks(&|v| {
            v["disks"][0] = json!({"mount": "/", "total_bytes": 2, "available_bytes": 3});
            v["disks"].as_array_mut().unwrap().push(json!({"mount": "/data", "total_bytes": 10, "available_bytes": 5}));
        }),
    );
    rec.check(
        area,
        "node.health disk total_bytes \"x\": dropped with the field named",
        (vec![], vec!["node.health disks[0]: total_bytes: invalid type: string \"x\", expected f64".to_owned()]),
        disks(&|v| v["disks"][0]["total_bytes"] = json!("x")),
    );
    rec.check(
        area,
        "node.health disk entry null: dropped",
        (vec![], vec!["node.health disks[0]: expected an object, got null".to_owned()]),
        disks(&|v| v["disks"][0] = Value::Null),
    );
    rec.check(
        area,
        "node.health a 1 PiB FUSE mount and a u64::MAX disk are physical, kept",
        (vec!["/".to_owned(), "/mnt/cloud".to_owned(), "/huge".to_owned()], vec![]),
        disks(&|v| {
            let d = v["disks"].as_array_mut().unwrap();
            d.push(json!({"mount": "/mnt/cloud", "total_bytes": 1_125_899_906_842_624u64, "available_bytes": 1_125_899_906_842_624u64, "usage_percent": 0.0}));
            d.push(json!({"mount": "/huge", "total_bytes": u64::MAX, "available_bytes": 1}));
        }),
    );
    rec.check(
        area,
        "node.health disk of 1e20 bytes (above u64::MAX): dropped",
        (vec![], vec!["node.health disks[0]: total_bytes 1e20 is outside 0..=1.8446744073709552e19".to_owned()]),
        disks(&|v| v["disks"][0]["total_bytes"] = json!(1e20)),
    );
    rec.check(
        area,
        "node.health gpu_count missing: accepted (the GPUs come from node.capabilities and gpu.list)",
        (None, "accepted".to_owned()),
        {
            let t = with("node.health", &|v| {
                v.as_object_mut().unwrap().remove("gpu_count");
            });
            (health::parse(&t).unwrap().value.gpu_count, hp(t))
        },
    );
    let cp = |f: &dyn Fn(&mut Value)| {
        caps::parse(&with("node.capabilities", f))
            .map(|p| (p.value.gpus.iter().map(|g| g.index).collect::<Vec<_>>(), p.dropped))
    };
    rec.check(
        area,
        "node.capabilities gpu_count disagrees with gpus[]: gpus[] is what is read",
        Ok((vec![0, 1], vec![])),
        cp(&|v| v["gpu_count"] = json!(8)),
    );
    rec.check(
        area,
        "node.capabilities gpus[1].index negative: that GPU dropped with the field named",
        Ok((vec![0], vec!["node.capabilities gpus[1]: index: invalid value: integer `-1`, expected u32".to_owned()])),
        cp(&|v| v["gpus"][1]["index"] = json!(-1)),
    );
    rec.check(
        area,
        "node.capabilities total_memory_mb \"lots\"",
        Err("node.capabilities: total_memory_mb: invalid type: string \"lots\", expected f64".to_owned()),
        cp(&|v| v["total_memory_mb"] = json!("lots")),
    );
    let mp = |f: &dyn Fn(&mut Value)| {
        gpu::parse_metrics(&with("gpu.metrics", f))
            .map(|p| (p.value.iter().map(|m| m.index).collect::<Vec<_>>(), p.dropped))
    };
    rec.check(
        area,
        "gpu.metrics memory_used_mb above memory_total_mb: that GPU dropped",
        Ok((
            vec![1],
            vec!["gpu.metrics metrics[0]: memory_used_mb (90000) exceeds memory_total_mb (81559)".to_owned()],
        )),
        mp(&|v| v["metrics"][0]["memory_used_mb"] = json!(90000)),
    );
    rec.check(
        area,
        "gpu.metrics temperature_c \"Infinity\": that GPU dropped with the field named",
        Ok((
            vec![0],
            vec!["gpu.metrics metrics[1]: temperature_c: invalid type: string \"Infinity\", expected f64".to_owned()],
        )),
        mp(&|v| v["metrics"][1]["temperature_c"] = json!("Infinity")),
    );
    rec.check(
        area,
        "gpu.metrics one GPU reported twice: neither reading trusted",
        Ok((vec![1], vec!["gpu.metrics metrics: GPU 0 reported more than once".to_owned()])),
        mp(&|v| {
            let first = v["metrics"][0].clone();
            v["metrics"].as_array_mut().unwrap().push(first);
        }),
    );
    let unreadable = gpu::parse_metrics(&with("gpu.metrics", &|v| {
        v["metrics"][0] = json!({"index": 0, "utilization_percent": 0, "memory_used_mb": 0, "memory_total_mb": 0, "temperature_c": 44, "power_draw_w": null});
    }))
    .unwrap();
    rec.check(
        area,
        "gpu.metrics MIG / [N/A] zeros (memory_total_mb 0): kept, marked unreadable, not free",
        vec![(0, true), (1, false)],
        unreadable.value.iter().map(|m| (m.index, m.unreadable())).collect::<Vec<_>>(),
    );
    rec.check(
        area,
        "gpu.metrics metrics not an array",
        Err("gpu.metrics: metrics: invalid type: map, expected a sequence".to_owned()),
        gpu::parse_metrics(&json!({"metrics": {}}).to_string()).map(|p| p.dropped),
    );
    rec.check(
        area,
        "gpu.list gpus missing",
        "gpu.list: missing field `gpus`".to_owned(),
        e(gpu::parse_list(&json!({"count": 2}).to_string()).map(|_| ())),
    );
    rec.check(
        area,
        "gpu.list first entry null: dropped, the second kept",
        Ok((1, vec!["gpu.list gpus[0]: expected an object, got null".to_owned()])),
        gpu::parse_list(&with("gpu.list", &|v| v["gpus"][0] = Value::Null)).map(|p| (p.value.len(), p.dropped)),
    );
    rec.check(
        area,
        "workload.list containerId missing: that container dropped, the payload kept",
        Ok((0, vec!["workload.list workloads[0]: missing field `containerId`".to_owned()])),
        workload::parse_list(&json!({"workloads": [{"image": "x"}]}).to_string()).map(|p| (p.value.len(), p.dropped)),
    );
    rec.check(
        area,
        "workload.list payload is an array holding a list (not {workloads: [...]})",
        Err("workload.list: payload: expected an object, got an array".to_owned()),
        workload::parse_list("[[{\"containerId\": \"abc\", \"status\": \"Up 1 second\"}]]").map(|p| p.value.len()),
    );
    rec.check(
        area,
        "workload.run success:false",
        "workload.run: the node answered success: false".to_owned(),
        e(workload::parse_run(&json!({"success": false, "containerId": "x"}).to_string()).map(|_| ())),
    );
}

// ---------------------------------------------------------------------------------------------
// Size, depth and encoding

/// A gateway whose clawnodes answer every command with the same raw text: payloads no JSON
/// value could be built for in a test (10 000 levels deep). Its timers never fire, which is
/// fine: every answer is ready at once.
struct RawHost {
    nodes: Vec<NodeEntry>,
    text: String,
}

impl Host for RawHost {
    async fn list_nodes(&self) -> Result<Vec<std::rc::Rc<NodeEntry>>, String> {
        Ok(self.nodes.iter().cloned().map(std::rc::Rc::new).collect())
    }

    async fn invoke(&self, _node: &str, _command: &str, _params: &Value, _timeout: u64) -> Result<String, Failure> {
        Ok(self.text.clone())
    }

    async fn sleep(&self, _ms: u64) {
        std::future::pending::<()>().await;
    }

    fn now_ms(&self) -> f64 {
        1_700_000_000_000.0
    }

    fn log(&self, _level: Level, _message: &str) {}
}

/// What every parser says about one payload text.
fn every_parser(t: &str) -> Vec<String> {
    let e = |r: Result<(), String>| r.err().unwrap_or_else(|| "accepted".to_owned());
    vec![
        e(health::parse(t).map(|_| ())),
        e(caps::parse(t).map(|_| ())),
        e(gpu::parse_list(t).map(|_| ())),
        e(gpu::parse_metrics(t).map(|_| ())),
        e(workload::parse_list(t).map(|_| ())),
        e(workload::parse_run(t).map(|_| ())),
    ]
}

const PARSED: [&str; 6] =
    ["node.health", "node.capabilities", "gpu.list", "gpu.metrics", "workload.list", "workload.run"];

#[test]
fn deep_huge_and_non_utf8_payloads_give_errors_not_crashes() {
    let rec = Recorder::new("parsers-size");
    let area = "node payloads: size, depth, encoding";
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    rec.check(
        area,
        "10 000 nested arrays (node payload text), every parser",
        PARSED.map(|c| format!("{c}: payload: expected an object, got an array")).to_vec(),
        every_parser(&deep),
    );
    let deep_obj = format!("{}{}{}", "{\"a\":".repeat(10_000), "1", "}".repeat(10_000));
    rec.check(
        area,
        "10 000 nested objects (node payload text), every parser",
        vec![
            "node.health: missing field `cpu_count`".to_owned(),
            "node.capabilities: missing field `cpu_count`".to_owned(),
            "gpu.list: missing field `gpus`".to_owned(),
            "gpu.metrics: missing field `metrics`".to_owned(),
            "workload.list: missing field `workloads`".to_owned(),
            "workload.run: missing field `containerId`".to_owned(),
        ],
        every_parser(&deep_obj),
    );
    let nodes = vec![node("gpu-01")];
    let raw = RawHost { nodes: nodes.clone(), text: deep_obj.clone() };
    let p = Plugin::new(Config::default());
    let r = futures_executor::block_on(multi_invoke::run(&p, &raw, &json!({"command": "node.health"}))).unwrap();
    rec.check(
        area,
        "10 000 nested objects through claw_multi_invoke (read as any JSON): the node's error, not a crash",
        (
            false,
            Some("node.health: payload is not valid JSON: recursion limit exceeded at line 1 column 636".to_owned()),
        ),
        (r.details.results[0].ok, r.details.results[0].error.clone()),
    );
    let raw = RawHost { nodes, text: deep.clone() };
    let s = futures_executor::block_on(fleet_status::run(&Plugin::new(Config::default()), &raw, &json!({})))
        .unwrap()
        .details;
    rec.check(
        area,
        "10 000 nested arrays as every answer of a node, through claw_fleet_status: unhealthy with the reason",
        (
            State::Unhealthy,
            "cannot read the node's health: node.capabilities: payload: expected an object, got an array".to_owned(),
        ),
        (s.node_details[0].state, s.node_details[0].reason.clone()),
    );
    let body = format!("{{\"ok\":true,\"result\":{{\"details\":{{\"payload\":{deep}}}}}}}");
    let chain = transport::http_details(200, &body, "http://127.0.0.1:18789")
        .and_then(|d| transport::http_invoke_payload(&d))
        .and_then(|p| health::parse(&p).map(|_| ()));
    rec.check(
        area,
        "10 000 nested arrays inside an HTTP gateway reply, through to the parser",
        Err("node.health: payload: expected an object, got an array".to_owned()),
        chain,
    );
    rec.check(
        area,
        "10 000 nested arrays read from bytes (serde_json::from_slice)",
        true,
        serde_json::from_slice::<Value>(deep.as_bytes()).unwrap_err().to_string().contains("recursion limit"),
    );

    let over = format!("\"{}\"", "x".repeat(transport::MAX_PAYLOAD_BYTES));
    rec.check(
        area,
        "payload one byte over MAX_PAYLOAD_BYTES (4 MiB + 1)",
        Err(format!("payload too large: {} bytes (limit 4194304)", transport::MAX_PAYLOAD_BYTES + 2)),
        transport::check_payload(over.clone()),
    );
    let big = format!("{{\"ok\":true,\"body\":\"{}\"}}", "x".repeat(transport::MAX_LIST_BYTES));
    rec.check(
        area,
        "HTTP gateway reply over MAX_LIST_BYTES (64 MiB)",
        Err(format!("gateway reply too large: {} bytes (limit 67108864)", big.len())),
        transport::http_details(200, &big, "http://g"),
    );
    let fat = json!({"ok": true, "payload": {"blob": "x".repeat(transport::MAX_PAYLOAD_BYTES)}}).to_string();
    rec.check(
        area,
        "HTTP invoke reply whose payload object is over MAX_PAYLOAD_BYTES",
        Err(format!("payload too large: {} bytes (limit 4194304)", transport::MAX_PAYLOAD_BYTES + 11)),
        transport::http_invoke_payload(&fat),
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
    let inner = json!({"payloadJSON": over}).to_string();
    rec.check(
        area,
        "payloadJSON string over the cap inside an HTTP reply",
        Err(format!("payload too large: {} bytes (limit 4194304)", over.len())),
        transport::http_invoke_payload(&inner),
    );

    // ~3 MB of workload.list: under the cap, parsed in full, counted exactly.
    let item = json!({"containerId": "3f2a9c1d7e4b", "image": "pytorch/pytorch:2.0", "name": "train-1", "status": "Up 5 minutes"});
    let n = 30_000;
    let text = json!({"count": n, "workloads": vec![item; n]}).to_string();
    let parsed = transport::check_payload(text.clone()).and_then(|t| workload::parse_list(&t)).unwrap();
    rec.check(
        area,
        &format!("multi-megabyte workload.list under the cap ({} MB, {n} containers)", text.len() / 1_000_000),
        (n, 0),
        (parsed.value.len(), parsed.dropped.len()),
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
    let c = workload::parse_list(&lossy).unwrap();
    rec.check(
        area,
        "invalid UTF-8 read lossily (as the JS host decodes it): U+FFFD, state still read",
        ("\u{fffd}\u{fffd}ME".to_owned(), workload::State::Running),
        (c.value[0].name.clone(), c.value[0].state),
    );
    property(
        &rec,
        area,
        "arbitrary bytes → from_slice, and every parser and codec on the lossy text: never a panic; parser errors name the command",
        300,
        prop::collection::vec(any::<u8>(), 0..256),
        |b| {
            let _ = serde_json::from_slice::<Value>(&b);
            let t = String::from_utf8_lossy(&b).into_owned();
            for (c, out) in PARSED.iter().zip(every_parser(&t)) {
                if out != "accepted" {
                    names_command_and_field(&out, c)?;
                }
            }
            let _ = transport::http_details(200, &t, "http://g");
            let _ = transport::http_invoke_payload(&t);
            let _ = transport::parse_list_text(&t).and_then(|v| transport::parse_node_list(&v));
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
        "http_details on any status and body: never panics; only a 2xx with ok:true and an object result.details is accepted",
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
        |(status, body)| match transport::http_details(status, &body, "http://g") {
            Ok(d) => ensure((200..300).contains(&status) && serde_json::from_str::<Value>(&d).is_ok_and(|v| v.is_object()), || {
                format!("{status} {body:?} accepted as {d:?}")
            }),
            Err(_) => Ok(()),
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
        "HTTP 500 tool_error means the node answered (alive); other failures do not",
        (true, false, false),
        (
            transport::http_node_answered(500, r#"{"ok":false,"error":{"type":"tool_error","message":"boom"}}"#),
            transport::http_node_answered(502, "<html>bad gateway</html>"),
            transport::http_node_answered(500, "{not json"),
        ),
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
        transport::http_invoke_payload(r#"{"ok": true}"#).unwrap_err(),
    );
    rec.check(
        area,
        "HTTP invoke reply with garbage payloadJSON: the parser says the payload is not JSON",
        Err("node.health: payload is not valid JSON: key must be a string".to_owned()),
        transport::http_invoke_payload(r#"{"payloadJSON": "{not json"}"#).and_then(|t| health::parse(&t).map(|_| ())),
    );
    rec.check(
        area,
        "node list that is not {nodes: [...]}",
        "node list: expected an object, got an array".to_owned(),
        transport::parse_node_list(&json!([])).unwrap_err(),
    );
    property(
        &rec,
        area,
        "runtime failure text and retryable flag: never panics; overload is backpressure whatever the flag",
        300,
        ("\\PC{0,60}", any::<bool>()),
        |(text, retryable)| {
            let k = transport::runtime_failure_kind(&text, retryable);
            let overload = text.contains("capacity reached") || text.contains("overloaded");
            ensure(!overload || k == FailureKind::Backpressure, || format!("{text:?} → {k:?}"))
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Aggregation over a fleet of fixture nodes, some of them broken

const COMMANDS: [&str; 5] = ["node.capabilities", "gpu.list", "node.health", "gpu.metrics", "workload.list"];

#[derive(Debug, Clone)]
enum Fault {
    Good,
    Mutated(usize, Value),
    Fails(usize, FailureKind),
}

fn fault() -> impl Strategy<Value = Fault> {
    let mutated = (0..COMMANDS.len()).prop_flat_map(|c| mutated(COMMANDS[c]).prop_map(move |v| Fault::Mutated(c, v)));
    let kind = prop_oneof![Just(FailureKind::NodeError), Just(FailureKind::Silent), Just(FailureKind::Backpressure)];
    prop_oneof![2 => Just(Fault::Good), 5 => mutated, 2 => (0..COMMANDS.len(), kind).prop_map(|(c, k)| Fault::Fails(c, k))]
}

/// How a fake node fails: the node's own error, no answer, or the gateway refusing for now
/// (retried until the deadline, then no answer).
fn failure(kind: FailureKind) -> Failure {
    match kind {
        FailureKind::NodeError => Failure::node("UNAVAILABLE: COMMAND_ERROR: the command failed on the node"),
        FailureKind::Silent => Failure::silent("UNAVAILABLE: TIMEOUT: node invoke timed out"),
        FailureKind::Backpressure => Failure::new(
            FailureKind::Backpressure,
            "UNAVAILABLE: WorkerTaskError: worker task capacity reached: code=overloaded",
        ),
    }
}

fn fleet_host(faults: &[Fault]) -> FakeHost {
    let nodes: Vec<NodeEntry> = (0..faults.len()).map(|i| node(&format!("gpu-{i:02}"))).collect();
    let mut host = FakeHost::new(nodes.clone());
    for (n, f) in nodes.iter().zip(faults) {
        match f {
            Fault::Good => {}
            Fault::Mutated(c, v) => host.answer(&n.id, COMMANDS[*c], Ok(v.clone())),
            Fault::Fails(c, kind) => host.answer(&n.id, COMMANDS[*c], Err(failure(*kind))),
        }
    }
    host
}

/// Asks one fake node as a check does, from its answers alone: each command's error is
/// prefixed with it, and once the node gave no answer the later commands are skipped.
struct Asker<'a> {
    host: &'a FakeHost,
    node: &'a NodeEntry,
    silent: bool,
}

impl Asker<'_> {
    fn call(&mut self, command: &str) -> Result<String, String> {
        if self.silent {
            return Err(format!("{command}: skipped, the node did not answer an earlier command"));
        }
        let answer = self
            .host
            .answers
            .get(&(self.node.id.clone(), command.to_owned()))
            .cloned()
            .unwrap_or_else(|| FakeHost::default_answer(command));
        answer.map(|v| v.to_string()).map_err(|f| {
            self.silent = f.kind != FailureKind::NodeError;
            match f.kind {
                FailureKind::Backpressure => {
                    format!("{command}: the gateway kept refusing for 30000 ms: {}", f.message)
                }
                _ => format!("{command}: {}", f.message),
            }
        })
    }
}

/// What a node should contribute to a check, worked out from the parsers alone.
#[derive(Debug, Default)]
struct Expect {
    /// The failure of a part the node cannot be assessed without (facts, health).
    fatal: Option<String>,
    /// Whether the node stopped answering during the check.
    silent: bool,
    /// GPUs by its facts.
    gpus: usize,
    health: Option<Health>,
    metrics: Option<Result<Vec<Metric>, String>>,
    containers: Option<Result<Vec<Container>, String>>,
    /// Entries dropped from its answers, in the order asked.
    dropped: Vec<String>,
}

impl Expect {
    /// The expectation for a node whose facts or health failed with `err`.
    fn failed(mut self, err: String, a: &Asker) -> Self {
        self.fatal = Some(err);
        self.silent = a.silent;
        self
    }

    /// The state and reason of a node whose check failed.
    fn failed_verdict(&self) -> Option<(State, String)> {
        let err = self.fatal.as_ref()?;
        Some(if self.silent {
            (State::Unreachable, format!("no answer: {err}"))
        } else {
            (State::Unhealthy, format!("cannot read the node's health: {err}"))
        })
    }

    /// Each GPU's state by the metrics: free only when read and idle, unknown when missing,
    /// unreadable (0 MB VRAM) or failed.
    fn gpu_states(&self) -> Vec<GpuState> {
        (0..self.gpus as u32)
            .map(|i| match &self.metrics {
                Some(Ok(ms)) => match ms.iter().find(|m| m.index == i) {
                    Some(m) if m.unreadable() => GpuState::Unknown,
                    Some(m) if m.looks_free() => GpuState::Free,
                    Some(_) => GpuState::Busy,
                    None => GpuState::Unknown,
                },
                _ => GpuState::Unknown,
            })
            .collect()
    }
}

fn expect(host: &FakeHost, n: &NodeEntry, needs: Needs) -> Expect {
    let mut a = Asker { host, node: n, silent: false };
    let mut e = Expect::default();
    let mut has_facts = false;
    if needs.health || needs.metrics {
        let c = match a.call("node.capabilities").and_then(|t| caps::parse(&t)) {
            Ok(c) => c,
            Err(err) => return e.failed(err, &a),
        };
        let list = if c.value.gpus.is_empty() || !n.declares("gpu.list") {
            Ok(Parsed { value: Vec::new(), dropped: Vec::new() })
        } else {
            a.call("gpu.list").and_then(|t| gpu::parse_list(&t))
        };
        let list = match list {
            Ok(l) => l,
            Err(err) => return e.failed(err, &a),
        };
        e.dropped.extend(c.dropped);
        e.dropped.extend(list.dropped);
        e.gpus = c.value.gpus.len().max(list.value.len());
        has_facts = true;
    }
    if needs.health {
        match a.call("node.health").and_then(|t| health::parse(&t)) {
            Ok(h) => {
                e.dropped.extend(h.dropped);
                e.health = Some(h.value);
            }
            Err(err) => return e.failed(err, &a),
        }
    }
    if needs.containers && n.declares("workload.list") {
        e.containers = Some(a.call("workload.list").and_then(|t| workload::parse_list(&t)).map(|p| {
            e.dropped.extend(p.dropped);
            p.value
        }));
    }
    if has_facts && needs.metrics && e.gpus > 0 {
        e.metrics = Some(a.call("gpu.metrics").and_then(|t| gpu::parse_metrics(&t)).map(|p| {
            e.dropped.extend(p.dropped);
            p.value
        }));
    } else if needs.metrics {
        e.metrics = Some(Ok(Vec::new()));
    }
    e.silent = a.silent;
    e
}

fn fleet() -> impl Strategy<Value = Vec<Fault>> {
    prop::collection::vec(fault(), 1..8)
}

fn run_tool<T>(
    host: &FakeHost,
    fut: impl std::future::Future<Output = Result<tools::Reply<T>, clawbernetes::error::Error>>,
) -> Result<T, String> {
    host.run(fut).map(|r| r.details).map_err(|e| e.to_string())
}

#[test]
fn fleet_status_counts_only_accepted_nodes() {
    let rec = Recorder::new("aggregate-status");
    property(&rec, "aggregation", "claw_fleet_status over 1-7 nodes with mutated or failing payloads (node errors, timeouts, gateway backpressure): the six states add up; a node whose facts or health fail is a failed node with the command named, unhealthy (it answered) or unreachable (it did not), never healthy; a node with a dropped entry, a failed partial check or a GPU count its facts contradict is never healthy, each dropped entry is a problem; every GPU's state follows its metrics (unreadable or missing → unknown); GPU, memory and container totals are the exact sums over accepted nodes", 120, fleet(), |faults| {
        let host = fleet_host(&faults);
        let p = Plugin::new(Config::default());
        let s: FleetStatus = run_tool(&host, fleet_status::run(&p, &host, &json!({})))?;
        let n = &s.nodes;
        let sum = n.healthy + n.degraded + n.unhealthy + n.unreachable + n.offline + n.unusable;
        ensure(n.total == faults.len() && sum == n.total, || format!("states {n:?}"))?;
        let mut want_failed = BTreeMap::new();
        let (mut gpus, mut mem, mut avail, mut containers) = (0usize, 0.0f64, 0.0f64, 0usize);
        for node in &host.nodes {
            let e = expect(&host, node, Needs::ALL);
            let d = s.node_details.iter().find(|d| d.node_id == node.id).ok_or("node missing from nodeDetails")?;
            let states: Vec<GpuState> = d.gpus.iter().map(|g| g.state).collect();
            match e.failed_verdict() {
                Some((state, reason)) => {
                    want_failed.insert(node.id.clone(), e.fatal.clone().unwrap_or_default());
                    ensure(d.state == state && d.reason == reason, || format!("{} is {:?} ({}), want {state:?} ({reason})", node.name, d.state, d.reason))?;
                    ensure(d.gpus_total == 0 && states.is_empty(), || format!("{} failed but counts GPUs", node.name))?;
                }
                None => {
                    let h = e.health.as_ref().ok_or("no health")?;
                    gpus += e.gpus;
                    mem += h.memory_total_mb;
                    avail += h.memory_available_mb;
                    containers += e.containers.as_ref().and_then(|c| c.as_ref().ok()).map_or(0, Vec::len);
                    ensure(matches!(d.state, State::Healthy | State::Degraded | State::Unhealthy), || format!("{} answered but is {:?}", node.name, d.state))?;
                    ensure(d.gpus_total == e.gpus && states == e.gpu_states(), || format!("{} GPUs {states:?}, want {:?}", node.name, e.gpu_states()))?;
                    let partial = matches!(e.metrics, Some(Err(_))) || matches!(e.containers, Some(Err(_)));
                    let contradicted = h.gpu_count.is_some_and(|k| k as usize != e.gpus);
                    if !e.dropped.is_empty() || partial || contradicted {
                        ensure(d.state != State::Healthy, || format!("{} healthy despite dropped {:?}, partial failure {partial}, GPU count {:?} vs {}", node.name, e.dropped, h.gpu_count, e.gpus))?;
                    }
                    let reported: Vec<&str> = d.problems.iter().filter(|p| p.kind == Kind::Payload).map(|p| p.message.as_str()).collect();
                    let want: Vec<String> = e.dropped.iter().map(|x| format!("left out of the answer: {x}")).collect();
                    ensure(reported == want, || format!("{} payload problems {reported:?}, want {want:?}", node.name))?;
                }
            }
        }
        let failed: BTreeMap<String, String> = s.failed_nodes.iter().map(|f| (f.node_id.clone(), f.error.clone())).collect();
        ensure(failed == want_failed, || format!("failed {failed:?}, want {want_failed:?}"))?;
        let g = &s.gpus;
        ensure(g.total == gpus && g.free + g.busy + g.held + g.unknown == gpus, || format!("gpus {g:?} want {gpus}"))?;
        ensure(s.memory.total_mb == mem && s.memory.available_mb == avail, || format!("memory {:?} want {mem} / {avail}", s.memory))?;
        ensure(s.workloads.total == containers, || format!("workloads {:?} want {containers}", s.workloads))?;
        let by_model = g.by_model.iter().fold((0, 0), |a, m| (a.0 + m.total, a.1 + m.free));
        ensure(by_model == (gpus, g.free), || format!("byModel {by_model:?}"))?;
        let problems: usize = s.node_details.iter().map(|d| d.problems.len()).sum();
        ensure(s.problems.len() == problems, || format!("{} problems listed, {problems} in the nodes", s.problems.len()))
    });
    a_gpu_count_the_facts_contradict_is_never_healthy(&rec);
}

#[test]
fn gpu_inventory_lists_exactly_the_gpus_of_accepted_nodes() {
    let rec = Recorder::new("aggregate-inventory");
    property(&rec, "aggregation", "claw_gpu_inventory over broken fleets: a node with bad facts is a failed node; a node whose gpu.metrics fail is a failed node that still lists its GPUs, as unknown, never zero GPUs; every GPU's state follows its metrics; total = Σ GPUs of nodes with facts = free + busy + held + unknown", 120, fleet(), |faults| {
        let host = fleet_host(&faults);
        let p = Plugin::new(Config::default());
        let inv = run_tool(&host, gpu_inventory::run(&p, &host, &json!({})))?;
        let mut want_failed = BTreeMap::new();
        let mut total = 0;
        for node in &host.nodes {
            let e = expect(&host, node, Needs { metrics: true, ..Needs::default() });
            let failure = e.fatal.clone().or_else(|| e.metrics.as_ref().and_then(|m| m.as_ref().err().cloned()));
            if let Some(err) = failure {
                want_failed.insert(node.id.clone(), err);
            }
            if e.fatal.is_some() {
                continue;
            }
            total += e.gpus;
            let listed: Vec<GpuState> = inv.nodes.iter().find(|n| n.node_id == node.id).map(|n| n.gpus.iter().map(|g| g.state).collect()).unwrap_or_default();
            ensure(listed == e.gpu_states(), || format!("{} GPUs {listed:?}, want {:?}", node.name, e.gpu_states()))?;
        }
        let failed: BTreeMap<String, String> = inv.failed_nodes.iter().map(|f| (f.node_id.clone(), f.error.clone())).collect();
        ensure(failed == want_failed, || format!("failed {failed:?} want {want_failed:?}"))?;
        let listed: usize = inv.nodes.iter().map(|n| n.gpus.len()).sum();
        ensure(inv.total == total && listed == total, || format!("total {} listed {listed} want {total}", inv.total))?;
        ensure(inv.available + inv.busy + inv.held + inv.unknown == total, || format!("{inv:?}"))
    });
}

#[test]
fn workloads_count_exactly_the_containers_listed() {
    let rec = Recorder::new("aggregate-workloads");
    property(&rec, "aggregation", "claw_workloads over broken fleets: total = Σ containers kept from each node's workload.list (bad entries dropped alone); nodes whose workload.list failed are failed nodes with its error", 120, fleet(), |faults| {
        let host = fleet_host(&faults);
        let p = Plugin::new(Config::default());
        let w = run_tool(&host, workloads::run(&p, &host, &json!({})))?;
        let mut want_failed = BTreeMap::new();
        let mut total = 0;
        for node in &host.nodes {
            match expect(&host, node, Needs { containers: true, ..Needs::default() }).containers {
                Some(Ok(c)) => total += c.len(),
                Some(Err(err)) => {
                    want_failed.insert(node.id.clone(), err);
                }
                None => return Err(format!("{} not asked for workload.list", node.name)),
            }
        }
        let c = &w.counts;
        let counts = c.running + c.exited + c.created + c.restarting + c.paused + c.removing + c.dead + c.unknown;
        let failed: BTreeMap<String, String> = w.failed_nodes.iter().map(|f| (f.node_id.clone(), f.error.clone())).collect();
        ensure(failed == want_failed, || format!("failed {failed:?} want {want_failed:?}"))?;
        ensure(w.total == total && counts == total && w.workloads.len() == total, || format!("total {} counts {counts} want {total}", w.total))
    });
}

#[test]
fn placement_never_picks_a_broken_node() {
    let rec = Recorder::new("aggregate-placement");
    property(&rec, "aggregation", "claw_deploy dryRun {gpus: 1} over broken fleets: an answer, never an error; every node is a candidate or rejected; a failed node is rejected with its state and reason; a candidate is healthy or degraded and every GPU it would bind is free by readable metrics", 120, fleet(), |faults| {
        let host = fleet_host(&faults);
        let p = Plugin::new(Config::default());
        let d = run_tool(&host, deploy::run(&p, &host, &json!({"image": "pytorch/pytorch:2.0", "gpus": 1, "dryRun": true})))?;
        let cands: BTreeSet<&str> = d.candidates.iter().map(|c| c.node_id.as_str()).collect();
        let rejected: BTreeSet<&str> = d.rejected.iter().map(|r| r.node_id.as_str()).collect();
        ensure(cands.len() + rejected.len() == faults.len() && cands.is_disjoint(&rejected), || format!("{cands:?} {rejected:?}"))?;
        for node in &host.nodes {
            let e = expect(&host, node, Needs::ALL);
            if let Some((state, reason)) = e.failed_verdict() {
                let r = d.rejected.iter().find(|r| r.node_id == node.id).ok_or_else(|| format!("{} failed but not rejected", node.name))?;
                let want = vec![format!("{}: {reason}", state.as_str())];
                ensure(r.reasons == want, || format!("{} rejected for {:?}, want {want:?}", node.name, r.reasons))?;
            }
            if let Some(c) = d.candidates.iter().find(|c| c.node_id == node.id) {
                let free = |i: &u32| matches!(&e.metrics, Some(Ok(ms)) if ms.iter().any(|m| m.index == *i && !m.unreadable() && m.looks_free()));
                ensure(e.fatal.is_none() && !c.gpus.is_empty() && c.gpus.iter().all(free), || format!("{} picked with GPUs {:?}: {:?}", node.name, c.gpus, e.metrics))?;
            }
        }
        Ok(())
    });
}

#[test]
fn monitor_state_machine_invariants() {
    let rec = Recorder::new("monitor");
    let state = prop_oneof![
        Just(State::Healthy),
        Just(State::Degraded),
        Just(State::Unhealthy),
        Just(State::Unreachable),
        Just(State::Offline),
        Just(State::Unusable),
    ];
    let tick = prop::collection::vec((0usize..6, state), 0..6);
    property(&rec, "health monitor", "Monitor::step over 1-40 random ticks of 0-5 nodes and failuresToOffline 1-6: a node takes the verdict's state and reason, except that failuresToOffline unreachable checks in a row (a tick unlisted does not reset them) make it offline, saying so; unlisted nodes are gone; exactly the changed nodes make a transition, never a no-op one; history bounded and ending with the tick's transitions", 150,
        (1u32..=6, prop::collection::vec(tick, 1..40)), |(failures_to_offline, ticks)| {
            let mut m = Monitor::default();
            let mut streak = HashMap::<String, u32>::new();
            for (k, tick) in ticks.into_iter().enumerate() {
                let before: HashMap<String, State> = m.nodes().map(|n| (n.node_id.clone(), n.state)).collect();
                let mut seen: Vec<Seen> = Vec::new();
                for (i, state) in tick {
                    let id = format!("n{i}");
                    if seen.iter().any(|o| o.node_id == id) {
                        continue;
                    }
                    let c = streak.entry(id.clone()).or_insert(0);
                    *c = if state == State::Unreachable { *c + 1 } else { 0 };
                    seen.push(Seen { node_id: id.clone(), node_name: id.clone(), state, reason: format!("r{k}-{i}") });
                }
                let trs = m.step(seen.clone(), failures_to_offline, k as f64);
                for tr in &trs {
                    ensure(tr.from != Some(tr.to), || format!("no-op transition {tr:?}"))?;
                }
                let mut changed = 0;
                for n in m.nodes() {
                    let want = match seen.iter().find(|o| o.node_id == n.node_id) {
                        None => (State::Gone, n.reason.clone()),
                        Some(o) => {
                            let run = streak.get(&n.node_id).copied().unwrap_or(0);
                            ensure(n.consecutive_failures == run, || format!("{} failures {} want {run}", n.node_id, n.consecutive_failures))?;
                            if o.state == State::Unreachable && run >= failures_to_offline {
                                (State::Offline, format!("{run} checks failed in a row: {}", o.reason))
                            } else {
                                (o.state, o.reason.clone())
                            }
                        }
                    };
                    ensure((n.state, &n.reason) == (want.0, &want.1), || format!("{} is {:?} ({}), want {want:?}", n.node_id, n.state, n.reason))?;
                    if before.get(&n.node_id) != Some(&n.state) {
                        changed += 1;
                        let tr = trs.iter().find(|t| t.node_id == n.node_id).ok_or_else(|| format!("{} changed without a transition", n.node_id))?;
                        ensure(tr.from == before.get(&n.node_id).copied() && tr.to == n.state && tr.at == k as f64, || format!("{tr:?}"))?;
                        if n.state == State::Gone {
                            ensure(n.reason == "no longer listed by the gateway", || n.reason.clone())?;
                        }
                    }
                }
                ensure(trs.len() == changed, || format!("{} transitions for {changed} changes", trs.len()))?;
                let history: Vec<_> = m.history().collect();
                ensure(history.len() <= HISTORY, || "history unbounded".into())?;
                let tail = &history[history.len().saturating_sub(trs.len())..];
                ensure(tail.iter().copied().eq(trs.iter()), || "history does not end with this tick's transitions".into())?;
            }
            Ok(())
        });
}

#[test]
fn monitor_tick_over_broken_fleet_reports_failures() {
    let rec = Recorder::new("monitor-tick");
    property(&rec, "health monitor", "1-6 monitor ticks over broken fleets: a node whose facts or health fail is tracked with the failure as its reason, never healthy — unhealthy when it answered, unreachable when it did not, offline after failuresToOffline (5) such checks in a row; every other node is tracked in the state the snapshot shows", 80, (fleet(), 1u32..=6), |(faults, ticks)| {
        let host = fleet_host(&faults);
        let p = Plugin::new(Config::default());
        for _ in 0..ticks {
            host.run(watch::tick(&p, &host));
        }
        let m = p.monitor.borrow();
        let snapshot = p.snapshot.borrow();
        let (status, _) = snapshot.as_ref().ok_or("no snapshot")?;
        for node in &host.nodes {
            let e = expect(&host, node, Needs::ALL);
            let t = m.nodes().find(|t| t.node_id == node.id).ok_or("node not tracked")?;
            let d = status.node_details.iter().find(|d| d.node_id == node.id).ok_or("node not in the snapshot")?;
            let want = match e.failed_verdict() {
                Some((State::Unreachable, reason)) if ticks >= 5 => (State::Offline, format!("{ticks} checks failed in a row: {reason}"), ticks),
                Some((State::Unreachable, reason)) => (State::Unreachable, reason, ticks),
                Some((state, reason)) => (state, reason, 0),
                None => (d.state, d.reason.clone(), 0),
            };
            ensure((t.state, &t.reason, t.consecutive_failures) == (want.0, &want.1, want.2), || format!("{} tracked {:?} ({}, {} failures), want {want:?}", node.name, t.state, t.reason, t.consecutive_failures))?;
            if let Some((state, reason)) = e.failed_verdict() {
                ensure((d.state, &d.reason) == (state, &reason), || format!("{} in the snapshot {:?} ({})", node.name, d.state, d.reason))?;
            }
        }
        Ok(())
    });
}

#[test]
fn five_thousand_nodes_ten_percent_failing_add_up() {
    let rec = Recorder::new("aggregate-scale");
    let faults: Vec<Fault> =
        (0..5000).map(|i| if i % 10 == 9 { Fault::Fails(2, FailureKind::Silent) } else { Fault::Good }).collect();
    let host = fleet_host(&faults);
    let p = Plugin::new(Config::default());
    let out = host.run(fleet_status::run(&p, &host, &json!({}))).unwrap();
    let d = &out.details;
    rec.check(
        "aggregation",
        "5000 fixture nodes, every 10th timing out on node.health: totals (native)",
        json!({"total": 5000, "healthy": 4500, "unreachable": 500, "failed": 500, "gpus": 9000, "memoryTotalMb": 4500.0 * 24105.0}),
        json!({"total": d.nodes.total, "healthy": d.nodes.healthy, "unreachable": d.nodes.unreachable, "failed": d.failed_nodes.len(),
               "gpus": d.gpus.total, "memoryTotalMb": d.memory.total_mb}),
    );
    rec.check(
        "aggregation",
        "5000 nodes: the summary text stays bounded (≤ 3500 bytes)",
        true,
        out.text.len() <= clawbernetes::summary::MAX_TEXT_BYTES,
    );
}

/// A GPU count the facts contradict is never healthy (recorded with the fleet status).
fn a_gpu_count_the_facts_contradict_is_never_healthy(rec: &Recorder) {
    let status = |caps: &dyn Fn(&mut Value), health: &dyn Fn(&mut Value)| {
        let n = node("gpu-01");
        let mut host = FakeHost::new(vec![n.clone()]);
        let mut c = fixture("node.capabilities");
        caps(&mut c);
        let mut h = fixture("node.health");
        health(&mut h);
        host.answer(&n.id, "node.capabilities", Ok(c));
        host.answer(&n.id, "node.health", Ok(h));
        let s = host.run(fleet_status::run(&Plugin::new(Config::default()), &host, &json!({}))).unwrap().details;
        let d = &s.node_details[0];
        (d.state, d.gpus_total, d.problems.iter().map(|p| p.message.clone()).collect::<Vec<_>>())
    };
    rec.check(
        "aggregation",
        "node.capabilities without gpus while node.health reports 2 GPUs: 0 GPUs counted, and the node is not healthy",
        (State::Degraded, 0, vec!["node.health reports 2 GPUs, but node.capabilities and gpu.list list 0; they are read again at the next check".to_owned()]),
        status(&|c| {
            c.as_object_mut().unwrap().remove("gpus");
        }, &|_| {}),
    );
    rec.check(
        "aggregation",
        "node.health gpu_count 8 while the facts list 2: 2 GPUs counted, and the node is not healthy",
        (State::Degraded, 2, vec!["node.health reports 8 GPUs, but node.capabilities and gpu.list list 2; they are read again at the next check".to_owned()]),
        status(&|_| {}, &|h| h["gpu_count"] = json!(8)),
    );
}

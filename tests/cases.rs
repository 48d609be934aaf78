//! The real-world answers the plugin once got wrong (`tests/cases/*.json`, one kind of fault
//! each; format in `tests/cases/README.md`), run through the tools with their right answers
//! asserted exactly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use clawbernetes::config::Config;
use clawbernetes::error::Error;
use clawbernetes::io::host::Failure;
use clawbernetes::plugin::Plugin;
use clawbernetes::tools;
use common::{FakeHost, FakeNode};
use serde_json::{json, Value};
use std::path::PathBuf;

/// One call's outcome: `(content text, details)` or the error.
type Outcome = Result<(String, Value), Error>;

/// Runs case `file`: its nodes behind a fake gateway, its calls in order (moving the clock on
/// `advanceMs`); returns each call's outcome and the host.
fn run_case(file: &str) -> (Vec<Outcome>, FakeHost) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cases").join(file);
    let case: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut nodes = Vec::new();
    for n in case["nodes"].as_array().unwrap() {
        let mut node = FakeNode::clawnode(n["name"].as_str().unwrap());
        if let Some(d) = n["displayName"].as_str() {
            node = node.shown_as(d);
        }
        for (command, answer) in n["answers"].as_object().into_iter().flatten() {
            node.answers.insert(
                command.clone(),
                match answer.get("error") {
                    Some(e) => Err(Failure::node(format!(
                        "{}: {}",
                        e["code"].as_str().unwrap(),
                        e["message"].as_str().unwrap()
                    ))),
                    None => Ok(answer.clone()),
                },
            );
        }
        nodes.push(node);
    }
    let host = FakeHost::of(nodes);
    let config = Config::from_json(&case.get("pluginConfig").cloned().unwrap_or(json!({})).to_string()).unwrap();
    let plugin = Plugin::new(config);
    let mut out = Vec::new();
    for call in case["calls"].as_array().unwrap() {
        if let Some(ms) = call["advanceMs"].as_f64() {
            host.advance(ms);
            continue;
        }
        let r = host.run(tools::call(&plugin, &host, call["tool"].as_str().unwrap(), &call["args"]));
        out.push(r.map(|o| (o.text.clone(), serde_json::from_str(o.details_json()).unwrap())));
    }
    (out, host)
}

fn ok(o: &Outcome) -> &Value {
    &o.as_ref().unwrap().1
}

fn names(v: &Value, key: &str) -> Vec<String> {
    v.as_array().unwrap().iter().map(|x| x[key].as_str().unwrap().to_owned()).collect()
}

#[test]
fn a_petabyte_fuse_mount_leaves_the_node_healthy_and_usable() {
    let (out, _) = run_case("02-pib-fuse-mount.json");
    let status = ok(&out[0]);
    assert_eq!(
        status["nodes"],
        json!({"total": 1, "healthy": 1, "degraded": 0, "unhealthy": 0, "unreachable": 0, "offline": 0, "unusable": 0})
    );
    assert_eq!(status["gpus"]["total"], 2);
    assert_eq!(status["gpus"]["free"], 2);
    assert_eq!(status["problems"], json!([]));
    let plan = ok(&out[1]);
    assert_eq!(names(&plan["candidates"], "nodeName"), ["gpu-node-1"]);
    assert_eq!(plan["candidates"][0]["gpus"], json!([0]));
    assert_eq!(plan["placed"], false);
    assert_eq!(plan["dryRun"], true);
}

#[test]
fn overlay_mounts_of_one_filesystem_give_one_disk_warning() {
    let (out, _) = run_case("03-docker-overlay-duplicates.json");
    let status = ok(&out[0]);
    assert_eq!(
        status["problems"],
        json!([{"nodeId": "id-gpu-node-1", "nodeName": "gpu-node-1", "severity": "warning", "kind": "disk",
                "message": "disk / 88% full (warning at 85%)"}])
    );
    assert_eq!(status["nodeDetails"][0]["state"], "degraded");
    assert_eq!(status["nodeDetails"][0]["diskUsedPercent"], 88.0);
}

#[test]
fn an_unreadable_gpu_is_unknown_never_free_and_placement_says_why() {
    let (out, _) = run_case("04-mig-na-as-zero.json");
    let inv = ok(&out[0]);
    assert_eq!(
        (inv["total"].clone(), inv["available"].clone(), inv["unknown"].clone()),
        (json!(1), json!(0), json!(1))
    );
    let gpu = &inv["nodes"][0]["gpus"][0];
    assert_eq!(gpu["state"], "unknown");
    assert_eq!(gpu["available"], false);
    assert_eq!(gpu["memoryUsedMb"], Value::Null);
    assert_eq!(gpu["why"], "its readings cannot be read (0 MB VRAM reported: MIG mode or [N/A])");
    let plan = ok(&out[1]);
    assert_eq!(plan["placed"], false);
    assert_eq!(plan["candidates"], json!([]));
    assert_eq!(
        plan["rejected"],
        json!([{"nodeId": "id-gpu-mig-1", "nodeName": "gpu-mig-1", "reasons": [
            "GPU 0 must be free: GPU 0 state unknown: its readings cannot be read (0 MB VRAM reported: MIG mode or [N/A])"
        ]}])
    );
    let text = &out[1].as_ref().unwrap().0;
    assert!(
        text.starts_with(
            "Not placed: no node can host pytorch/pytorch:2.0 (1 clawnode(s) checked) — gpu-mig-1: GPU 0 must be free"
        ),
        "{text}"
    );
}

#[test]
fn the_docker_feature_workload_shape_reads_its_state_words() {
    let (out, _) = run_case("07-docker-sdk-workload-list.json");
    let w = ok(&out[0]);
    assert_eq!(
        w["counts"],
        json!({"running": 1, "exited": 1, "created": 0, "restarting": 0, "paused": 0, "removing": 0, "dead": 0, "unknown": 0})
    );
    assert_eq!(ok(&out[1])["workloads"], json!({"total": 2, "running": 1, "unhealthy": 0, "restarting": 0}));
}

#[test]
fn docker_health_and_restart_loops_are_states_and_node_problems() {
    let (out, _) = run_case("08-docker-health-status.json");
    let w = ok(&out[0]);
    let by_name: Vec<(String, Value, Value, Value)> = w["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (e["name"].as_str().unwrap().to_owned(), e["state"].clone(), e["health"].clone(), e["exitCode"].clone())
        })
        .collect();
    assert_eq!(
        by_name,
        [
            ("svc-0".to_owned(), json!("running"), json!("unhealthy"), Value::Null),
            ("svc-4".to_owned(), json!("restarting"), Value::Null, json!(1)),
            ("svc-3".to_owned(), json!("exited"), Value::Null, json!(137)),
            ("svc-1".to_owned(), json!("running"), json!("starting"), Value::Null),
            ("svc-2".to_owned(), json!("running"), json!("healthy"), Value::Null),
            ("svc-5".to_owned(), json!("removing"), Value::Null, Value::Null),
        ]
    );
    assert_eq!(w["unhealthy"], 1);
    let status = ok(&out[1]);
    let problems: Vec<String> =
        status["problems"].as_array().unwrap().iter().map(|p| p["message"].as_str().unwrap().to_owned()).collect();
    assert_eq!(
        problems,
        [
            "container svc-0 (vllm/vllm-openai:v0.6.0) is unhealthy",
            "container svc-4 (vllm/vllm-openai:v0.6.0) is restarting, last exit code 1",
        ]
    );
    assert_eq!(status["workloads"], json!({"total": 6, "running": 3, "unhealthy": 1, "restarting": 1}));
    assert_eq!(status["nodeDetails"][0]["state"], "degraded");
}

#[test]
fn memory_sizes_are_read_as_docker_reads_them_and_sent_plainly() {
    let (out, _) = run_case("10-memory-strings.json");
    let sent: Vec<Result<Value, String>> = out
        .iter()
        .map(|o| o.as_ref().map(|(_, d)| d["runParams"]["memory"].clone()).map_err(|e| e.to_string()))
        .collect();
    assert_eq!(
        sent,
        [
            Ok(json!("8g")),
            Ok(json!("512m")),
            Err("claw_deploy: memory \"16Gi\" is not a size Docker reads (unknown unit \"gi\"): write a number, \
                 optionally one space, then b, k, m, g, t or p in any case, optionally followed by b or ib, e.g. \"8g\", \
                 \"8GB\", \"512m\", \"16GiB\", \"1.5g\""
                .to_owned()),
            Ok(json!("1536m")),
            Ok(json!("8g")),
        ]
    );
    for o in out.iter().filter_map(|o| o.as_ref().ok()) {
        assert_eq!(names(&o.1["candidates"], "nodeName"), ["gpu-node-1"]);
    }
}

#[test]
fn a_gpu_the_plugin_gave_out_stays_held_while_its_container_lives() {
    let (out, host) = run_case("15-idle-while-loading.json");
    let first = ok(&out[0]);
    assert_eq!(
        (first["placed"].clone(), first["started"].clone(), first["gpus"].clone()),
        (json!(true), json!(true), json!([0]))
    );
    assert_eq!(first["confirmation"]["outcome"], "running");
    assert_eq!(first["confirmation"]["status"], "Up 3 minutes");
    let second = ok(&out[1]);
    assert_eq!(second["placed"], false);
    assert_eq!(
        second["rejected"][0]["reasons"],
        json!(["GPU 0 must be free: GPU 0 is held by serve-llama since the plugin started it"])
    );
    let runs: Vec<String> = host.take_calls().into_iter().filter(|c| c.1 == "workload.run").map(|c| c.0).collect();
    assert_eq!(runs, ["gpu-node-1"]);
}

#[test]
fn env_names_with_dots_pass_unchanged() {
    let (out, host) = run_case("17-env-keys-with-dots.json");
    let env_sorted =
        json!(["ES_JAVA_OPTS=-Xms1g -Xmx1g", "discovery.type=single-node", "xpack.security.enabled=false"]);
    assert_eq!(ok(&out[0])["runParams"]["env"], env_sorted);
    assert_eq!(ok(&out[1])["runParams"]["env"], json!(["discovery.type=single-node", "ES_JAVA_OPTS=-Xms1g -Xmx1g"]));
    assert_eq!(ok(&out[2])["placed"], true);
    let run = host.take_calls().into_iter().find(|c| c.1 == "workload.run").unwrap().2;
    assert_eq!(
        run,
        json!({"image": "docker.elastic.co/elasticsearch/elasticsearch:8.15.0", "memory": "4g", "env": env_sorted, "name": "es-single"})
    );
}

#[test]
fn cpus_are_a_filter_so_the_small_node_is_never_tried() {
    let (out, host) = run_case("18-cpu-request-above-node-cpus.json");
    let plan = ok(&out[0]);
    assert_eq!(names(&plan["candidates"], "nodeName"), ["gpu-big"]);
    assert_eq!(
        plan["rejected"],
        json!([{"nodeId": "id-gpu-small", "nodeName": "gpu-small", "reasons": ["too few CPUs: needs 16, the node has 8"]}])
    );
    let run = ok(&out[1]);
    assert_eq!((run["placed"].clone(), run["nodeName"].clone()), (json!(true), json!("gpu-big")));
    assert_eq!(names(&run["attempts"], "nodeName"), ["gpu-big"]);
    let runs: Vec<String> = host.take_calls().into_iter().filter(|c| c.1 == "workload.run").map(|c| c.0).collect();
    assert_eq!(runs, ["gpu-big"]);
}

#[test]
fn a_shared_display_name_selects_every_node_that_has_it() {
    let (out, _) = run_case("19-duplicate-display-names.json");
    assert_eq!(names(&ok(&out[0])["nodeDetails"], "nodeId"), ["id-gpu-node-3", "id-ubuntu#a", "id-ubuntu#b"]);
    let inv = ok(&out[2]);
    assert_eq!(names(&inv["nodes"], "nodeId"), ["id-ubuntu#a", "id-ubuntu#b"]);
    assert_eq!(inv["sharedNames"], json!([{"name": "ubuntu", "nodeIds": ["id-ubuntu#a", "id-ubuntu#b"]}]));
    assert!(out[2].as_ref().unwrap().0.contains(
        "\"ubuntu\" is the display name of 2 nodes, so all of them were listed (ids: id-ubuntu#a, id-ubuntu#b)."
    ));
    assert_eq!((inv["total"].clone(), inv["available"].clone()), (json!(4), json!(3)));
    let (text, multi) = out[1].as_ref().unwrap();
    assert_eq!(names(&multi["results"], "nodeId"), ["id-ubuntu#a", "id-ubuntu#b"]);
    assert_eq!(multi["sharedNames"], json!([{"name": "ubuntu", "nodeIds": ["id-ubuntu#a", "id-ubuntu#b"]}]));
    assert!(
        text.contains(
            "\"ubuntu\" is the display name of 2 nodes, so all of them were asked (ids: id-ubuntu#a, id-ubuntu#b)."
        ),
        "{text}"
    );
}

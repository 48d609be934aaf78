//! The five tools and the monitor over the real clawnode fixtures, through a native fake
//! gateway: exact totals, states, chosen nodes and error texts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use clawbernetes::config::Config;
use clawbernetes::host::NodeEntry;
use clawbernetes::plugin::Plugin;
use clawbernetes::{service, tools};
use common::{FakeHost, FakeNode};
use futures_executor::block_on;
use serde_json::{json, Value};

fn plugin() -> Plugin {
    Plugin::new(Config::default())
}

fn call(p: &Plugin, h: &FakeHost, tool: &str, args: Value) -> Result<tools::Output, String> {
    block_on(tools::call(p, h, tool, &args))
}

fn commands_sent(h: &FakeHost) -> Vec<String> {
    h.take_calls().into_iter().map(|(n, c, _)| format!("{n}:{c}")).collect()
}

#[test]
fn fixture_node_status_is_computed_from_its_numbers() {
    let h = FakeHost::of(vec![FakeNode::clawnode("gpu-01")]);
    let out = call(&plugin(), &h, "claw_fleet_status", json!({})).unwrap();
    let d = &out.details();
    assert_eq!(d["nodes"], json!({"total": 1, "healthy": 1, "degraded": 0, "unhealthy": 0, "unreachable": 0}));
    assert_eq!(
        d["gpus"],
        json!({"total": 2, "free": 1, "byModel": [{"model": "NVIDIA H100 80GB HBM3", "total": 2, "free": 1}]})
    );
    assert_eq!(d["memory"], json!({"totalMb": 24105.0, "availableMb": 22789.0}));
    assert_eq!(d["workloads"], json!({"running": 1, "total": 1}));
    assert_eq!(d["problems"], json!([]));
    assert_eq!(d["nodeDetails"][0]["loadPerCpu"], json!(1.17));
    assert_eq!(d["nodeDetails"][0]["diskUsedPercent"], json!(70.39));
    assert_eq!(
        out.text,
        "Fleet: 1 clawnode — 1 healthy, 0 degraded, 0 unhealthy, 0 unreachable.\n\
         GPUs: 1/2 free (NVIDIA H100 80GB HBM3 1/2 free).\n\
         Memory: 22 GB available of 24 GB. Workloads: 1 running, 1 containers in all."
    );
}

#[test]
fn health_never_comes_from_the_status_field() {
    let said_dead = FakeNode::clawnode("says-dead").edit("node.health", |v| v["status"] = json!("dead"));
    let full_disk =
        FakeNode::clawnode("full-disk").edit("node.health", |v| v["disks"][0]["usage_percent"] = json!(97.2));
    let h = FakeHost::of(vec![said_dead, full_disk]);
    let d = call(&plugin(), &h, "claw_fleet_status", json!({})).unwrap().details();
    assert_eq!(d["nodeDetails"][0]["state"], "unhealthy");
    assert_eq!(d["nodeDetails"][0]["nodeName"], "full-disk");
    assert_eq!(d["nodeDetails"][1]["state"], "healthy");
    assert_eq!(d["problems"][0]["message"], "disk / 97% full (critical at 95%)");
}

#[test]
fn thresholds_grade_each_problem() {
    let hot = FakeNode::clawnode("hot").edit("gpu.metrics", |m| m["metrics"][1]["temperature_c"] = json!(93));
    let warm = FakeNode::clawnode("warm").edit("gpu.metrics", |m| m["metrics"][0]["temperature_c"] = json!(84));
    let loaded = FakeNode::clawnode("loaded").edit("node.health", |v| v["load_average"]["five"] = json!(5.0));
    let full = FakeNode::clawnode("low-mem").edit("node.health", |v| v["memory"]["available_mb"] = json!(1000));
    let h = FakeHost::of(vec![hot, warm, loaded, full]);
    let d = call(&plugin(), &h, "claw_fleet_status", json!({})).unwrap().details();
    assert_eq!(d["nodes"], json!({"total": 4, "healthy": 0, "degraded": 3, "unhealthy": 1, "unreachable": 0}));
    let msgs: Vec<String> = d["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {} {}",
                p["nodeName"].as_str().unwrap(),
                p["severity"].as_str().unwrap(),
                p["message"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        msgs,
        [
            "hot critical GPU 1 at 93 °C (critical at 90 °C)",
            "loaded warning load 2.50 per CPU over 5 min on 2 CPUs (warning at 2)",
            "low-mem warning memory 96% used, 1000 MB available (warning at 90%)",
            "warm warning GPU 0 at 84 °C (warning at 80 °C)",
        ]
    );
}

fn other(id: &str, connected: bool, commands: &[&str], pending: bool) -> NodeEntry {
    NodeEntry {
        id: id.to_owned(),
        name: id.to_owned(),
        connected,
        commands: commands.iter().map(|s| s.to_string()).collect::<Vec<_>>().into(),
        pending_approval: pending,
    }
}

#[test]
fn only_connected_clawnodes_count_and_failing_ones_are_data() {
    let dead = FakeNode::clawnode("gpu-02").fail("node.capabilities", "UNAVAILABLE: node not connected", false);
    let mut h = FakeHost::of(vec![FakeNode::clawnode("gpu-01"), dead]);
    h.nodes.extend([
        other("phone", true, &["camera.snap"], false),
        other("old-gpu", false, &["node.health", "node.capabilities"], false),
        other("new-gpu", true, &[], true),
    ]);
    let out = call(&plugin(), &h, "claw_fleet_status", json!({})).unwrap();
    let d = out.details();
    assert_eq!(d["nodes"], json!({"total": 2, "healthy": 1, "degraded": 0, "unhealthy": 0, "unreachable": 1}));
    assert_eq!(
        d["failedNodes"],
        json!([{"nodeId": "id-gpu-02", "nodeName": "gpu-02", "error": "node.capabilities: UNAVAILABLE: node not connected"}])
    );
    assert_eq!(d["pendingNodes"], json!([{"nodeId": "new-gpu", "nodeName": "new-gpu"}]));
    assert_eq!(d["gpus"]["total"], 2);
    // A node that did not answer is asked nothing more in that call.
    assert_eq!(commands_sent(&h).iter().filter(|c| c.starts_with("gpu-02:")).count(), 1);
    assert!(
        out.text.contains("- gpu-02 [critical] node.capabilities: UNAVAILABLE: node not connected"),
        "{}",
        out.text
    );
    assert!(out.text.ends_with(
        "Waiting for approval: 1 node (new-gpu) — openclaw nodes pending, then openclaw nodes approve <requestId>."
    ));
}

#[test]
fn static_facts_are_cached_so_warm_calls_ask_only_what_changes() {
    let h = FakeHost::of(vec![FakeNode::clawnode("gpu-01"), FakeNode::clawnode("cpu-01").cpu_only()]);
    let p = plugin();
    call(&p, &h, "claw_fleet_status", json!({})).unwrap();
    assert_eq!(
        commands_sent(&h),
        [
            "cpu-01:node.capabilities",
            "cpu-01:node.health",
            "cpu-01:workload.list",
            "gpu-01:node.capabilities",
            "gpu-01:gpu.list",
            "gpu-01:node.health",
            "gpu-01:workload.list",
            "gpu-01:gpu.metrics",
        ]
    );
    call(&p, &h, "claw_fleet_status", json!({})).unwrap();
    assert_eq!(
        commands_sent(&h),
        [
            "cpu-01:node.health",
            "cpu-01:workload.list",
            "gpu-01:node.health",
            "gpu-01:workload.list",
            "gpu-01:gpu.metrics"
        ]
    );
    call(&p, &h, "claw_gpu_inventory", json!({})).unwrap();
    assert_eq!(commands_sent(&h), ["gpu-01:gpu.metrics"]);
    call(&p, &h, "claw_workloads", json!({})).unwrap();
    assert_eq!(commands_sent(&h), ["cpu-01:workload.list", "gpu-01:workload.list"]);
}

#[test]
fn gpu_inventory_lists_every_gpu_with_inferred_availability() {
    let h = FakeHost::of(vec![FakeNode::clawnode("gpu-01")]);
    let d = call(&plugin(), &h, "claw_gpu_inventory", json!({})).unwrap().details();
    assert_eq!(
        d["gpus"],
        json!([
            {"nodeId": "id-gpu-01", "nodeName": "gpu-01", "index": 0, "uuid": "GPU-5c9a1e2b-3f4d-4e5f-8a9b-0c1d2e3f4a5b",
             "model": "NVIDIA H100 80GB HBM3", "memoryTotalMb": 81559.0, "memoryUsedMb": 61234.0, "utilizationPercent": 87.0,
             "temperatureC": 71.0, "powerDrawW": 512.3400268554688, "powerLimitW": 700.0, "available": false},
            {"nodeId": "id-gpu-01", "nodeName": "gpu-01", "index": 1, "uuid": "GPU-6d0b2f3c-4a5e-5f6a-9b0c-1d2e3f4a5b6c",
             "model": "NVIDIA H100 80GB HBM3", "memoryTotalMb": 81559.0, "memoryUsedMb": 1.0, "utilizationPercent": 0.0,
             "temperatureC": 33.0, "powerDrawW": null, "powerLimitW": null, "available": true}
        ])
    );
    let only_free =
        call(&plugin(), &h, "claw_gpu_inventory", json!({"availableOnly": true, "model": "h100"})).unwrap().details();
    assert_eq!((only_free["total"].clone(), only_free["gpus"][0]["index"].clone()), (json!(1), json!(1)));
    let none = call(&plugin(), &h, "claw_gpu_inventory", json!({"model": "A100"})).unwrap().details();
    assert_eq!(none["total"], 0);
    assert_eq!(
        call(&plugin(), &h, "claw_gpu_inventory", json!({"nodeId": "gpu-99"})).unwrap_err(),
        "claw_gpu_inventory: nodeId \"gpu-99\" names no connected clawnode; connected: gpu-01"
    );
}

#[test]
fn workloads_normalise_docker_status_text() {
    let statuses = [
        "Up 5 minutes",
        "Exited (137) 2 hours ago",
        "Created",
        "Restarting (1) 4 seconds ago",
        "Up 3 hours (Paused)",
        "Dead",
    ];
    let node = FakeNode::clawnode("gpu-01").edit("workload.list", |w| {
        let items: Vec<Value> = statuses
            .iter()
            .enumerate()
            .map(|(i, s)| json!({"containerId": format!("00000000000{i}"), "image": "pytorch/pytorch:2.0", "name": format!("w{i}"), "status": s}))
            .collect();
        w["workloads"] = Value::Array(items);
    });
    let h = FakeHost::of(vec![node]);
    let d = call(&plugin(), &h, "claw_workloads", json!({})).unwrap().details();
    let got: Vec<(String, Value)> = d["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["state"].as_str().unwrap().to_owned(), w["exitCode"].clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("running".into(), Value::Null),
            ("exited".into(), json!(137)),
            ("created".into(), Value::Null),
            ("restarting".into(), json!(1)),
            ("paused".into(), Value::Null),
            ("dead".into(), Value::Null),
        ]
    );
    assert_eq!(
        d["counts"],
        json!({"running": 1, "exited": 1, "created": 1, "restarting": 1, "paused": 1, "dead": 1, "unknown": 0})
    );
    let exited = call(&plugin(), &h, "claw_workloads", json!({"state": "exited"})).unwrap().details();
    assert_eq!(exited["total"], 1);
    assert_eq!(
        call(&plugin(), &h, "claw_workloads", json!({"state": "stopped"})).unwrap_err(),
        "claw_workloads: state must be one of running, exited, created, restarting, paused, dead, unknown, got \"stopped\""
    );
}

fn run_params(h: &FakeHost) -> Vec<(String, Value)> {
    h.take_calls().into_iter().filter(|(_, c, _)| c == "workload.run").map(|(n, _, p)| (n, p)).collect()
}

#[test]
fn deploy_sends_env_as_key_value_strings_and_command_as_an_array() {
    let h = FakeHost::of(vec![FakeNode::clawnode("gpu-01").idle_gpus()]);
    let args = json!({"image": "pytorch/pytorch:2.0", "gpus": 2, "memory": "8g", "cpu": 4, "env": {"EPOCHS": "3", "LR": 0.001},
                      "command": ["python", "train.py"], "name": "train-1", "volumes": ["/data:/data:ro"], "shmSize": "16g"});
    let out = call(&plugin(), &h, "claw_deploy", args).unwrap();
    assert_eq!(
        run_params(&h),
        vec![(
            "gpu-01".to_owned(),
            json!({"image": "pytorch/pytorch:2.0", "gpus": 2, "memory": "8g", "cpu": 4.0, "env": ["EPOCHS=3", "LR=0.001"],
                   "command": ["python", "train.py"], "name": "train-1", "volumes": ["/data:/data:ro"], "shmSize": "16g"})
        )]
    );
    let d = out.details();
    assert_eq!(d["placed"], true);
    assert_eq!(d["nodeName"], "gpu-01");
    assert_eq!(d["workloadId"], "9e6438d5-29fc-45c0-90dd-8c2bf1b54a37");
    assert_eq!(d["containerId"], "3f2a9c1d7e4b5a6c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c");
    assert_eq!(d["gpus"], json!([0, 1]));
}

#[test]
fn deploy_ranks_binpack_and_spread_and_explains_rejections() {
    let small = FakeNode::clawnode("a-small").idle_gpus();
    let big = FakeNode::clawnode("b-big").idle_gpus().edit("node.capabilities", |c| {
        let g = c["gpus"][0].clone();
        c["gpus"] = json!([g.clone(), {"index": 1, "memory_mb": 81559, "name": "NVIDIA H100 80GB HBM3"}, {"index": 2, "memory_mb": 81559, "name": "NVIDIA H100 80GB HBM3"}, {"index": 3, "memory_mb": 81559, "name": "NVIDIA H100 80GB HBM3"}]);
        c["gpu_count"] = json!(4);
    }).edit("gpu.list", |l| {
        let g = l["gpus"][0].clone();
        l["gpus"] = json!([g.clone(), {"index": 1, "memory_total_mb": 81559, "name": "NVIDIA H100 80GB HBM3", "uuid": "GPU-b1", "pci_bus_id": "x"}, {"index": 2, "memory_total_mb": 81559, "name": "NVIDIA H100 80GB HBM3", "uuid": "GPU-b2", "pci_bus_id": "y"}, {"index": 3, "memory_total_mb": 81559, "name": "NVIDIA H100 80GB HBM3", "uuid": "GPU-b3", "pci_bus_id": "z"}]);
    }).edit("node.health", |hh| hh["gpu_count"] = json!(4)).edit("gpu.metrics", |m| {
        let g = m["metrics"][1].clone();
        let mk = |i: u32| { let mut x = g.clone(); x["index"] = json!(i); x };
        m["metrics"] = json!([mk(0), mk(1), mk(2), mk(3)]);
    });
    let busy = FakeNode::clawnode("c-busy");
    let cpu = FakeNode::clawnode("d-cpu").cpu_only();
    let no_runtime = FakeNode::clawnode("e-noruntime")
        .idle_gpus()
        .edit("node.capabilities", |c| c["container_runtime"] = Value::Null);
    let h = FakeHost::of(vec![small, big, busy, cpu, no_runtime]);
    let binpack =
        call(&plugin(), &h, "claw_deploy", json!({"image": "pytorch/pytorch:2.0", "gpus": 2, "dryRun": true}))
            .unwrap()
            .details();
    let names = |d: &Value| {
        d["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["nodeName"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&binpack), ["a-small", "b-big"]);
    assert_eq!(binpack["candidates"][0]["score"], json!(97.94));
    assert_eq!(binpack["candidates"][1]["score"], json!(51.6));
    assert_eq!(
        binpack["rejected"],
        json!([
            {"nodeId": "id-c-busy", "nodeName": "c-busy", "reasons": ["GPUs 0..1 must all be free: GPU 0 busy (61234 MB used, 87% util)"]},
            {"nodeId": "id-d-cpu", "nodeName": "d-cpu", "reasons": ["has 0 GPUs, needs 2"]},
            {"nodeId": "id-e-noruntime", "nodeName": "e-noruntime", "reasons": ["no container runtime"]}
        ])
    );
    assert!(run_params(&h).is_empty(), "a dry run runs nothing");
    let spread = call(
        &plugin(),
        &h,
        "claw_deploy",
        json!({"image": "pytorch/pytorch:2.0", "gpus": 2, "strategy": "spread", "dryRun": true}),
    )
    .unwrap()
    .details();
    assert_eq!(names(&spread), ["b-big", "a-small"]);
    let preferred = call(
        &plugin(),
        &h,
        "claw_deploy",
        json!({"image": "pytorch/pytorch:2.0", "gpus": 1, "preferNode": "B-BIG", "dryRun": true}),
    )
    .unwrap()
    .details();
    assert_eq!(names(&preferred)[0], "b-big");
    let nowhere =
        call(&plugin(), &h, "claw_deploy", json!({"image": "pytorch/pytorch:2.0", "gpus": 8, "memory": "64g"}))
            .unwrap_err();
    assert_eq!(
        nowhere,
        "claw_deploy: no node can host this workload (5 clawnode(s) checked): \
         a-small: not enough memory: needs 72090 MB (65536 MB + 10% headroom), 22789 MB available; has 2 GPUs, needs 8 | \
         b-big: not enough memory: needs 72090 MB (65536 MB + 10% headroom), 22789 MB available; has 4 GPUs, needs 8 | \
         c-busy: not enough memory: needs 72090 MB (65536 MB + 10% headroom), 22789 MB available; has 2 GPUs, needs 8 | \
         d-cpu: not enough memory: needs 72090 MB (65536 MB + 10% headroom), 22789 MB available; has 0 GPUs, needs 8 | \
         e-noruntime: no container runtime; not enough memory: needs 72090 MB (65536 MB + 10% headroom), 22789 MB available; has 2 GPUs, needs 8"
    );
}

#[test]
fn deploy_falls_back_when_a_node_refuses_and_does_not_double_book() {
    let refuses = FakeNode::clawnode("a-first").idle_gpus().fail(
        "workload.run",
        "COMMAND_ERROR: container run failed: no space left",
        true,
    );
    let h = FakeHost::of(vec![refuses, FakeNode::clawnode("b-second").idle_gpus()]);
    let p = plugin();
    let d = call(&p, &h, "claw_deploy", json!({"image": "pytorch/pytorch:2.0", "gpus": 2})).unwrap().details();
    assert_eq!(d["nodeName"], "b-second");
    assert_eq!(
        d["attempts"],
        json!([
            {"nodeId": "id-a-first", "nodeName": "a-first", "ok": false, "error": "workload.run: COMMAND_ERROR: container run failed: no space left"},
            {"nodeId": "id-b-second", "nodeName": "b-second", "ok": true, "error": null}
        ])
    );
    // The metrics of b-second still show its GPUs idle, but they were just given away.
    let again = call(&p, &h, "claw_deploy", json!({"image": "pytorch/pytorch:2.0", "gpus": 1, "dryRun": true}))
        .unwrap()
        .details();
    assert_eq!(again["candidates"].as_array().unwrap().len(), 1);
    assert_eq!(again["candidates"][0]["nodeName"], "a-first");
    assert_eq!(again["rejected"][0]["reasons"], json!(["GPU 0 must be free: GPU 0 was just given to another deploy"]));
}

#[test]
fn deploy_arguments_are_checked_with_field_named_errors() {
    let h = FakeHost::of(vec![FakeNode::clawnode("gpu-01").idle_gpus()]);
    let err = |args: Value| call(&plugin(), &h, "claw_deploy", args).unwrap_err();
    assert_eq!(err(json!({})), "claw_deploy: image is required");
    assert_eq!(
        err(json!({"image": "x", "gpus": 1.5})),
        "claw_deploy: gpus must be a whole number from 0 to 16, got 1.5"
    );
    assert_eq!(err(json!({"image": "x", "gpus": 17})), "claw_deploy: gpus must be a whole number from 0 to 16, got 17");
    assert_eq!(
        err(json!({"image": "x", "memory": "8gb"})),
        "claw_deploy: memory must be a size like \"8g\", \"512m\" or \"1024k\", got \"8gb\""
    );
    assert_eq!(
        err(json!({"image": "x", "command": "python train.py"})),
        "claw_deploy: command must be an array of strings, e.g. [\"python train.py\"], got a string"
    );
    assert_eq!(err(json!({"image": "x", "name": "--privileged"})), "claw_deploy: name \"--privileged\" must be 1-63 letters, digits, '_', '.' or '-', starting with a letter or digit");
    assert_eq!(
        err(json!({"image": "x", "gpu": 1})).split(';').next().unwrap(),
        "claw_deploy: unknown argument \"gpu\""
    );
    assert!(run_params(&h).is_empty());
}

#[test]
fn multi_invoke_refuses_sensitive_commands_unless_allowed_and_redacts_secrets() {
    let h = FakeHost::of(vec![FakeNode::clawnode("gpu-01"), FakeNode::clawnode("gpu-02")]);
    assert_eq!(
        call(&plugin(), &h, "claw_multi_invoke", json!({"command": "secret.get", "params": {"name": "db-creds"}})).unwrap_err(),
        "claw_multi_invoke: secret.get is refused fleet-wide: it runs processes, reveals secrets or destroys work. An operator can allow it by adding \"secret.get\" to plugins.entries.clawbernetes.config.multiInvoke.allow"
    );
    assert!(h.take_calls().is_empty(), "a refused command is sent to no node");
    let allowed = Plugin::new(Config::from_json(r#"{"multiInvoke": {"allow": ["secret.get"]}}"#).unwrap());
    let d = call(
        &allowed,
        &h,
        "claw_multi_invoke",
        json!({"command": "secret.get", "params": {"name": "db-creds"}, "nodes": ["gpu-02"]}),
    )
    .unwrap()
    .details();
    assert_eq!((d["total"].clone(), d["ok"].clone()), (json!(1), json!(1)));
    assert_eq!(d["results"][0]["payload"]["data"]["password"], clawbernetes::redact::REDACTED);
    assert_eq!(h.take_calls(), vec![("gpu-02".to_owned(), "secret.get".to_owned(), json!({"name": "db-creds"}))]);
    let info = call(&plugin(), &h, "claw_multi_invoke", json!({"command": "system.info"})).unwrap();
    assert_eq!((info.details()["ok"].clone(), info.details()["failed"].clone()), (json!(2), json!(0)));
    assert!(info.text.starts_with("system.info on 2 node(s): 2 ok, 0 failed."));
    let ro = Config::from_json(r#"{"readOnly": true}"#).unwrap();
    assert_eq!(
        call(&Plugin::new(ro), &h, "claw_multi_invoke", json!({"command": "node.label", "params": {"labels": {}}}))
            .unwrap_err(),
        "claw_multi_invoke: node.label changes state and the plugin is read-only (readOnly: true)"
    );
}

#[test]
fn monitor_moves_nodes_through_states_and_keeps_history() {
    let p = plugin();
    let h = FakeHost::of(vec![FakeNode::clawnode("gpu-01")]);
    let states = |p: &Plugin| {
        service::snapshot(p)["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["state"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    block_on(service::tick(&p, &h));
    assert_eq!(states(&p), ["healthy"]);
    let hot = FakeHost::of(vec![
        FakeNode::clawnode("gpu-01").edit("gpu.metrics", |m| m["metrics"][0]["temperature_c"] = json!(85))
    ]);
    let t = block_on(service::tick(&p, &hot));
    assert_eq!(
        (t[0].from.map(|s| s.as_str()), t[0].to.as_str(), t[0].reason.as_str()),
        (Some("healthy"), "degraded", "GPU 0 at 85 °C (warning at 80 °C)")
    );
    let failing =
        FakeHost::of(vec![FakeNode::clawnode("gpu-01").fail("node.health", "no answer within 30000 ms", false)]);
    block_on(service::tick(&p, &failing));
    assert_eq!(states(&p), ["degraded"], "one failed check changes nothing yet");
    block_on(service::tick(&p, &failing));
    assert_eq!(states(&p), ["unhealthy"], "two in a row make it unhealthy");
    for _ in 0..3 {
        block_on(service::tick(&p, &failing));
    }
    assert_eq!(states(&p), ["offline"], "five in a row make it offline");
    block_on(service::tick(&p, &FakeHost::of(vec![])));
    assert_eq!(states(&p), ["gone"]);
    let snap = service::snapshot(&p);
    let path: Vec<&str> = snap["transitions"].as_array().unwrap().iter().map(|t| t["to"].as_str().unwrap()).collect();
    assert_eq!(path, ["healthy", "degraded", "unhealthy", "offline", "gone"]);
    assert_eq!(snap["monitor"]["ticks"], 8);
    let logs = p_logs(&hot);
    assert_eq!(
        logs,
        vec!["warn clawbernetes: gpu-01 healthy → degraded: GPU 0 at 85 °C (warning at 80 °C)".to_owned()]
    );
}

fn p_logs(h: &FakeHost) -> Vec<String> {
    h.logs.borrow().iter().map(|(l, m)| format!("{} {m}", format!("{l:?}").to_lowercase())).collect()
}

#[test]
fn a_node_whose_capabilities_list_no_container_runtime_cannot_host_work() {
    // clawnode reports container_runtime from its config even when docker is missing; the tags tell.
    let no_docker = FakeNode::clawnode("a-nodocker")
        .idle_gpus()
        .edit("node.capabilities", |c| c["capabilities"] = json!(["system", "gpu", "nvidia"]));
    let h = FakeHost::of(vec![no_docker, FakeNode::clawnode("b-docker").idle_gpus()]);
    let d =
        call(&plugin(), &h, "claw_deploy", json!({"image": "pytorch/pytorch:2.0", "dryRun": true})).unwrap().details();
    assert_eq!(d["candidates"][0]["nodeName"], "b-docker");
    assert_eq!(
        d["rejected"],
        json!([{"nodeId": "id-a-nodocker", "nodeName": "a-nodocker", "reasons": ["no container runtime"]}])
    );
    let status = call(&plugin(), &h, "claw_fleet_status", json!({})).unwrap().details();
    assert_eq!(status["nodeDetails"][0]["containerRuntime"], Value::Null);
}

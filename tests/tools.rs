//! The five tools, the methods and the monitor over the real clawnode fixtures, through a
//! native fake gateway: typed results compared whole, exact states, chosen nodes and texts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use clawbernetes::assess::{GpuState, Kind, Severity, State};
use clawbernetes::config::Config;
use clawbernetes::error::Error;
use clawbernetes::fleet::status::{
    FleetStatus, GpuCell, GpuTotals, MemoryTotals, ModelCount, NodeDetail, NodeProblem, StateCounts, WorkloadTotals,
};
use clawbernetes::io::fanout::Stats;
use clawbernetes::io::host::FailureKind;
use clawbernetes::io::watch;
use clawbernetes::plugin::Plugin;
use clawbernetes::tools::{self, deploy, fleet_status, gpu_inventory, multi_invoke};
use clawbernetes::{methods, node::entry::NodeEntry};
use common::{FakeHost, FakeNode};
use serde_json::{json, Value};
use std::rc::Rc;

fn plugin() -> Plugin {
    Plugin::new(Config::default())
}

fn commands_sent(h: &FakeHost) -> Vec<String> {
    h.take_calls().into_iter().map(|(n, c, _)| format!("{n}:{c}")).collect()
}

fn status(p: &Plugin, h: &FakeHost) -> FleetStatus {
    h.run(fleet_status::run(p, h, &json!({}))).unwrap().details
}

fn plan(p: &Plugin, h: &FakeHost, args: Value) -> deploy::Deployed {
    h.run(deploy::run(p, h, &args)).unwrap().details
}

fn h100(index: u32, state: GpuState, util: f64, temp: f64) -> GpuCell {
    GpuCell { index, state, utilization_percent: Some(util), temperature_c: Some(temp) }
}

#[test]
fn the_fixture_node_gives_exactly_this_status() {
    let h = FakeHost::of(vec![FakeNode::clawnode("gpu-01")]);
    let out = h.run(fleet_status::run(&plugin(), &h, &json!({}))).unwrap();
    let expected = FleetStatus {
        severity: "ok",
        nodes: StateCounts { total: 1, healthy: 1, ..StateCounts::default() },
        gpus: GpuTotals {
            total: 2,
            free: 1,
            busy: 1,
            held: 0,
            unknown: 0,
            by_model: vec![ModelCount { model: "NVIDIA H100 80GB HBM3".into(), total: 2, free: 1 }],
        },
        memory: MemoryTotals { total_mb: 24105.0, available_mb: 22789.0 },
        workloads: WorkloadTotals { total: 1, running: 1, unhealthy: 0, restarting: 0 },
        problems: vec![],
        node_details: vec![NodeDetail {
            node_id: "id-gpu-01".into(),
            node_name: "gpu-01".into(),
            state: State::Healthy,
            reason: "all checks pass".into(),
            cpu_count: 2,
            load_per_cpu: 1.17,
            memory_total_mb: 24105.0,
            memory_available_mb: 22789.0,
            disk_used_percent: 70.39,
            gpus_total: 2,
            gpus_free: 1,
            workloads_running: 1,
            container_runtime: Some("docker".into()),
            problems: vec![],
            gpus: vec![h100(0, GpuState::Busy, 87.0, 71.0), h100(1, GpuState::Free, 0.0, 33.0)],
        }],
        failed_nodes: vec![],
        fanout: Stats { limit: 32, peak_in_flight: 1, retries: 0, overloaded: 0 },
    };
    assert_eq!(out.details, expected);
    assert_eq!(
        out.text,
        "Fleet: 1 clawnode — 1 healthy, 0 degraded, 0 unhealthy.\n\
         GPUs: 1/2 free, 1 busy (NVIDIA H100 80GB HBM3 1/2 free).\n\
         Memory: 22 GB available of 24 GB. Workloads: 1 running, 1 containers in all."
    );
}

#[test]
fn health_never_comes_from_the_status_field() {
    let said_dead = FakeNode::clawnode("says-dead").edit("node.health", |v| v["status"] = json!("dead"));
    let full_disk =
        FakeNode::clawnode("full-disk").edit("node.health", |v| v["disks"][0]["usage_percent"] = json!(97.2));
    let h = FakeHost::of(vec![said_dead, full_disk]);
    let s = status(&plugin(), &h);
    let states: Vec<(&str, State)> = s.node_details.iter().map(|d| (d.node_name.as_str(), d.state)).collect();
    assert_eq!(states, [("full-disk", State::Unhealthy), ("says-dead", State::Healthy)]);
    assert_eq!(
        s.problems,
        [NodeProblem {
            node_id: "id-full-disk".into(),
            node_name: "full-disk".into(),
            severity: Severity::Critical,
            kind: Kind::Disk,
            message: "disk / 97% full (critical at 95%)".into()
        }]
    );
    assert_eq!(s.severity, "critical");
}

#[test]
fn thresholds_grade_each_problem() {
    let hot = FakeNode::clawnode("hot").edit("gpu.metrics", |m| m["metrics"][1]["temperature_c"] = json!(93));
    let warm = FakeNode::clawnode("warm").edit("gpu.metrics", |m| m["metrics"][0]["temperature_c"] = json!(84));
    let loaded = FakeNode::clawnode("loaded").edit("node.health", |v| v["load_average"]["five"] = json!(5.0));
    let low = FakeNode::clawnode("low-mem").edit("node.health", |v| v["memory"]["available_mb"] = json!(1000));
    let h = FakeHost::of(vec![hot, warm, loaded, low]);
    let s = status(&plugin(), &h);
    assert_eq!(s.nodes, StateCounts { total: 4, healthy: 0, degraded: 3, unhealthy: 1, ..StateCounts::default() });
    let msgs: Vec<String> =
        s.problems.iter().map(|p| format!("{} {} {}", p.node_name, p.severity.as_str(), p.message)).collect();
    assert_eq!(
        msgs,
        [
            "hot critical GPU 1 at 93 °C (critical at 90 °C)",
            "loaded warning load 2.50 per CPU over 5 min on 2 CPUs (warning at 2)",
            "low-mem warning memory 96% used, 1000 MB available (warning at 90%)",
            "warm warning GPU 0 at 84 °C (warning at 80 °C)",
        ]
    );
    let order: Vec<&str> = s.node_details.iter().map(|d| d.node_name.as_str()).collect();
    assert_eq!(order, ["hot", "loaded", "low-mem", "warm"], "problems first: unhealthy, then degraded by name");
}

/// A fleet with one node in every state the tools see.
fn mixed_fleet() -> FakeHost {
    let mut silent = FakeNode::clawnode("silent");
    silent = silent.fail("node.health", "UNAVAILABLE: TIMEOUT: node invoke timed out", FailureKind::Silent);
    let mut offline = FakeNode::clawnode("gone-dark");
    offline.entry.connected = false;
    let mut withheld = FakeNode::clawnode("legacy-withheld");
    withheld.entry.commands = vec!["workload.stop".to_owned()].into();
    let mut pending = FakeNode::clawnode("new-gpu");
    pending.entry.commands = Vec::new().into();
    pending.entry.pending_approval = true;
    pending.entry.caps = Rc::from(Vec::<String>::new()); // what a caller without operator.admin sees
    FakeHost::of(vec![
        FakeNode::clawnode("gpu-01").idle_gpus(),
        FakeNode::clawnode("hot").edit("gpu.metrics", |m| m["metrics"][1]["temperature_c"] = json!(93)),
        FakeNode::clawnode("warm").idle_gpus().edit("gpu.metrics", |m| m["metrics"][0]["temperature_c"] = json!(84)),
        silent,
        offline,
        withheld,
        pending,
    ])
}

#[test]
fn tool_snapshot_and_placement_agree_on_every_node() {
    let h = mixed_fleet();
    let p = plugin();
    let tool = status(&p, &h);
    let snap: Value =
        serde_json::from_str(&h.run(methods::call(&p, &h, "clawbernetes.health-check", &json!({}))).unwrap()).unwrap();
    let from_tool: Vec<(String, String)> =
        tool.node_details.iter().map(|d| (d.node_name.clone(), d.state.as_str().to_owned())).collect();
    let from_snapshot: Vec<(String, String)> = snap["status"]["nodeDetails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["nodeName"].as_str().unwrap().to_owned(), d["state"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        from_tool,
        [
            ("hot", "unhealthy"),
            ("silent", "unreachable"),
            ("legacy-withheld", "unusable"),
            ("new-gpu", "unusable"),
            ("gone-dark", "offline"),
            ("warm", "degraded"),
            ("gpu-01", "healthy"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    assert_eq!(from_snapshot, from_tool);
    let tracked: Vec<(String, String)> = snap["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["nodeName"].as_str().unwrap().to_owned(), n["state"].as_str().unwrap().to_owned()))
        .collect();
    let mut sorted = from_tool.clone();
    sorted.sort_by(|a, b| format!("id-{}", a.0).cmp(&format!("id-{}", b.0)));
    assert_eq!(tracked, sorted);
    let d = plan(&p, &h, json!({"image": "ubuntu", "gpus": 0, "dryRun": true}));
    let candidates: Vec<&str> = d.candidates.iter().map(|c| c.node_name.as_str()).collect();
    assert_eq!(candidates, ["gpu-01", "warm"], "only healthy and degraded nodes can take work");
    let rejected: Vec<(&str, &str)> =
        d.rejected.iter().map(|r| (r.node_name.as_str(), r.reasons[0].split(':').next().unwrap())).collect();
    // every node of the fleet is a candidate or rejected, in the state the tool gave it
    assert_eq!(
        rejected,
        [
            ("hot", "unhealthy"),
            ("silent", "unreachable"),
            ("gone-dark", "offline"),
            ("legacy-withheld", "unusable"),
            ("new-gpu", "unusable")
        ]
    );
    assert_eq!(
        d.rejected[3].reasons,
        ["unusable: the gateway withholds node.health, node.capabilities, gpu.list, gpu.metrics, workload.list: add \
          them to gateway.nodes.commands.allow, then reconnect the node and approve it"]
    );
}

#[test]
fn connected_nodes_the_gateway_withholds_are_named_with_the_fix() {
    let h = mixed_fleet();
    let out = h.run(fleet_status::run(&plugin(), &h, &json!({}))).unwrap();
    let why = |name: &str| out.details.node_details.iter().find(|d| d.node_name == name).unwrap().reason.clone();
    assert_eq!(
        why("legacy-withheld"),
        "the gateway withholds node.health, node.capabilities, gpu.list, gpu.metrics, workload.list: add them to \
         gateway.nodes.commands.allow, then reconnect the node and approve it"
    );
    assert_eq!(
        why("new-gpu"),
        "its commands wait for an operator's approval: openclaw nodes pending, then openclaw nodes approve <requestId>"
    );
    assert!(
        out.text.starts_with(
            "Fleet: 7 clawnodes — 1 healthy, 1 degraded, 1 unhealthy, 1 unreachable, 1 offline, 2 unusable.\n"
        ),
        "{}",
        out.text
    );
    assert!(
        out.text.contains(
            "- legacy-withheld [critical] the gateway withholds node.health, node.capabilities, gpu.list, gpu.metrics, \
             workload.list: add them to gateway.nodes.commands.allow, then reconnect the node and approve it\n"
        ),
        "{}",
        out.text
    );
    let policy = Config { node_policy: true, ..Config::default() };
    let with_policy = h.run(fleet_status::run(&Plugin::new(policy), &h, &json!({}))).unwrap().details;
    let reason = &with_policy.node_details.iter().find(|d| d.node_name == "legacy-withheld").unwrap().reason;
    assert_eq!(
        reason,
        "a protocol-3 node (platform \"linux x86_64\"): the gateway withholds from it every command a node invoke \
         policy names, and nodePolicy: true registers one (missing node.health, node.capabilities, gpu.list, \
         gpu.metrics, workload.list); set nodePolicy to false and list the commands in gateway.nodes.commands.allow"
    );
}

#[test]
fn no_clawnode_is_connected_only_when_none_is() {
    let none = FakeHost::of(vec![]);
    assert_eq!(
        none.run(fleet_status::run(&plugin(), &none, &json!({}))).unwrap().text,
        "No clawnode is connected to the gateway."
    );
    let mut withheld = FakeNode::clawnode("gpu-01");
    withheld.entry.commands = vec!["workload.stop".to_owned()].into();
    let h = FakeHost::of(vec![withheld]);
    let out = h.run(fleet_status::run(&plugin(), &h, &json!({}))).unwrap();
    assert!(
        out.text.starts_with("Fleet: 1 clawnode — 0 healthy, 0 degraded, 0 unhealthy, 1 unusable."),
        "{}",
        out.text
    );
    let err = h.run(tools::call(&plugin(), &h, "claw_deploy", &json!({"image": "ubuntu"}))).unwrap_err();
    assert_eq!(err.code(), "UNAVAILABLE");
    assert!(
        err.to_string().starts_with(
            "claw_deploy: 1 clawnode(s) are connected but none can be used: gpu-01: the gateway withholds"
        ),
        "{err}"
    );
}

#[test]
fn host_backpressure_is_retried_not_counted_as_node_failure() {
    let nodes: Vec<FakeNode> = (0..60).map(|i| FakeNode::clawnode(&format!("n{i:02}"))).collect();
    let mut h = FakeHost::of(nodes);
    h.capacity = Some(8);
    let p = plugin();
    let s = status(&p, &h);
    assert_eq!(s.nodes.healthy, 60);
    assert_eq!(s.failed_nodes, vec![]);
    assert_eq!(s.gpus.total, 120);
    assert!(s.fanout.overloaded > 0 && s.fanout.retries >= s.fanout.overloaded, "{:?}", s.fanout);
    assert!(s.fanout.peak_in_flight <= 9, "{:?}", s.fanout);
    assert!(p.limiter.limit() < 32, "the bound was cut: {}", p.limiter.limit());
}

#[test]
fn concurrent_calls_share_one_bound_on_invokes_in_flight() {
    let nodes: Vec<FakeNode> = (0..200).map(|i| FakeNode::clawnode(&format!("n{i:03}"))).collect();
    let mut h = FakeHost::of(nodes);
    h.capacity = Some(10_000);
    let p = Plugin::new(Config { max_concurrency: 40, ..Config::default() });
    let none = json!({});
    let both = futures_util::future::join(fleet_status::run(&p, &h, &none), gpu_inventory::run(&p, &h, &none));
    let (status, inventory) = h.run(both);
    assert_eq!((status.unwrap().details.nodes.healthy, inventory.unwrap().details.total), (200, 400));
    assert_eq!(h.peak.get(), 40, "the two calls together never exceed maxConcurrency");
    assert_eq!(p.limiter.admitted(), 0, "every slot is given back");
}

#[test]
fn static_facts_are_cached_so_warm_calls_ask_only_what_changes() {
    let h = FakeHost::of(vec![FakeNode::clawnode("gpu-01")]);
    let p = plugin();
    status(&p, &h);
    assert_eq!(
        commands_sent(&h),
        [
            "gpu-01:node.capabilities",
            "gpu-01:gpu.list",
            "gpu-01:node.health",
            "gpu-01:workload.list",
            "gpu-01:gpu.metrics"
        ]
    );
    status(&p, &h);
    assert_eq!(commands_sent(&h), ["gpu-01:node.health", "gpu-01:workload.list", "gpu-01:gpu.metrics"]);
    h.run(gpu_inventory::run(&p, &h, &json!({}))).unwrap();
    assert_eq!(commands_sent(&h), ["gpu-01:gpu.metrics"]);
}

/// Nodes that each fail one filter of the request below, and one that passes.
fn filter_fleet() -> FakeHost {
    let big_mem = |n: FakeNode| {
        n.idle_gpus().edit("node.health", |v| {
            v["memory"]["total_mb"] = json!(515000);
            v["memory"]["available_mb"] = json!(400000);
            v["cpu_count"] = json!(64);
        })
    };
    let cpus = |n: FakeNode, c: u32| {
        n.edit("node.capabilities", move |v| v["cpu_count"] = json!(c))
            .edit("node.health", move |v| v["cpu_count"] = json!(c))
    };
    FakeHost::of(vec![
        cpus(big_mem(FakeNode::clawnode("fits")), 64),
        cpus(big_mem(FakeNode::clawnode("few-gpus")), 64)
            .edit("gpu.metrics", |m| m["metrics"][1]["memory_used_mb"] = json!(60000)),
        cpus(FakeNode::clawnode("small-mem").idle_gpus(), 64),
        cpus(big_mem(FakeNode::clawnode("few-cpus")), 8).edit("node.health", |v| v["cpu_count"] = json!(8)),
        cpus(big_mem(FakeNode::clawnode("full-disk")), 64)
            .edit("node.health", |v| v["disks"][0]["available_bytes"] = json!(5_000_000_000u64)),
        cpus(big_mem(FakeNode::clawnode("a100")), 64)
            .edit("gpu.list", |g| g["gpus"][1]["name"] = json!("NVIDIA A100-SXM4-40GB"))
            .edit("node.capabilities", |g| g["gpus"][1]["name"] = json!("NVIDIA A100-SXM4-40GB")),
        cpus(big_mem(FakeNode::clawnode("small-vram")), 64)
            .edit("gpu.list", |g| g["gpus"][1]["memory_total_mb"] = json!(40000))
            .edit("node.capabilities", |g| g["gpus"][1]["memory_mb"] = json!(40000)),
    ])
}

#[test]
fn every_requested_resource_is_a_filter_with_its_reason() {
    let h = filter_fleet();
    let d = plan(
        &plugin(),
        &h,
        json!({"image": "pytorch/pytorch:2.0", "gpus": 2, "memory": "64g", "cpu": 16, "gpuModel": "H100", "minVramMb": 80000, "dryRun": true}),
    );
    let c: Vec<(&str, Vec<u32>)> = d.candidates.iter().map(|c| (c.node_name.as_str(), c.gpus.clone())).collect();
    assert_eq!(c, [("fits", vec![0, 1])]);
    let r: Vec<(&str, Vec<String>)> = d.rejected.iter().map(|r| (r.node_name.as_str(), r.reasons.clone())).collect();
    assert_eq!(
        r,
        [
            ("a100", vec!["GPU 1 is NVIDIA A100-SXM4-40GB, not H100".to_owned()]),
            ("few-cpus", vec!["too few CPUs: needs 16, the node has 8".to_owned()]),
            ("few-gpus", vec!["GPUs 0..1 must all be free: GPU 1 busy (60000 MB used, 0% util)".to_owned()]),
            ("full-disk", vec!["not enough disk: 5.0 GB free on / (holds /var/lib/docker), needs 10 GB".to_owned()]),
            (
                "small-mem",
                vec!["not enough memory: needs 72090 MB (65536 MB + 10% headroom), 22789 MB available".to_owned()]
            ),
            ("small-vram", vec!["GPU 1 has 40000 MB VRAM, needs 80000 MB".to_owned()]),
        ]
    );
    assert_eq!(d.gpus, vec![0, 1]);
    assert!(!d.placed);
}

#[test]
fn podman_binds_every_gpu_and_other_runtimes_none() {
    let podman = FakeNode::clawnode("podman-node")
        .idle_gpus()
        .edit("node.capabilities", |v| v["container_runtime"] = json!("podman"))
        .edit("gpu.metrics", |m| m["metrics"][1]["memory_used_mb"] = json!(30000));
    let path = FakeNode::clawnode("path-runtime")
        .idle_gpus()
        .edit("node.capabilities", |v| v["container_runtime"] = json!("/usr/bin/docker"));
    let h = FakeHost::of(vec![podman, path]);
    let d = plan(&plugin(), &h, json!({"image": "ubuntu", "gpus": 1, "dryRun": true}));
    let r: Vec<(&str, Vec<String>)> = d.rejected.iter().map(|r| (r.node_name.as_str(), r.reasons.clone())).collect();
    assert_eq!(
        r,
        [
            ("path-runtime", vec!["its container runtime \"/usr/bin/docker\" gets no GPU from clawnode (it passes GPUs to docker and podman only)".to_owned()]),
            ("podman-node", vec!["podman binds every GPU of the node (--device nvidia.com/gpu=all), so all must be free: GPU 1 busy (30000 MB used, 0% util)".to_owned()]),
        ]
    );
}

#[test]
fn prefer_node_never_guesses_between_nodes_sharing_a_name() {
    let h = FakeHost::of(vec![
        FakeNode::clawnode("ubuntu#a").shown_as("ubuntu"),
        FakeNode::clawnode("ubuntu#b").shown_as("ubuntu"),
    ]);
    let err = h
        .run(tools::call(
            &plugin(),
            &h,
            "claw_deploy",
            &json!({"image": "ubuntu", "preferNode": "ubuntu", "dryRun": true}),
        ))
        .unwrap_err();
    assert_eq!(err.code(), "INVALID_REQUEST");
    assert_eq!(
        err.to_string(),
        "claw_deploy: preferNode \"ubuntu\" is the display name of 2 nodes; name one by its id: \"id-ubuntu#a\", \"id-ubuntu#b\""
    );
    let d = plan(&plugin(), &h, json!({"image": "ubuntu", "gpus": 0, "preferNode": "id-ubuntu#b", "dryRun": true}));
    assert_eq!((d.candidates[0].node_id.as_str(), d.candidates[0].preferred), ("id-ubuntu#b", true));
}

#[test]
fn the_argument_check_refuses_what_docker_refuses_and_its_fixes_are_literal() {
    let h = FakeHost::of(vec![]);
    let refused = |args: Value| h.run(tools::call(&plugin(), &h, "claw_deploy", &args)).unwrap_err().to_string();
    let cases = [
        (json!({"image": "ubuntu", "command": "[\"python\", \"train.py\"]"}),
         "claw_deploy: command must be an array of strings, not JSON text: pass the array itself, [\"python\",\"train.py\"]"),
        (json!({"image": "ubuntu", "command": "python train.py"}),
         "claw_deploy: command must be an array of strings, one per argument (the node runs it without a shell), e.g. [\"python\",\"train.py\"], got a string"),
        (json!({"image": "ubuntu", "env": ["HF_TOKEN"]}),
         "claw_deploy: env item \"HF_TOKEN\" has no '=': Docker would copy HF_TOKEN's value from the node agent's own environment; give it its value after an equals sign"),
        (json!({"image": "ubuntu", "env": {"": "x"}}),
         "claw_deploy: env name \"\" must be non-empty and hold no '=' (Docker's rule)"),
        (json!({"image": "ubuntu", "env": {"A=B": "x"}}),
         "claw_deploy: env name \"A=B\" must be non-empty and hold no '=' (Docker's rule)"),
        (json!({"image": "ubuntu", "name": "a"}),
         "claw_deploy: name \"a\" is not a valid container name: Docker allows [a-zA-Z0-9][a-zA-Z0-9_.-]+ (two or more characters, starting with a letter or digit)"),
        (json!({"image": "ubuntu", "memory": "8x"}),
         "claw_deploy: memory \"8x\" is not a size Docker reads (unknown unit \"x\"): write a number, optionally one space, then b, k, m, g, t or p in any case, optionally followed by b or ib, e.g. \"8g\", \"8GB\", \"512m\", \"16GiB\", \"1.5g\""),
        (json!({"image": "ubuntu", "memory": "4m"}), "claw_deploy: memory \"4m\" is below Docker's minimum of 6m (0 means no limit)"),
        (json!({"image": "ubuntu", "memory": "16Gi"}), "claw_deploy: memory \"16Gi\" is not a size Docker reads (unknown unit \"gi\"): write a number, optionally one space, then b, k, m, g, t or p in any case, optionally followed by b or ib, e.g. \"8g\", \"8GB\", \"512m\", \"16GiB\", \"1.5g\""),
        (json!({"image": "ubuntu", "cpu": 0.001}), "claw_deploy: cpu must be a number from 0.01 to 1024, got 0.001"),
        (json!({"image": "Ubuntu"}),
         "claw_deploy: image \"Ubuntu\" is not a valid image reference: path components are lowercase letters, digits and '.', '_', '-' inside"),
        (json!({"image": "ubuntu", "volumes": ["/var/run/docker.sock:/d.sock"]}),
         "claw_deploy: volume \"/var/run/docker.sock:/d.sock\" would give the container the host's root or its container engine"),
        (json!({"image": "ubuntu", "gpus": 17}), "claw_deploy: gpus must be a whole number from 0 to 16, got 17"),
        (json!({"image": "ubuntu", "bogus": 1}),
         "claw_deploy: unknown argument \"bogus\"; accepted: image, gpus, memory, cpu, env, command, name, volumes, shmSize, gpuModel, minVramMb, preferNode, strategy, dryRun"),
        (json!({"gpus": 1}), "claw_deploy: image is required"),
    ];
    for (args, expected) in cases {
        assert_eq!(refused(args.clone()), expected, "{args}");
    }
    let (_, run, _) = deploy::parse(&json!({
        "image": "nvcr.io/nvidia/pytorch:24.01-py3", "name": "a_b.c-1", "memory": ".5 GiB", "shmSize": "16GiB",
        "env": {"discovery.type": "single-node", "A B": "x y"}, "cpu": 0.5, "command": ["python", "-c", "print(1)"],
        "volumes": ["/data:/data:ro"]
    }))
    .unwrap();
    assert_eq!(
        run,
        json!({"image": "nvcr.io/nvidia/pytorch:24.01-py3", "gpus": 1, "memory": "512m", "cpu": 0.5,
               "env": ["A B=x y", "discovery.type=single-node"], "command": ["python", "-c", "print(1)"],
               "name": "a_b.c-1", "volumes": ["/data:/data:ro"], "shmSize": "16g"})
    );
}

/// A node whose `workload.list` shows the container `workload.run` starts with `status`.
fn starting(status: &str) -> FakeHost {
    FakeHost::of(vec![FakeNode::clawnode("gpu-01").idle_gpus().answer(
        "workload.list",
        json!({"count": 1, "runtime": "cli", "workloads": [{"containerId": "3f2a9c1d7e4b", "image": "pytorch/pytorch:2.0", "name": "train-1", "status": status}]}),
    )])
}

#[test]
fn a_deploy_is_done_only_when_its_container_runs() {
    let run = |status: &str| {
        let h = starting(status);
        let p = plugin();
        let out = h.run(deploy::run(&p, &h, &json!({"image": "pytorch/pytorch:2.0", "name": "train-1"}))).unwrap();
        let held = p.holds.borrow().holder("id-gpu-01", 0).is_some();
        (out, held, h)
    };
    let (ok, held, h) = run("Up 2 seconds");
    assert_eq!((ok.details.placed, ok.details.started, held), (true, Some(true), true));
    assert_eq!(
        ok.text.lines().next().unwrap(),
        "Deployed pytorch/pytorch:2.0 on gpu-01 (GPU 0), container 3f2a9c1d7e4b5a6c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c: running (Up 2 seconds)."
    );
    assert_eq!(h.progress.borrow().as_slice(), ["waiting for 3f2a9c1d7e4b on gpu-01: Up 2 seconds (1 s)"]);

    let (failed, held, _) = run("Exited (1) 1 second ago");
    let c = failed.details.confirmation.clone().unwrap();
    assert_eq!((failed.details.placed, failed.details.started, held), (true, Some(false), false));
    assert_eq!((c.outcome, c.exit_code), (deploy::Outcome::Exited, Some(1)));
    assert_eq!(c.logs, ["line one", "line two", "warn: something"]);
    assert_eq!(
        failed.text.lines().next().unwrap(),
        "Deploy failed: pytorch/pytorch:2.0 on gpu-01 (GPU 0), container 3f2a9c1d7e4b5a6c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c: it exited at once with code 1 (Exited (1) 1 second ago); last log line: warn: something."
    );

    let (looping, held, _) = run("Restarting (2) 1 second ago");
    // a restarting container still binds its GPUs: the hold stays until it is gone or exited
    assert_eq!((looping.details.started, held), (Some(false), true));
    assert_eq!(looping.details.confirmation.unwrap().outcome, deploy::Outcome::Restarting);

    let (job, held, _) = run("Exited (0) 1 second ago");
    assert_eq!(
        (job.details.started, held, job.details.confirmation.clone().unwrap().outcome),
        (Some(true), false, deploy::Outcome::Completed)
    );
    assert!(
        job.text
            .lines()
            .next()
            .unwrap()
            .ends_with("it ran and exited with code 0 (Exited (0) 1 second ago): a one-shot job that finished."),
        "{}",
        job.text
    );

    let (sick, _, _) = run("Up 2 seconds (unhealthy)");
    assert_eq!(sick.details.started, Some(true));
    assert!(
        sick.text
            .lines()
            .next()
            .unwrap()
            .ends_with("running, but failing its health check (Up 2 seconds (unhealthy))."),
        "{}",
        sick.text
    );

    let (slow, held, _) = run("Created");
    let c = slow.details.confirmation.clone().unwrap();
    assert_eq!(
        (slow.details.started, held, c.outcome, c.status.as_str()),
        (None, true, deploy::Outcome::Starting, "Created")
    );
    assert!(
        slow.text.contains("still starting after 8 s (Created); check claw_workloads for it later."),
        "{}",
        slow.text
    );
}

#[test]
fn a_workload_run_that_gets_no_answer_is_not_tried_elsewhere() {
    let slow = |name: &str| {
        FakeNode::clawnode(name).idle_gpus().fail(
            "workload.run",
            "UNAVAILABLE: TIMEOUT: node invoke timed out",
            FailureKind::Silent,
        )
    };
    let h = FakeHost::of(vec![slow("gpu-01"), slow("gpu-02")]);
    let out = h.run(deploy::run(&plugin(), &h, &json!({"image": "ubuntu", "name": "slow-pull"}))).unwrap();
    let runs: Vec<String> = h.take_calls().into_iter().filter(|c| c.1 == "workload.run").map(|c| c.0).collect();
    assert_eq!(runs, ["gpu-01"], "gpu-01 may still start it: a second start elsewhere would run it twice");
    assert_eq!((out.details.placed, out.details.unanswered_node.as_deref()), (false, Some("gpu-01")));
    assert_eq!(
        out.text.lines().next().unwrap(),
        "Not known whether ubuntu started: gpu-01 did not answer workload.run (workload.run: UNAVAILABLE: TIMEOUT: node \
         invoke timed out). No other node was tried, since gpu-01 may still start it (docker run pulls the image first): \
         look with claw_workloads before deploying again."
    );
}

#[test]
fn a_prefer_node_that_cannot_host_is_named_and_credentials_are_not_echoed() {
    let h = FakeHost::of(vec![FakeNode::clawnode("busy"), FakeNode::clawnode("free").idle_gpus()]);
    let out = h
        .run(deploy::run(
            &plugin(),
            &h,
            &json!({"image": "postgres:16", "preferNode": "busy", "env": {"POSTGRES_PASSWORD": "hunter2", "PGDATA": "/d", "DATABASE_URL": "postgres://app:hunter2@db:5432/prod"}, "command": ["migrate", "--db=mysql://root:hunter2@db/x"], "dryRun": true}),
        ))
        .unwrap();
    assert_eq!(
        out.details.prefer_node_rejected,
        Some(vec!["GPU 0 must be free: GPU 0 busy (61234 MB used, 87% util)".to_owned()])
    );
    assert!(
        out.text.contains("\npreferNode cannot host it: GPU 0 must be free: GPU 0 busy (61234 MB used, 87% util)\n"),
        "{}",
        out.text
    );
    assert_eq!(
        out.details.run_params["env"],
        json!(["DATABASE_URL=postgres://app:[redacted]@db:5432/prod", "PGDATA=/d", "POSTGRES_PASSWORD=[redacted]"])
    );
    assert_eq!(out.details.run_params["command"], json!(["migrate", "--db=mysql://root:[redacted]@db/x"]));
    h.run(deploy::run(
        &plugin(),
        &h,
        &json!({"image": "postgres:16", "gpus": 0, "env": {"POSTGRES_PASSWORD": "hunter2"}}),
    ))
    .unwrap();
    let sent = h.take_calls().into_iter().find(|c| c.1 == "workload.run").unwrap().2;
    assert_eq!(sent["env"], json!(["POSTGRES_PASSWORD=hunter2"]), "the node gets the real value");
}

#[test]
fn a_placement_nobody_can_host_is_an_answer() {
    let h = FakeHost::of(vec![FakeNode::clawnode("gpu-01")]);
    let out = h.run(deploy::run(&plugin(), &h, &json!({"image": "ubuntu", "gpus": 4}))).unwrap();
    assert!(!out.details.placed);
    assert_eq!(out.details.rejected[0].reasons, ["has 2 GPUs, needs 4"]);
    assert_eq!(
        out.text.lines().next().unwrap(),
        "Not placed: no node can host ubuntu (1 clawnode(s) checked) — gpu-01: has 2 GPUs, needs 4"
    );
}

#[test]
fn the_container_record_survives_a_restart_through_the_store() {
    let h = starting("Up 1 second");
    let p = plugin();
    h.run(deploy::run(&p, &h, &json!({"image": "pytorch/pytorch:2.0", "name": "train-1"}))).unwrap();
    let fresh = plugin();
    let d = plan(&fresh, &h, json!({"image": "ubuntu", "gpus": 1, "dryRun": true}));
    assert_eq!(d.rejected[0].reasons, ["GPU 0 must be free: GPU 0 is held by train-1 since the plugin started it"]);
    let inv = h.run(gpu_inventory::run(&fresh, &h, &json!({}))).unwrap().details;
    let held = inv.nodes[0].gpus[0].held_by.clone().unwrap();
    assert_eq!((held.name.as_str(), held.container_id.len()), ("train-1", 64));
    // the deploy says which container holds the GPU, as the inventory does
    let deploy_held: Vec<(u32, &clawbernetes::holds::HeldBy)> =
        d.rejected[0].held.iter().map(|g| (g.index, &g.held_by)).collect();
    assert_eq!(deploy_held, [(0, &held)]);
}

#[test]
fn the_monitor_tells_the_agent_once_per_change_and_keeps_its_history() {
    let hot = |t: u32| {
        FakeNode::clawnode("gpu-01")
            .idle_gpus()
            .edit("gpu.metrics", move |m| m["metrics"][1]["temperature_c"] = json!(t))
    };
    let mut h = FakeHost::of(vec![hot(40)]);
    let p = plugin();
    h.run(watch::tick(&p, &h));
    assert_eq!(h.events.borrow().len(), 0, "a healthy first sight is not news");
    h.answers.clear();
    let h2 = FakeHost::of(vec![hot(95)]);
    h.answers = h2.answers;
    let t = h.run(watch::tick(&p, &h));
    assert_eq!((t[0].from, t[0].to), (Some(State::Healthy), State::Unhealthy));
    assert_eq!(
        h.events.borrow().as_slice(),
        ["clawbernetes health monitor: 1 node changed state.\n- gpu-01: healthy → unhealthy (GPU 1 at 95 °C (critical at 90 °C))"]
    );
    h.run(watch::tick(&p, &h));
    assert_eq!(h.events.borrow().len(), 1, "no news, no event");
    let snapshot: Value = serde_json::from_str(&methods::snapshot(&p).unwrap()).unwrap();
    assert_eq!(snapshot["transitions"].as_array().unwrap().len(), 2);
    let restarted = plugin();
    let again: Value =
        serde_json::from_str(&h.run(methods::call(&restarted, &h, "clawbernetes.fleet-status", &json!({}))).unwrap())
            .unwrap();
    let marks: Vec<(Value, Value)> = again["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["to"].clone(), t["beforeRestart"].clone()))
        .collect();
    assert_eq!(marks, [(json!("healthy"), json!(true)), (json!("unhealthy"), json!(true))]);
    assert!(again["restoredAt"].is_number());
}

#[test]
fn a_silent_node_turns_offline_after_the_configured_failures() {
    let silent = FakeNode::clawnode("gpu-01").fail(
        "node.health",
        "UNAVAILABLE: TIMEOUT: node invoke timed out",
        FailureKind::Silent,
    );
    let h = FakeHost::of(vec![silent]);
    let mut cfg = Config::default();
    cfg.thresholds.failures_to_offline = 3;
    let p = Plugin::new(cfg);
    let states: Vec<State> = (0..4).flat_map(|_| h.run(watch::tick(&p, &h))).map(|t| t.to).collect();
    assert_eq!(states, [State::Unreachable, State::Offline]);
    // the tool reads the monitor's memory: the node that has not answered 4 checks, and now a 5th, is offline there too
    let tool = status(&p, &h);
    assert_eq!(
        (tool.node_details[0].state, tool.node_details[0].reason.as_str()),
        (
            State::Offline,
            "5 checks failed in a row: no answer: node.health: UNAVAILABLE: TIMEOUT: node invoke timed out"
        )
    );
}

#[test]
fn the_snapshot_is_never_staler_than_the_fleet() {
    let mut h = FakeHost::of(vec![FakeNode::clawnode("gpu-01")]);
    let p = plugin();
    let count = |v: &Value| v["status"]["nodes"]["total"].clone();
    let first: Value =
        serde_json::from_str(&h.run(methods::call(&p, &h, "clawbernetes.fleet-status", &json!({}))).unwrap()).unwrap();
    assert_eq!(count(&first), json!(1));
    h.nodes.push(common::node("gpu-02"));
    let second: Value =
        serde_json::from_str(&h.run(methods::call(&p, &h, "clawbernetes.fleet-status", &json!({}))).unwrap()).unwrap();
    assert_eq!((count(&second), second["monitor"]["ticks"].clone()), (json!(2), json!(2)));
    let third: Value =
        serde_json::from_str(&h.run(methods::call(&p, &h, "clawbernetes.fleet-status", &json!({}))).unwrap()).unwrap();
    assert_eq!(third["monitor"]["ticks"], json!(2), "nothing changed: the snapshot is served as is");
}

#[test]
fn a_node_approved_after_a_tick_is_checked_again_at_once() {
    // the first tick can run while the fleet waits for approval: the ids stay the same when an
    // operator approves, so only how the nodes are listed says the snapshot is stale
    let mut h = FakeHost::of(vec![FakeNode::clawnode("gpu-01")]);
    h.nodes[0].commands = Vec::new().into();
    h.nodes[0].pending_approval = true;
    let p = plugin();
    let snapshot = |h: &FakeHost| -> Value {
        serde_json::from_str(&h.run(methods::call(&p, h, "clawbernetes.fleet-status", &json!({}))).unwrap()).unwrap()
    };
    let first = snapshot(&h);
    assert_eq!((first["nodes"][0]["state"].clone(), first["monitor"]["ticks"].clone()), (json!("unusable"), json!(1)));
    // approved, but the gateway still withholds what the plugin reads: unusable for another reason
    h.nodes[0].pending_approval = false;
    h.nodes[0].commands = vec!["workload.stop".to_owned()].into();
    let withheld = snapshot(&h);
    assert_eq!(withheld["monitor"]["ticks"], json!(2));
    assert_eq!(
        withheld["nodes"][0]["reason"],
        json!(
            "the gateway withholds node.health, node.capabilities, gpu.list, gpu.metrics, workload.list: add them to \
             gateway.nodes.commands.allow, then reconnect the node and approve it"
        )
    );
    h.nodes[0] = common::node("gpu-01");
    let second = snapshot(&h);
    assert_eq!((second["nodes"][0]["state"].clone(), second["monitor"]["ticks"].clone()), (json!("healthy"), json!(3)));
    h.nodes[0].connected = false;
    let third = snapshot(&h);
    assert_eq!((third["nodes"][0]["state"].clone(), third["monitor"]["ticks"].clone()), (json!("offline"), json!(4)));
    h.nodes[0].connected = true;
    let fourth = snapshot(&h);
    assert_eq!((fourth["nodes"][0]["state"].clone(), fourth["monitor"]["ticks"].clone()), (json!("healthy"), json!(5)));
    assert_eq!(snapshot(&h)["monitor"]["ticks"], json!(5), "nothing changed: the snapshot is served as is");
}

#[test]
fn method_errors_carry_the_gateway_codes() {
    let h = FakeHost::of(vec![FakeNode::clawnode("gpu-01")]);
    let p = plugin();
    let bad = h.run(methods::call(&p, &h, "clawbernetes.workloads", &json!({"state": "sleeping"}))).unwrap_err();
    assert_eq!(bad.code(), "INVALID_REQUEST");
    assert_eq!(
        bad.to_string(),
        "clawbernetes.workloads: state must be one of \"running\", \"exited\", \"created\", \"restarting\", \"paused\", \"removing\", \"dead\", \"unknown\", got \"sleeping\""
    );
    let none = FakeHost::of(vec![]);
    let err = none.run(multi_invoke::run(&p, &none, &json!({"command": "gpu.list"}))).unwrap_err();
    assert_eq!(err, Error::Unavailable("no clawnode is connected to the gateway".into()));
}

#[test]
fn other_kinds_of_node_are_not_clawnodes() {
    let phone = NodeEntry {
        commands: vec!["camera.snap".to_owned()].into(),
        client_id: "ios".into(),
        caps: Rc::from(vec!["camera".to_owned()]),
        ..common::node("phone")
    };
    let h = FakeHost::new(vec![phone, common::node("gpu-01")]);
    assert_eq!(status(&plugin(), &h).nodes.total, 1);
}

#[test]
fn two_deploys_at_once_never_get_the_same_gpu() {
    // Every invoke yields once (a host with a bound), so the two calls interleave: the second
    // plans while the first one's workload.run is under way.
    let mut h = FakeHost::of(vec![FakeNode::clawnode("gpu-01").idle_gpus(), FakeNode::clawnode("gpu-02").idle_gpus()]);
    h.capacity = Some(1000);
    let mut cfg = Config::default();
    cfg.deploy.confirm_ms = 0;
    let p = Plugin::new(cfg);
    let a = json!({"image": "pytorch/pytorch:2.0", "gpus": 1, "name": "job-a"});
    let b = json!({"image": "pytorch/pytorch:2.0", "gpus": 1, "name": "job-b"});
    let (a, b) = h.run(futures_util::future::join(deploy::run(&p, &h, &a), deploy::run(&p, &h, &b)));
    let (a, b) = (a.unwrap().details, b.unwrap().details);
    let mut placed = vec![(a.node_name.unwrap(), a.gpus), (b.node_name.unwrap(), b.gpus)];
    placed.sort();
    // docker binds GPUs 0..n-1: GPU 0 of the first node is reserved, so the second goes elsewhere
    assert_eq!(placed, [("gpu-01".to_owned(), vec![0]), ("gpu-02".to_owned(), vec![0])]);
    let holds = p.holds.borrow();
    let names = (holds.holder("id-gpu-01", 0).map(|x| x.starting), holds.holder("id-gpu-02", 0).map(|x| x.starting));
    assert_eq!(names, (Some(false), Some(false)), "both reservations became container records");
}

#[test]
fn a_container_that_runs_then_dies_within_the_window_is_a_failed_deploy() {
    let h = FakeHost::of(vec![FakeNode::clawnode("gpu-01").idle_gpus()]);
    let list = |status: &str| {
        Ok(
            json!({"count": 1, "runtime": "cli", "workloads": [{"containerId": "3f2a9c1d7e4b", "image": "pytorch/pytorch:2.0", "name": "train-1", "status": status}]}),
        )
    };
    let empty = Ok(json!({"count": 0, "runtime": "cli", "workloads": []}));
    // the check before placing, then the watch's polls: up for two seconds, then killed
    h.script(
        "id-gpu-01",
        "workload.list",
        vec![empty, list("Up 1 second"), list("Up 2 seconds"), list("Exited (137) 1 second ago")],
    );
    let p = plugin();
    let out = h.run(deploy::run(&p, &h, &json!({"image": "pytorch/pytorch:2.0", "name": "train-1"}))).unwrap();
    let c = out.details.confirmation.clone().unwrap();
    assert_eq!(
        (out.details.placed, out.details.started, c.outcome, c.ran),
        (true, Some(false), deploy::Outcome::Exited, true)
    );
    assert_eq!(
        out.text.lines().next().unwrap(),
        "Deploy failed: pytorch/pytorch:2.0 on gpu-01 (GPU 0), container 3f2a9c1d7e4b5a6c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c: it ran, then exited within the confirmation window with code 137 (Exited (137) 1 second ago); last log line: warn: something."
    );
    assert_eq!(p.holds.borrow().holder("id-gpu-01", 0), None, "the GPU is given back");
    assert_eq!(
        h.progress.borrow().as_slice(),
        [
            "waiting for 3f2a9c1d7e4b on gpu-01: Up 1 second (1 s)",
            "waiting for 3f2a9c1d7e4b on gpu-01: Exited (137) 1 second ago (3 s)"
        ],
        "progress when the state changes, not at every poll"
    );
}

#[test]
fn a_watch_that_cannot_read_the_node_says_so_instead_of_still_starting() {
    let h = FakeHost::of(vec![FakeNode::clawnode("gpu-01").idle_gpus()]);
    let broken =
        || Err(clawbernetes::io::host::Failure::node("COMMAND_ERROR: docker ps: Cannot connect to the Docker daemon"));
    let empty = Ok(json!({"count": 0, "runtime": "cli", "workloads": []}));
    h.script("id-gpu-01", "workload.list", std::iter::once(empty).chain((0..20).map(|_| broken())).collect());
    let p = plugin();
    let out = h.run(deploy::run(&p, &h, &json!({"image": "pytorch/pytorch:2.0", "name": "train-1"}))).unwrap();
    let c = out.details.confirmation.clone().unwrap();
    assert_eq!((out.details.started, c.outcome), (None, deploy::Outcome::Starting));
    assert_eq!(
        c.list_error.as_deref(),
        Some("workload.list: COMMAND_ERROR: docker ps: Cannot connect to the Docker daemon")
    );
    assert!(
        out.text.lines().next().unwrap().ends_with(
            ": not confirmed after 8 s: the node's workload.list could not be read (workload.list: \
             COMMAND_ERROR: docker ps: Cannot connect to the Docker daemon); check claw_workloads for it later."
        ),
        "{}",
        out.text
    );
}

#[test]
fn read_only_plans_on_nodes_the_gateway_does_not_let_workload_run_through_to() {
    // the README's allowlist with readOnly: true leaves workload.run out
    let mut n = FakeNode::clawnode("gpu-01").idle_gpus();
    let reads: Vec<String> = common::default_commands().into_iter().filter(|c| c != "workload.run").collect();
    n.entry.commands = reads.into();
    let h = FakeHost::of(vec![n]);
    let args = json!({"image": "pytorch/pytorch:2.0", "gpus": 1});
    let ro = Plugin::new(Config { read_only: true, ..Config::default() });
    let plan = h.run(deploy::run(&ro, &h, &args)).unwrap();
    assert_eq!(
        (plan.details.dry_run, plan.details.placed, plan.details.candidates.len(), plan.text.lines().next().unwrap()),
        (
            true,
            false,
            1,
            "Plan (read-only mode: planned, nothing run): gpu-01 would run pytorch/pytorch:2.0 (GPU 0, binpack)."
        )
    );
    // a plugin that would run it says why it cannot
    let rw =
        h.run(deploy::run(&plugin(), &h, &json!({"image": "pytorch/pytorch:2.0", "gpus": 1, "dryRun": true}))).unwrap();
    assert_eq!(rw.details.rejected[0].reasons, ["the gateway does not let workload.run through to it"]);
}

#[test]
fn a_withheld_clawnode_without_a_container_runtime_is_still_listed() {
    // clawnode sends the `container` cap only when it finds docker or podman
    let mut bare = FakeNode::clawnode("gpu-noruntime");
    bare.entry.commands = Vec::new().into();
    bare.entry.caps = ["system", "gpu", "nvidia"].map(String::from).to_vec().into();
    let mut cpu = FakeNode::clawnode("cpu-noruntime");
    cpu.entry.commands = Vec::new().into();
    cpu.entry.caps = vec!["system".to_owned()].into();
    // OpenClaw's own node host: same client id, platform "linux", no clawnode caps
    let mut other = FakeNode::clawnode("laptop");
    other.entry.commands = vec!["system.run".to_owned(), "system.which".to_owned()].into();
    other.entry.caps = Vec::new().into();
    other.entry.platform = "linux".to_owned();
    let h = FakeHost::of(vec![bare, cpu, other]);
    let out = h.run(fleet_status::run(&plugin(), &h, &json!({}))).unwrap();
    let states: Vec<(&str, &str)> =
        out.details.node_details.iter().map(|d| (d.node_name.as_str(), d.state.as_str())).collect();
    assert_eq!(states, [("cpu-noruntime", "unusable"), ("gpu-noruntime", "unusable")]);
    // the fleet-wide reads name them too, with the reason and the fix, instead of answering "0 on 0"
    let withheld =
        "the gateway withholds node.health, node.capabilities, gpu.list, gpu.metrics, workload.list: add them \
                    to gateway.nodes.commands.allow, then reconnect the node and approve it";
    let inv = h.run(gpu_inventory::run(&plugin(), &h, &json!({}))).unwrap();
    let failed: Vec<(&str, &str)> =
        inv.details.failed_nodes.iter().map(|f| (f.node_name.as_str(), f.error.as_str())).collect();
    assert_eq!(failed, [("cpu-noruntime", withheld), ("gpu-noruntime", withheld)]);
    assert!(
        inv.text.contains(&format!("Nodes whose reads failed (2):\n- cpu-noruntime: {withheld}\n")),
        "{}",
        inv.text
    );
    let w = h.run(tools::workloads::run(&plugin(), &h, &json!({}))).unwrap();
    assert_eq!(w.details.failed_nodes.len(), 2);
}

// A gateway under load can drop a node's answer (it refuses the node's `node.invoke.result`
// with "pairing changed"): the invoke then waits out its deadline though the node answered.

#[test]
fn a_read_whose_answer_was_dropped_is_asked_again_after_a_third_of_its_deadline() {
    let h = FakeHost::of(vec![FakeNode::clawnode("gpu-01"), FakeNode::clawnode("gpu-02")]);
    let p = plugin();
    h.run(gpu_inventory::run(&p, &h, &json!({}))).unwrap(); // facts cached: the next call sends gpu.metrics only
    h.take_calls();
    h.hang("id-gpu-02", "gpu.metrics", 1);
    let t0 = h.clock.get();
    let out = h.run(gpu_inventory::run(&p, &h, &json!({}))).unwrap().details;
    let waited = h.clock.get() - t0;
    assert_eq!((out.total, out.failed_nodes.len(), out.fanout.retries), (4, 0, 1));
    assert_eq!(commands_sent(&h), ["gpu-01:gpu.metrics", "gpu-02:gpu.metrics", "gpu-02:gpu.metrics"]);
    // a third of the default 30 s, plus the 1 s grace the core gives the host's own timeout
    assert!((11_000.0..11_600.0).contains(&waited), "waited {waited} ms");
}

#[test]
fn a_read_never_answered_fails_at_its_whole_deadline_after_two_asks() {
    let h = FakeHost::of(vec![FakeNode::clawnode("gpu-01"), FakeNode::clawnode("gpu-02")]);
    let p = plugin();
    h.run(gpu_inventory::run(&p, &h, &json!({}))).unwrap();
    h.take_calls();
    h.hang("id-gpu-02", "gpu.metrics", u32::MAX);
    let out = h.run(gpu_inventory::run(&p, &h, &json!({}))).unwrap().details;
    let failed: Vec<(&str, &str)> = out.failed_nodes.iter().map(|f| (f.node_name.as_str(), f.error.as_str())).collect();
    assert_eq!(failed, [("gpu-02", "gpu.metrics: no answer within 30000 ms (asked twice)")]);
    // its GPUs are still counted, from its last known inventory, as unknown
    assert_eq!((out.total, out.unknown, out.fanout.retries), (4, 2, 1));
}

#[test]
fn a_command_that_changes_a_node_is_never_asked_twice() {
    let h = FakeHost::of(vec![FakeNode::clawnode("gpu-01")]);
    h.hang("id-gpu-01", "node.label", 1);
    let args = json!({"command": "node.label", "params": {"key": "pool", "value": "a"}});
    let out = h.run(multi_invoke::run(&plugin(), &h, &args)).unwrap().details;
    assert_eq!(out.results[0].error.as_deref(), Some("node.label: no answer within 30000 ms"));
    assert_eq!(commands_sent(&h), ["gpu-01:node.label"]);
}

#[test]
fn claw_workloads_by_a_shared_display_name_lists_every_node_that_has_it() {
    let h = FakeHost::of(vec![
        FakeNode::clawnode("ubuntu#a").shown_as("ubuntu"),
        FakeNode::clawnode("ubuntu#b").shown_as("ubuntu"),
        FakeNode::clawnode("gpu-03"),
    ]);
    let out = h.run(tools::call(&plugin(), &h, "claw_workloads", &json!({"nodeId": "ubuntu"}))).unwrap();
    let d: Value = serde_json::from_str(out.details_json()).unwrap();
    let on: Vec<&str> = d["workloads"].as_array().unwrap().iter().map(|w| w["nodeId"].as_str().unwrap()).collect();
    assert_eq!(on, ["id-ubuntu#a", "id-ubuntu#b"]);
    assert_eq!(d["sharedNames"], json!([{"name": "ubuntu", "nodeIds": ["id-ubuntu#a", "id-ubuntu#b"]}]));
    assert!(
        out.text.contains(
            "\"ubuntu\" is the display name of 2 nodes, so all of them were listed (ids: id-ubuntu#a, id-ubuntu#b)."
        ),
        "{}",
        out.text
    );
    assert_eq!(commands_sent(&h), ["ubuntu:workload.list", "ubuntu:workload.list"]);
}

#[test]
fn the_fixture_node_gives_exactly_this_inventory_and_these_workloads() {
    use clawbernetes::fleet::inventory::{GpuEntry, Inventory, ModelAvailability, NodeGpus};
    use clawbernetes::fleet::workloads::{Counts, WorkloadEntry, Workloads};
    use clawbernetes::node::workload::State as Docker;
    let h = FakeHost::of(vec![FakeNode::clawnode("gpu-01")]);
    let inv = h.run(gpu_inventory::run(&plugin(), &h, &json!({}))).unwrap();
    let h100 = |index: u32, uuid: &str| GpuEntry {
        index,
        uuid: uuid.into(),
        model: "NVIDIA H100 80GB HBM3".into(),
        memory_total_mb: 81559.0,
        memory_used_mb: None,
        utilization_percent: None,
        temperature_c: None,
        power_draw_w: None,
        power_limit_w: None,
        state: GpuState::Free,
        available: true,
        held_by: None,
        why: None,
    };
    let expected = Inventory {
        total: 2,
        available: 1,
        busy: 1,
        held: 0,
        unknown: 0,
        by_model: vec![ModelAvailability { model: "NVIDIA H100 80GB HBM3".into(), total: 2, available: 1 }],
        nodes: vec![NodeGpus {
            node_id: "id-gpu-01".into(),
            node_name: "gpu-01".into(),
            gpus: vec![
                GpuEntry {
                    memory_used_mb: Some(61234.0),
                    utilization_percent: Some(87.0),
                    temperature_c: Some(71.0),
                    power_draw_w: Some(512.3400268554688),
                    power_limit_w: Some(700.0),
                    state: GpuState::Busy,
                    available: false,
                    why: Some("61234 MB used, 87% util".into()),
                    ..h100(0, "GPU-5c9a1e2b-3f4d-4e5f-8a9b-0c1d2e3f4a5b")
                },
                GpuEntry {
                    memory_used_mb: Some(1.0),
                    utilization_percent: Some(0.0),
                    temperature_c: Some(33.0),
                    ..h100(1, "GPU-6d0b2f3c-4a5e-5f6a-9b0c-1d2e3f4a5b6c")
                },
            ],
        }],
        failed_nodes: vec![],
        fanout: Stats { limit: 32, peak_in_flight: 1, retries: 0, overloaded: 0 },
        shared_names: vec![],
    };
    assert_eq!(inv.details, expected);
    assert_eq!(
        inv.text,
        "GPUs: 2 listed, 1 available, 1 busy, on 1 clawnode(s).\n\
         By model:\n\
         - NVIDIA H100 80GB HBM3: 1/2 available\n\
         GPUs (node #index model — state, used/total MB, util, temp):\n\
         - gpu-01 #0 NVIDIA H100 80GB HBM3 — busy, 61234/81559 MB, 87%, 71 °C\n\
         - gpu-01 #1 NVIDIA H100 80GB HBM3 — free, 1/81559 MB, 0%, 33 °C"
    );
    let wl = h.run(tools::workloads::run(&plugin(), &h, &json!({}))).unwrap();
    let expected = Workloads {
        workloads: vec![WorkloadEntry {
            node_id: "id-gpu-01".into(),
            node_name: "gpu-01".into(),
            container_id: "3f2a9c1d7e4b".into(),
            name: "train-1".into(),
            image: "pytorch/pytorch:2.0".into(),
            state: Docker::Running,
            health: None,
            exit_code: None,
            status: "Up 5 minutes".into(),
        }],
        counts: Counts { running: 1, ..Counts::default() },
        unhealthy: 0,
        total: 1,
        failed_nodes: vec![],
        fanout: Stats { limit: 32, peak_in_flight: 1, retries: 0, overloaded: 0 },
        shared_names: vec![],
    };
    assert_eq!(wl.details, expected);
    assert_eq!(
        wl.text,
        "Workloads: 1 container(s) on 1 clawnode(s): 1 running.\n\
         Containers (node: name [state] image, id), trouble first:\n\
         - gpu-01: train-1 [running] pytorch/pytorch:2.0, 3f2a9c1d7e4b"
    );
}

#[test]
fn a_read_the_gateway_lost_when_the_pairing_changed_is_asked_once_more() {
    let h = FakeHost::of(vec![FakeNode::clawnode("gpu-01")]);
    let lost = "UNAVAILABLE: node pairing changed while invocation was active";
    h.script("id-gpu-01", "node.health", vec![Err(clawbernetes::io::host::Failure::silent(lost))]);
    let s = status(&plugin(), &h);
    assert_eq!((s.nodes.healthy, s.failed_nodes.len(), s.fanout.retries), (1, 0, 1));
    // twice in a row: the node fails with the gateway's reason, after two asks
    h.script(
        "id-gpu-01",
        "node.health",
        vec![Err(clawbernetes::io::host::Failure::silent(lost)), Err(clawbernetes::io::host::Failure::silent(lost))],
    );
    let s = status(&plugin(), &h);
    assert_eq!(s.failed_nodes.iter().map(|f| f.error.as_str()).collect::<Vec<_>>(), [format!("node.health: {lost}")]);
    assert_eq!(s.fanout.retries, 1);
}

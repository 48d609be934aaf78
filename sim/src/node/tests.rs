//! Node behaviour: state transitions and fault injection.

use super::*;
use crate::spec::Fleet;
use serde_json::json;

/// A realistic start time (late 2026), so fleet-file ages do not saturate at the epoch.
const T0: u64 = 1_795_000_000_000;

fn node(name: &str) -> Node {
    node_at(name, 1_000_000)
}

fn node_at(name: &str, now: u64) -> Node {
    let fleet = Fleet::default_fleet().unwrap();
    let spec = fleet.nodes.into_iter().find(|n| n.name == name).unwrap();
    Node::new(spec, &crate::default_build_commands(), now, 1)
}

fn ok(r: Reply) -> Value {
    match r {
        Reply::Ok(v) => v,
        other => panic!("expected ok, got {other:?}"),
    }
}

#[test]
fn run_binds_gpus_from_zero_and_stop_frees_them() {
    let mut n = node("gpu-h100-a");
    assert!(n.busy_gpus().is_empty());
    let r = ok(n.handle("workload.run", json!({"image": "pytorch/pytorch:2.0", "name": "t1", "gpus": 3}), 2_000_000));
    assert_eq!(r["name"], json!("t1"));
    assert_eq!(r["runtime"], json!("cli"));
    assert_eq!(r["containerId"].as_str().unwrap().len(), 64);
    assert_eq!(n.busy_gpus().into_iter().collect::<Vec<_>>(), vec![0, 1, 2]);
    let m = ok(n.handle("gpu.metrics", json!({}), 2_000_000));
    let util: Vec<u64> = m["metrics"].as_array().unwrap().iter().map(|g| g["utilization_percent"].as_u64().unwrap()).collect();
    assert_eq!(util, vec![97, 94, 91, 0, 0, 0, 0, 0]);
    assert_eq!(m["metrics"][3]["memory_used_mb"], json!(1));
    assert_eq!(m["metrics"][3]["power_draw_w"], Value::Null);
    let list = ok(n.handle("workload.list", json!({}), 2_000_000 + 300_000));
    assert_eq!(list["workloads"][0]["status"], json!("Up 5 minutes"));
    assert_eq!(list["workloads"][0]["containerId"].as_str().unwrap().len(), 12);
    let stop = ok(n.handle("workload.stop", json!({"name": "t1"}), 2_400_000));
    assert_eq!(stop, json!({"stopped": "t1", "success": true, "runtime": "cli"}));
    assert!(n.busy_gpus().is_empty());
    let list = ok(n.handle("workload.list", json!({}), 2_400_000 + 7_200_000));
    assert_eq!(list["workloads"][0]["status"], json!("Exited (143) 2 hours ago"));
}

#[test]
fn a_second_run_binds_the_same_gpus_like_docker_does() {
    let mut n = node("gpu-h100-b");
    assert_eq!(n.busy_gpus().len(), 4);
    ok(n.handle("workload.run", json!({"image": "nginx:1.27", "gpus": 2}), 2_000_000));
    assert_eq!(n.busy_gpus().into_iter().collect::<Vec<_>>(), vec![0, 1, 2, 3]);
    assert_eq!(n.containers().len(), 4);
}

#[test]
fn initial_workloads_show_docker_status_text() {
    let mut n = node_at("gpu-h100-b", T0);
    let list = ok(n.handle("workload.list", json!({}), T0 + 60_000));
    let status: Vec<&str> = list["workloads"].as_array().unwrap().iter().map(|w| w["status"].as_str().unwrap()).collect();
    assert_eq!(status, vec!["Up 3 hours", "Exited (0) 2 hours ago", "Exited (137) 26 hours ago"]);
    let mut paused = node_at("gpu-l4-disk", T0);
    let list = ok(paused.handle("workload.list", json!({}), T0));
    assert_eq!(list["workloads"][0]["status"], json!("Up 5 hours (Paused)"));
    let mut created = node("cpu-batch");
    assert_eq!(ok(created.handle("workload.list", json!({}), 1_000_000))["workloads"][0]["status"], json!("Created"));
    let mut dead = node("gpu-rtx-flaky");
    assert_eq!(ok(dead.handle("workload.list", json!({}), 1_000_000))["workloads"][0]["status"], json!("Dead"));
}

#[test]
fn workload_logs_answer_and_tail() {
    let mut n = node("gpu-h100-a");
    ok(n.handle("workload.run", json!({"image": "pytorch/pytorch:2.0", "name": "t1", "command": ["python", "train.py"]}), 1_000_000));
    let logs = ok(n.handle("workload.logs", json!({"name": "t1", "tail": 2}), 1_000_000));
    assert_eq!(logs, json!({"logs": "step 4/5 ok\nstep 5/5 ok\n", "stderr": "", "container": "t1", "runtime": "cli"}));
    let missing = ok(n.handle("workload.logs", json!({"name": "nope"}), 1_000_000));
    assert_eq!(missing["stderr"], json!("Error response from daemon: No such container: nope\n"));
}

#[test]
fn serde_errors_are_verbatim() {
    let mut n = node("gpu-h100-a");
    let env_obj = n.handle("workload.run", json!({"image": "pytorch/pytorch:2.0", "env": {"EPOCHS": "3"}}), 1);
    assert_eq!(env_obj, Reply::Error("invalid type: map, expected a sequence".into()));
    assert_eq!(n.handle("workload.run", Value::Null, 1), Reply::Error("invalid type: null, expected struct WorkloadRunParams".into()));
    assert_eq!(n.handle("audit.query", Value::Null, 1), Reply::Error("invalid type: null, expected struct AuditQueryParams".into()));
    assert_eq!(n.handle("deploy.history", Value::Null, 1), Reply::Error("invalid type: null, expected struct DeployIdentifyParams".into()));
    assert_eq!(n.handle("workload.stop", json!({}), 1), Reply::Error("containerId or name required".into()));
    assert_eq!(n.handle("workload.run", json!({}), 1), Reply::Error("missing field `image`".into()));
    assert_eq!(n.handle("metrics.query", json!({}), 1), Reply::Error("unknown command: metrics.query".into()));
}

#[test]
fn docker_refusals_read_like_docker() {
    let mut n = node("gpu-h100-a");
    ok(n.handle("workload.run", json!({"image": "nginx:1.27", "name": "web"}), 1));
    let Reply::Error(conflict) = n.handle("workload.run", json!({"image": "nginx:1.27", "name": "web"}), 1) else { panic!() };
    assert!(conflict.starts_with("container run failed: docker: Error response from daemon: Conflict. The container name \"/web\" is already in use"), "{conflict}");
    let Reply::Error(too_many) = n.handle("workload.run", json!({"image": "nginx:1.27", "gpus": 9}), 1) else { panic!() };
    assert!(too_many.contains("nvidia-container-cli: device error: 8: unknown device"), "{too_many}");
    let Reply::Error(bad_mem) = n.handle("workload.run", json!({"image": "nginx:1.27", "memory": "8x"}), 1) else { panic!() };
    assert!(bad_mem.contains("invalid argument \"8x\" for \"-m, --memory\" flag"), "{bad_mem}");
    let Reply::Error(bad_image) = n.handle("workload.run", json!({"image": "Not Valid"}), 1) else { panic!() };
    assert!(bad_image.contains("invalid reference format"), "{bad_image}");
    let mut cpu = node("cpu-batch");
    let Reply::Error(no_gpu) = cpu.handle("workload.run", json!({"image": "nginx:1.27", "gpus": 1}), 1) else { panic!() };
    assert!(no_gpu.contains("could not select device driver \"\" with capabilities: [[gpu]]"), "{no_gpu}");
    assert_eq!(n.handle("workload.stop", json!({"containerId": "ffff"}), 1), Reply::Error("stop failed: Error response from daemon: No such container: ffff\n".into()));
}

#[test]
fn faults_shape_the_answers() {
    let mut noruntime = node("gpu-a10-noruntime");
    assert_eq!(noruntime.handle("workload.list", json!({}), 1), Reply::Error("No such file or directory (os error 2)".into()));
    let caps = ok(noruntime.handle("node.capabilities", json!({}), 1));
    assert_eq!(caps["capabilities"], json!(["system", "gpu", "nvidia"]));
    assert_eq!(ok(noruntime.handle("gpu.metrics", json!({}), 1))["metrics"][0]["power_limit_w"], Value::Null);

    let mut hot = node("gpu-a100-hot");
    let temps: Vec<u64> = ok(hot.handle("gpu.metrics", json!({}), 1))["metrics"].as_array().unwrap().iter().map(|g| g["temperature_c"].as_u64().unwrap()).collect();
    assert_eq!(temps, vec![72, 37, 93, 36]);

    let mut disk = node("gpu-l4-disk");
    let h = ok(disk.handle("node.health", json!({}), 1));
    let usage = h["disks"][0]["usage_percent"].as_f64().unwrap();
    assert!((usage - 97.3).abs() < 0.01, "{usage}");
    assert_eq!(h["status"], json!("healthy"));
    assert_eq!(h["connected"], json!(false));

    let mut cpu = node("cpu-batch");
    assert_eq!(ok(cpu.handle("gpu.list", json!({}), 1)), json!({"count": 0, "gpus": [], "total_memory_gb": 0}));
    assert_eq!(ok(cpu.handle("gpu.metrics", json!({}), 1)), json!({"count": 0, "metrics": []}));
    assert_eq!(ok(cpu.handle("node.health", json!({}), 1))["load_average"]["one"], json!(192.4));

    let mut flaky = node("gpu-rtx-flaky");
    assert_eq!(
        flaky.handle("gpu.metrics", json!({}), 1),
        Reply::Error("nvidia-smi failed: Failed to initialize NVML: Driver/library version mismatch".into())
    );
    let mut slow = node("gpu-h100-slow");
    let Reply::Malformed(text) = slow.handle("workload.list", json!({}), 1) else { panic!() };
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    assert!(text.starts_with('{'));
}

#[test]
fn totals_are_integer_floors() {
    let mut n = node("gpu-h100-a");
    let list = ok(n.handle("gpu.list", json!({}), 1));
    assert_eq!(list["total_memory_gb"], json!(637)); // 8 * 81559 / 1024 = 637.17
    let caps = ok(n.handle("node.capabilities", json!({}), 1));
    assert_eq!(caps["gpu_total_memory_gb"], json!(637));
    assert_eq!(caps["gpu_count"], json!(8));
    assert_eq!(caps["labels"], json!({"pool": "train", "zone": "us-west-1a"}));
}

#[test]
fn running_containers_use_node_memory() {
    let mut n = node("gpu-h100-a");
    let before = ok(n.handle("node.health", json!({}), 1))["memory"]["used_mb"].as_u64().unwrap();
    ok(n.handle("workload.run", json!({"image": "x:1", "memory": "8g"}), 1));
    let after = ok(n.handle("node.health", json!({}), 1))["memory"]["used_mb"].as_u64().unwrap();
    assert_eq!(after - before, 8192);
}

#[test]
fn gpu_ids_are_stable_per_node_name() {
    let a = ok(node("gpu-h100-a").handle("gpu.list", json!({}), 1));
    let b = ok(node("gpu-h100-a").handle("gpu.list", json!({}), 99));
    assert_eq!(a, b);
    assert_eq!(a["gpus"][1]["pci_bus_id"], json!("00000000:2A:00.0"));
}

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
    let util: Vec<u64> =
        m["metrics"].as_array().unwrap().iter().map(|g| g["utilization_percent"].as_u64().unwrap()).collect();
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
    let status: Vec<&str> =
        list["workloads"].as_array().unwrap().iter().map(|w| w["status"].as_str().unwrap()).collect();
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
    ok(n.handle(
        "workload.run",
        json!({"image": "pytorch/pytorch:2.0", "name": "t1", "command": ["python", "train.py"]}),
        1_000_000,
    ));
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
    assert_eq!(
        n.handle("workload.run", Value::Null, 1),
        Reply::Error("invalid type: null, expected struct WorkloadRunParams".into())
    );
    assert_eq!(
        n.handle("audit.query", Value::Null, 1),
        Reply::Error("invalid type: null, expected struct AuditQueryParams".into())
    );
    assert_eq!(
        n.handle("deploy.history", Value::Null, 1),
        Reply::Error("invalid type: null, expected struct DeployIdentifyParams".into())
    );
    assert_eq!(n.handle("workload.stop", json!({}), 1), Reply::Error("containerId or name required".into()));
    assert_eq!(n.handle("workload.run", json!({}), 1), Reply::Error("missing field `image`".into()));
    assert_eq!(n.handle("metrics.query", json!({}), 1), Reply::Error("unknown command: metrics.query".into()));
}

#[test]
fn docker_refusals_read_like_docker() {
    let mut n = node("gpu-h100-a");
    ok(n.handle("workload.run", json!({"image": "nginx:1.27", "name": "web"}), 1));
    let Reply::Error(conflict) = n.handle("workload.run", json!({"image": "nginx:1.27", "name": "web"}), 1) else {
        panic!()
    };
    assert!(conflict.starts_with("container run failed: docker: Error response from daemon: Conflict. The container name \"/web\" is already in use"), "{conflict}");
    let Reply::Error(too_many) = n.handle("workload.run", json!({"image": "nginx:1.27", "gpus": 9}), 1) else {
        panic!()
    };
    assert!(too_many.contains("nvidia-container-cli: device error: 8: unknown device"), "{too_many}");
    let Reply::Error(bad_mem) = n.handle("workload.run", json!({"image": "nginx:1.27", "memory": "8x"}), 1) else {
        panic!()
    };
    assert!(bad_mem.contains("invalid argument \"8x\" for \"-m, --memory\" flag"), "{bad_mem}");
    let Reply::Error(bad_image) = n.handle("workload.run", json!({"image": "Not Valid"}), 1) else { panic!() };
    assert!(bad_image.contains("invalid reference format"), "{bad_image}");
    let mut cpu = node("cpu-batch");
    let Reply::Error(no_gpu) = cpu.handle("workload.run", json!({"image": "nginx:1.27", "gpus": 1}), 1) else {
        panic!()
    };
    assert!(no_gpu.contains("could not select device driver \"\" with capabilities: [[gpu]]"), "{no_gpu}");
    assert_eq!(
        n.handle("workload.stop", json!({"containerId": "ffff"}), 1),
        Reply::Error("stop failed: Error response from daemon: No such container: ffff\n".into())
    );
}

#[test]
fn faults_shape_the_answers() {
    let mut noruntime = node("gpu-a10-noruntime");
    assert_eq!(
        noruntime.handle("workload.list", json!({}), 1),
        Reply::Error("No such file or directory (os error 2)".into())
    );
    let caps = ok(noruntime.handle("node.capabilities", json!({}), 1));
    assert_eq!(caps["capabilities"], json!(["system", "gpu", "nvidia"]));
    assert_eq!(ok(noruntime.handle("gpu.metrics", json!({}), 1))["metrics"][0]["power_limit_w"], Value::Null);

    let mut hot = node("gpu-a100-hot");
    let temps: Vec<u64> = ok(hot.handle("gpu.metrics", json!({}), 1))["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["temperature_c"].as_u64().unwrap())
        .collect();
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

/// A node of a fleet file with images, at `T0`.
fn node_with_images(fleet_toml: &str) -> Node {
    let fleet = Fleet::parse(fleet_toml, false).unwrap();
    let spec = fleet.nodes[0].clone();
    Node::new(spec, &crate::default_build_commands(), T0, 1).with_images(fleet.images)
}

fn statuses(n: &mut Node, now: u64) -> Vec<String> {
    let list = ok(n.handle("workload.list", json!({}), now));
    list["workloads"].as_array().unwrap().iter().map(|w| w["status"].as_str().unwrap().to_string()).collect()
}

const IMAGES: &str = r#"
[images."clawsim/crash:1"]
exit_code = 1
log = ["loading model", "RuntimeError: CUDA error: no kernel image is available"]
stderr = ["Traceback (most recent call last):"]

[images."clawsim/slow-start:1"]
start_secs = 8

[images."clawsim/crashloop:1"]
exit_code = 2
exit_after_ms = 1500
restart = true
log = ["starting", "bad config"]

[images."clawsim/sick:1"]
health = "unhealthy"

[[nodes]]
name = "n1"
gpus = [{ model = "NVIDIA H100 80GB HBM3", count = 2, memory_mb = 81559 }]
"#;

#[test]
fn an_image_that_exits_at_once_shows_exited_and_frees_its_gpus() {
    let mut n = node_with_images(IMAGES);
    let r = ok(n.handle("workload.run", json!({"image": "clawsim/crash:1", "name": "job", "gpus": 2}), T0));
    assert_eq!(r["success"], json!(true));
    assert_eq!(statuses(&mut n, T0 + 400), ["Exited (1) Less than a second ago"]);
    assert_eq!(statuses(&mut n, T0 + 12_000), ["Exited (1) 12 seconds ago"]);
    assert!(n.busy_gpus().is_empty());
    let logs = ok(n.handle("workload.logs", json!({"name": "job"}), T0 + 12_000));
    assert_eq!(
        logs,
        json!({
            "logs": "loading model\nRuntimeError: CUDA error: no kernel image is available\n",
            "stderr": "Traceback (most recent call last):\n",
            "container": "job",
            "runtime": "cli",
        })
    );
    let tail = ok(n.handle("workload.logs", json!({"name": "job", "tail": 2}), T0 + 12_000));
    assert_eq!(
        (tail["logs"].as_str().unwrap(), tail["stderr"].as_str().unwrap()),
        ("RuntimeError: CUDA error: no kernel image is available\n", "Traceback (most recent call last):\n")
    );
    let inspect = ok(n.handle("workload.inspect", json!({"name": "job"}), T0 + 12_000));
    assert_eq!(inspect["inspect"]["State"]["Status"], json!("exited"));
    assert_eq!(inspect["inspect"]["State"]["ExitCode"], json!(1));
}

#[test]
fn a_slow_image_is_created_then_up() {
    let mut n = node_with_images(IMAGES);
    ok(n.handle("workload.run", json!({"image": "clawsim/slow-start:1", "name": "svc", "gpus": 1}), T0));
    assert_eq!(statuses(&mut n, T0 + 1_000), ["Created"]);
    assert!(n.busy_gpus().is_empty());
    assert_eq!(ok(n.handle("workload.logs", json!({"name": "svc"}), T0 + 1_000))["logs"], json!(""));
    assert_eq!(statuses(&mut n, T0 + 8_000), ["Up Less than a second"]);
    assert_eq!(statuses(&mut n, T0 + 13_000), ["Up 5 seconds"]);
    assert_eq!(n.busy_gpus().into_iter().collect::<Vec<_>>(), vec![0]);
}

#[test]
fn a_crash_loop_restarts_with_dockers_back_off_and_its_logs_grow() {
    let mut n = node_with_images(IMAGES);
    ok(n.handle("workload.run", json!({"image": "clawsim/crashloop:1", "name": "loop"}), T0));
    // runs 1.5 s, waits 0.1 s, runs 1.5 s, waits 0.2 s, runs 1.5 s, waits 0.4 s, …
    assert_eq!(statuses(&mut n, T0 + 1_000), ["Up 1 second"]);
    assert_eq!(statuses(&mut n, T0 + 1_550), ["Restarting (2) Less than a second ago"]);
    assert_eq!(statuses(&mut n, T0 + 3_200), ["Restarting (2) Less than a second ago"]);
    assert_eq!(statuses(&mut n, T0 + 4_000), ["Up Less than a second"]);
    // 10 runs then a delay of 60 s once the back-off tops out
    let delays: u64 = (0..10).map(|k| crate::node::lifecycle::restart_delay_ms(k, 1_500)).sum();
    let tenth_exit = T0 + 11 * 1_500 + delays;
    assert_eq!(statuses(&mut n, tenth_exit + 45_000), ["Restarting (2) 45 seconds ago"]);
    let logs = ok(n.handle("workload.logs", json!({"name": "loop"}), tenth_exit + 45_000));
    assert_eq!(logs["logs"].as_str().unwrap().lines().count(), 2 * 11);
    let inspect = ok(n.handle("workload.inspect", json!({"name": "loop"}), tenth_exit + 45_000));
    assert_eq!(inspect["inspect"]["RestartCount"], json!(10));
    assert_eq!(inspect["inspect"]["State"]["Restarting"], json!(true));
    // stopping ends the loop for good
    ok(n.handle("workload.stop", json!({"name": "loop"}), tenth_exit + 45_000));
    assert_eq!(statuses(&mut n, tenth_exit + 600_000), ["Exited (143) 9 minutes ago"]);
}

#[test]
fn health_shows_in_the_status_like_docker() {
    let mut n = node_with_images(IMAGES);
    ok(n.handle("workload.run", json!({"image": "clawsim/sick:1", "name": "sick"}), T0));
    assert_eq!(statuses(&mut n, T0 + 480_000), ["Up 8 minutes (unhealthy)"]);
    let inspect = ok(n.handle("workload.inspect", json!({"name": "sick"}), T0 + 480_000));
    assert_eq!(inspect["inspect"]["State"]["Health"], json!({"Status": "unhealthy", "FailingStreak": 3, "Log": []}));
    let text = r#"
[[nodes]]
name = "n2"
workloads = [
  { name = "a", image = "vllm/vllm-openai:v0.6.0", age_secs = 480, health = "unhealthy" },
  { name = "b", image = "vllm/vllm-openai:v0.6.0", age_secs = 9, health = "starting" },
  { name = "c", image = "vllm/vllm-openai:v0.6.0", age_secs = 480, health = "healthy" },
]
"#;
    let mut n2 = node_with_images(text);
    assert_eq!(
        statuses(&mut n2, T0),
        ["Up 8 minutes (unhealthy)", "Up 9 seconds (health: starting)", "Up 8 minutes (healthy)"]
    );
}

#[test]
fn an_image_without_behaviour_runs_as_before() {
    let mut n = node_with_images(IMAGES);
    ok(n.handle("workload.run", json!({"image": "clawsim/crash:2", "name": "other"}), T0));
    assert_eq!(statuses(&mut n, T0 + 60_000), ["Up About a minute"]);
}

#[test]
fn the_sdk_shape_lists_state_and_creation_time_without_status() {
    let text = r#"
[[nodes]]
name = "gpu-node-1"
workload_list_shape = "sdk"
gpus = [{ model = "NVIDIA H100 80GB HBM3", count = 2, memory_mb = 81559 }]
workloads = [
  { name = "a", image = "pytorch/pytorch:2.0", gpus = 1, age_secs = 3600 },
  { name = "b", image = "pytorch/pytorch:2.0", state = "exited", age_secs = 86400 },
  { name = "c", image = "x:1", state = "created", age_secs = 10 },
  { name = "d", image = "x:1", state = "dead", age_secs = 10 },
]
"#;
    let mut n = node_with_images(text);
    let list = ok(n.handle("workload.list", json!({}), T0));
    assert_eq!(list["runtime"], json!("docker-sdk"));
    assert_eq!(list["count"], json!(4));
    let first = &list["workloads"][0];
    let keys: Vec<&String> = first.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["containerId", "createdAt", "gpus", "image", "labels", "state", "workloadId"]);
    assert_eq!(first["containerId"].as_str().unwrap().len(), 64);
    assert_eq!(first["createdAt"], json!(crate::clock::rfc3339_secs(T0 - 3_600_000)));
    assert_eq!(
        (first["gpus"].clone(), first["labels"].clone(), first["workloadId"].clone()),
        (json!([]), json!({}), Value::Null)
    );
    let states: Vec<&str> =
        list["workloads"].as_array().unwrap().iter().map(|w| w["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["running", "exited", "creating", "failed"]);
}

#[test]
fn a_display_name_is_the_hostname_the_node_reports() {
    let text = "[[nodes]]\nname = \"ubuntu-a\"\ndisplay_name = \"ubuntu\"\n";
    let mut n = node_with_images(text);
    assert_eq!(ok(n.handle("node.health", json!({}), T0))["hostname"], json!("ubuntu"));
    assert_eq!(ok(n.handle("system.info", json!({}), T0))["hostname"], json!("ubuntu"));
    assert_eq!(ok(n.handle("node.capabilities", json!({}), T0))["hostname"], json!("ubuntu"));
}

#[test]
fn drain_stops_a_restart_loop_for_good() {
    let mut n = node_with_images(IMAGES);
    ok(n.handle("workload.run", json!({"image": "clawsim/crashloop:1", "name": "loop"}), T0));
    let drained = ok(n.handle("node.drain", json!({}), T0 + 1_550));
    assert_eq!(drained["stopped_workloads"], json!(1));
    assert_eq!(statuses(&mut n, T0 + 61_550), ["Exited (143) About a minute ago"]);
}

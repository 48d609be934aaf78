//! Native profile of the core at a realistic node shape (8 × H100, 3 containers, the 68
//! commands of a default clawnode build): every tool and a monitor tick over N nodes whose
//! answers are ready-made JSON text, so what is measured is the core alone (parsing,
//! assessment, aggregation, serialisation). Run under callgrind:
//! `cargo build --release --example fleet_profile && valgrind --tool=callgrind target/release/examples/fleet_profile 1000`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use clawbernetes::config::Config;
use clawbernetes::io::host::{Failure, Host, Level};
use clawbernetes::io::watch;
use clawbernetes::node::entry::{Commands, NodeEntry};
use clawbernetes::plugin::Plugin;
use clawbernetes::tools;
use serde_json::{json, Value};
use std::cell::Cell;
use std::rc::Rc;

struct Ready {
    nodes: Vec<Rc<NodeEntry>>,
    health: String,
    caps: String,
    list: String,
    metrics: String,
    containers: String,
    clock: Cell<f64>,
}

impl Host for Ready {
    async fn list_nodes(&self) -> Result<Vec<Rc<NodeEntry>>, String> {
        Ok(self.nodes.clone())
    }
    async fn invoke(&self, _node: &str, command: &str, _p: &Value, _t: u64) -> Result<String, Failure> {
        Ok(match command {
            "node.health" => &self.health,
            "node.capabilities" => &self.caps,
            "gpu.list" => &self.list,
            "gpu.metrics" => &self.metrics,
            "workload.list" => &self.containers,
            other => return Err(Failure::node(format!("no answer for {other}"))),
        }
        .clone())
    }
    async fn sleep(&self, _ms: u64) {
        std::future::pending::<()>().await;
    }
    fn now_ms(&self) -> f64 {
        self.clock.set(self.clock.get() + 0.001);
        self.clock.get()
    }
    fn log(&self, _level: Level, _message: &str) {}
}

fn host(n: usize) -> Ready {
    let names: Vec<String> = include_str!("../tests/fixtures/clawnode/commands-default-build.txt")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let commands = Commands::new(names.clone());
    let caps: Rc<[String]> = ["system", "gpu", "nvidia", "docker", "container"].map(String::from).to_vec().into();
    let nodes = (0..n)
        .map(|i| {
            Rc::new(NodeEntry {
                id: format!("{i:064x}"),
                name: format!("gpu-node-{i:05}"),
                connected: true,
                commands: commands.clone(),
                pending: Commands::default(),
                pending_approval: false,
                client_id: "node-host".into(),
                caps: Rc::clone(&caps),
                platform: "linux x86_64".into(),
                device_family: String::new(),
            })
        })
        .collect();
    let gpus: Vec<Value> = (0..8)
        .map(|i| json!({"index": i, "name": "NVIDIA H100 80GB HBM3", "uuid": format!("GPU-{i:08}-aaaa-bbbb-cccc-dddddddddddd"), "memory_total_mb": 81559, "pci_bus_id": format!("00000000:{i:02X}:00.0")}))
        .collect();
    let metrics: Vec<Value> = (0..8)
        .map(|i| json!({"index": i, "uuid": format!("GPU-{i:08}-aaaa-bbbb-cccc-dddddddddddd"), "utilization_percent": if i < 4 { 87 } else { 0 }, "memory_used_mb": if i < 4 { 61234 } else { 1 }, "memory_total_mb": 81559, "temperature_c": 40 + i, "power_draw_w": 312.5400268554688, "power_limit_w": 700.0}))
        .collect();
    Ready {
        nodes,
        health: json!({"status": "healthy", "hostname": "gpu-node", "connected": false, "cpu_count": 96,
            "load_average": {"one": 12.1, "five": 11.4, "fifteen": 10.9},
            "memory": {"total_mb": 2_063_000, "used_mb": 600_000, "available_mb": 1_463_000, "usage_percent": 29.1},
            "disks": [{"mount": "/", "total_bytes": 3_840_000_000_000u64, "available_bytes": 2_000_000_000_000u64, "usage_percent": 47.9},
                      {"mount": "/boot/efi", "total_bytes": 535_805_952u64, "available_bytes": 529_000_000u64, "usage_percent": 1.3}],
            "gpu_count": 8, "uptime_secs": 86400})
        .to_string(),
        caps: json!({"hostname": "gpu-node", "capabilities": ["system", "gpu", "nvidia", "docker", "container"],
            "commands": names.iter().take(38).collect::<Vec<_>>(), "container_runtime": "docker", "cpu_count": 96,
            "total_memory_mb": 2_063_000, "gpus": (0..8).map(|i| json!({"index": i, "name": "NVIDIA H100 80GB HBM3", "memory_mb": 81559})).collect::<Vec<_>>(),
            "gpu_count": 8, "gpu_total_memory_gb": 637, "labels": {}})
        .to_string(),
        list: json!({"count": 8, "gpus": gpus, "total_memory_gb": 637}).to_string(),
        metrics: json!({"count": 8, "metrics": metrics}).to_string(),
        containers: json!({"count": 3, "runtime": "cli", "workloads": [
            {"containerId": "3f2a9c1d7e4b", "image": "pytorch/pytorch:2.0", "name": "train-1", "status": "Up 5 hours"},
            {"containerId": "4a3b0d2e8f5c", "image": "vllm/vllm-openai:v0.6.0", "name": "serve-1", "status": "Up 2 days (healthy)"},
            {"containerId": "5b4c1e3f9a6d", "image": "pytorch/pytorch:2.0", "name": "eval-0", "status": "Exited (0) 3 hours ago"}]})
        .to_string(),
        clock: Cell::new(1.7e12),
    }
}

/// The calls measured (callgrind: `--collect-atstart=no --toggle-collect=*measured*`).
#[inline(never)]
fn measured(p: &Plugin, h: &Ready, which: &str, n: usize) -> usize {
    let run = |tool: &str, args: Value| {
        let out = futures_executor::block_on(tools::call(p, h, tool, &args)).unwrap();
        out.details_json().len() + out.text.len()
    };
    let mut bytes = 0;
    for tool in ["claw_fleet_status", "claw_gpu_inventory", "claw_workloads", "claw_multi_invoke"] {
        if which == "all" || which == tool {
            let args = if tool == "claw_multi_invoke" { json!({"command": "gpu.metrics"}) } else { json!({}) };
            let start = std::time::Instant::now();
            bytes += run(tool, args);
            eprintln!("{tool}: {:.1} µs per node", start.elapsed().as_secs_f64() * 1e6 / n as f64);
        }
    }
    if which == "all" || which == "tick" {
        let start = std::time::Instant::now();
        futures_executor::block_on(watch::tick(p, h));
        eprintln!("tick: {:.1} µs per node", start.elapsed().as_secs_f64() * 1e6 / n as f64);
    }
    bytes
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let which = std::env::args().nth(2).unwrap_or_else(|| "all".into());
    let h = host(n);
    let p = Plugin::new(Config::default());
    futures_executor::block_on(tools::call(&p, &h, "claw_fleet_status", &json!({}))).unwrap(); // warm the facts cache
    println!("{}", measured(&p, &h, &which, n));
}

//! What the plugin registers, described for the shim: tools with their JSON-schema
//! parameters, gateway methods with their scopes, the service, the node invoke policy.

use crate::commands::{self, Class};
use crate::config::Config;
use serde_json::{json, Value};

/// The five tool names, in the order they are registered.
pub const TOOL_NAMES: [&str; 5] =
    ["claw_fleet_status", "claw_gpu_inventory", "claw_deploy", "claw_workloads", "claw_multi_invoke"];

/// The health monitor's service id.
pub const SERVICE_ID: &str = "clawbernetes-health-monitor";

/// Gateway methods and their scopes.
pub const METHODS: [(&str, &str); 4] = [
    ("clawbernetes.fleet-status", "operator.read"),
    ("clawbernetes.gpu-inventory", "operator.read"),
    ("clawbernetes.workloads", "operator.read"),
    ("clawbernetes.health-check", "operator.write"),
];

/// Argument names each tool accepts.
pub fn accepted(tool: &str) -> &'static [&'static str] {
    match tool {
        "claw_fleet_status" => &["nodeFilter"],
        "claw_gpu_inventory" => &["model", "availableOnly", "nodeId"],
        "claw_deploy" => &[
            "image",
            "gpus",
            "memory",
            "cpu",
            "env",
            "command",
            "name",
            "volumes",
            "shmSize",
            "gpuModel",
            "minVramMb",
            "preferNode",
            "strategy",
            "dryRun",
        ],
        "claw_workloads" => &["state", "image", "nodeId", "name"],
        "claw_multi_invoke" => &["command", "params", "nodes", "timeoutMs"],
        _ => &[],
    }
}

fn node_key(what: &str) -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": 256, "description": what})
}

fn tool(name: &str, label: &str, description: &str, properties: Value, required: &[&str]) -> Value {
    json!({
        "name": name,
        "label": label,
        "description": description,
        "parameters": {"type": "object", "additionalProperties": false, "properties": properties, "required": required},
    })
}

/// The five tools, as `api.registerTool` wants them (without `execute`).
pub fn tools() -> Vec<Value> {
    let size = |what: &str| json!({"type": "string", "pattern": "^[0-9]+[bkmgBKMG]$", "description": what});
    vec![
        tool(
            "claw_fleet_status",
            "Fleet status",
            "Health of every connected clawnode computed from its numbers (disk, memory, load, GPU temperature): nodes by state (healthy/degraded/unhealthy/unreachable), GPUs total and free by model, memory, running workloads, and the list of problems. Start here when asked how the cluster is doing.",
            json!({"nodeFilter": node_key("Only nodes whose id is this or whose name contains it")}),
            &[],
        ),
        tool(
            "claw_gpu_inventory",
            "GPU inventory",
            "Every GPU in the fleet: node, index, uuid, model, VRAM, memory used, utilisation, temperature, power, and whether it is available (inferred from memory use and utilisation; clawnode reports no allocation).",
            json!({
                "model": {"type": "string", "minLength": 1, "maxLength": 128, "description": "Part of the GPU model name, e.g. H100"},
                "availableOnly": {"type": "boolean", "description": "Only GPUs with nothing running on them"},
                "nodeId": node_key("Only this node (id or display name)"),
            }),
            &[],
        ),
        tool(
            "claw_deploy",
            "Deploy workload",
            "Place a container on the best clawnode and run it: filters nodes (connected, healthy enough, container runtime, memory, disk, GPU model/VRAM, GPUs 0..gpus-1 free), scores them (binpack or spread), runs workload.run on the best and falls back to the next if it refuses. Returns the chosen node, ids, the ranked candidates and every rejected node with reasons. Use dryRun to plan without running.",
            json!({
                "image": {"type": "string", "minLength": 1, "maxLength": 255, "description": "Container image, e.g. pytorch/pytorch:2.0"},
                "gpus": {"type": "integer", "minimum": 0, "maximum": crate::args::MAX_GPUS, "default": 1, "description": "GPUs to bind (the node binds devices 0..gpus-1)"},
                "memory": size("Memory limit, e.g. 32g or 512m"),
                "cpu": {"type": "number", "exclusiveMinimum": 0, "maximum": 1024, "description": "CPUs, e.g. 8"},
                "env": {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}, "description": "Environment, e.g. {\"EPOCHS\": \"3\"}"},
                "command": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 256, "description": "Command as an array, e.g. [\"python\", \"train.py\"]"},
                "name": {"type": "string", "pattern": "^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$", "description": "Container name"},
                "volumes": {"type": "array", "items": {"type": "string"}, "maxItems": 64, "description": "Mounts host:container[:ro], e.g. [\"/data:/data:ro\"]"},
                "shmSize": size("Shared memory size, e.g. 16g"),
                "gpuModel": {"type": "string", "minLength": 1, "maxLength": 128, "description": "Part of the required GPU model name, e.g. A100"},
                "minVramMb": {"type": "integer", "minimum": 1, "description": "Least VRAM per GPU in MB"},
                "preferNode": node_key("Node to use when it can host the workload (id or display name)"),
                "strategy": {"type": "string", "enum": ["binpack", "spread"], "default": "binpack", "description": "binpack fills nodes up; spread prefers the most free capacity"},
                "dryRun": {"type": "boolean", "default": false, "description": "Plan only; run nothing"},
            }),
            &["image"],
        ),
        tool(
            "claw_workloads",
            "Workloads",
            "Every container on every clawnode (docker ps -a): node, containerId, name, image, state normalised from Docker's status (running/exited/created/restarting/paused/dead/unknown), exit code, and counts by state.",
            json!({
                "state": {"type": "string", "enum": ["running", "exited", "created", "restarting", "paused", "dead", "unknown"]},
                "image": {"type": "string", "minLength": 1, "maxLength": 255, "description": "Part of the image reference"},
                "nodeId": node_key("Only this node (id or display name)"),
                "name": {"type": "string", "minLength": 1, "maxLength": 128, "description": "Part of the container name"},
            }),
            &[],
        ),
        tool(
            "claw_multi_invoke",
            "Invoke on many nodes",
            "Run one clawnode command on all clawnodes (or the named ones) in parallel: per node ok, payload or error, and duration. Commands that run processes, reveal secrets or destroy work (system.run, container.exec, secret.get, node.drain, workload.stop, …) are refused unless the operator allowed them by name in the plugin config.",
            json!({
                "command": {"type": "string", "minLength": 3, "maxLength": 64, "description": "Command, e.g. gpu.metrics"},
                "params": {"type": "object", "description": "Command parameters as an object (default {})"},
                "nodes": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1, "maxItems": 1000, "description": "Node ids or display names; default all"},
                "timeoutMs": {"type": "integer", "minimum": 100, "maximum": 600000, "description": "Deadline per node"},
            }),
            &["command"],
        ),
    ]
}

/// The node commands the plugin asks the gateway to let through for Linux nodes: what the
/// tools read, `workload.run` unless read-only, and what `claw_multi_invoke` may send.
pub fn policy_commands(cfg: &Config) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = commands::TOOL_READS.to_vec();
    out.extend(commands::READ.iter().copied());
    if !cfg.read_only {
        out.push(commands::RUN);
        out.extend(crate::commands::ALL.iter().copied().filter(|c| commands::classify(c) == Class::Write));
        out.extend(commands::SENSITIVE.iter().copied().filter(|c| cfg.multi_invoke.allow.iter().any(|a| a == c)));
    }
    out.retain(|c| !cfg.multi_invoke.deny.iter().any(|d| d == c) || commands::TOOL_READS.contains(c));
    out.sort_unstable();
    out.dedup();
    out
}

/// Everything the shim registers.
pub fn describe(cfg: &Config) -> Value {
    json!({
        "tools": tools(),
        "methods": METHODS.iter().map(|(name, scope)| json!({"name": name, "scope": scope})).collect::<Vec<_>>(),
        "service": SERVICE_ID,
        "policy": {"commands": policy_commands(cfg), "platforms": ["linux"]},
        "healthIntervalMs": cfg.health_interval_ms,
    })
}

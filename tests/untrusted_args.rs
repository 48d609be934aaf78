#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Untrusted tool arguments and config: every tool's arguments refused with the field named
//! (gateway code INVALID_REQUEST), Docker's own rules for what `claw_deploy` passes on, no
//! docker flag smuggled through it, sensitive commands refused, secrets not echoed, config out
//! of range refused at load. Each case lands in `docs/RELIABILITY.md`.

mod common;

use clawbernetes::config::Config;
use clawbernetes::plugin::Plugin;
use clawbernetes::redact::{redact, REDACTED};
use clawbernetes::runargs;
use clawbernetes::tools::{self, args::Def, deploy, multi_invoke, TOOLS};
use common::recorder::Recorder;
use common::{fixture, node, FakeHost};
use proptest::prelude::*;
use proptest::test_runner::{Config as PtConfig, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Value};

fn host() -> FakeHost {
    FakeHost::new(vec![node("gpu-01"), node("gpu-02")])
}

/// A call's outcome: the error text (with its gateway code when that is not
/// INVALID_REQUEST), or "accepted: " and the first line of the result.
fn outcome(p: &Plugin, tool: &str, a: Value) -> String {
    let h = host();
    match h.run(tools::call(p, &h, tool, &a)) {
        Ok(o) => format!("accepted: {}", o.text.lines().next().unwrap_or("")),
        Err(e) if e.code() == "INVALID_REQUEST" => e.to_string(),
        Err(e) => format!("[{}] {e}", e.code()),
    }
}

fn plugin() -> Plugin {
    Plugin::new(Config::default())
}

fn accepted(def: &Def) -> Vec<&'static str> {
    def.params.iter().map(|p| p.name).collect()
}

#[test]
fn every_tool_refuses_non_object_and_unknown_arguments() {
    let rec = Recorder::new("args-shape");
    let p = plugin();
    for def in TOOLS {
        let tool = def.name;
        for (what, a, kind) in [
            ("an array", json!([]), "an array"),
            ("a string", json!("x"), "a string"),
            ("a number", json!(1), "a number"),
        ] {
            rec.check(
                "tool arguments",
                &format!("{tool} with {what} as arguments"),
                format!("{tool}: arguments must be an object, got {kind}"),
                outcome(&p, tool, a),
            );
        }
        rec.check(
            "tool arguments",
            &format!("{tool} with an unknown argument"),
            format!("{tool}: unknown argument \"bogus\"; accepted: {}", accepted(def).join(", ")),
            outcome(&p, tool, json!({"bogus": 1})),
        );
    }
}

#[test]
fn arguments_name_the_field() {
    let rec = Recorder::new("args-fields");
    let p = plugin();
    let area = "tool arguments";
    let cases: Vec<(&str, &str, Value, &str)> = vec![
        ("claw_fleet_status", "nodeFilter a number", json!({"nodeFilter": 5}), "claw_fleet_status: nodeFilter must be a string, got a number"),
        ("claw_fleet_status", "nodeFilter empty", json!({"nodeFilter": " "}), "claw_fleet_status: nodeFilter must be a non-empty string of at most 256 characters"),
        ("claw_fleet_status", "nodeFilter naming no node", json!({"nodeFilter": "nope"}), "claw_fleet_status: nodeFilter \"nope\" names no connected clawnode; connected: gpu-01, gpu-02"),
        ("claw_gpu_inventory", "availableOnly \"yes\"", json!({"availableOnly": "yes"}), "claw_gpu_inventory: availableOnly must be true or false, got a string"),
        ("claw_gpu_inventory", "nodeId naming no node", json!({"nodeId": "gpu-99"}), "claw_gpu_inventory: nodeId \"gpu-99\" names no connected clawnode; connected: gpu-01, gpu-02"),
        ("claw_gpu_inventory", "model 129 characters", json!({"model": "a".repeat(129)}), "claw_gpu_inventory: model must be a non-empty string of at most 128 characters"),
        ("claw_workloads", "state \"zombie\"", json!({"state": "zombie"}), "claw_workloads: state must be one of \"running\", \"exited\", \"created\", \"restarting\", \"paused\", \"removing\", \"dead\", \"unknown\", got \"zombie\""),
        ("claw_workloads", "name with NUL", json!({"name": "a\u{0}b"}), "claw_workloads: name must not contain a NUL character"),
        ("claw_deploy", "image missing", json!({}), "claw_deploy: image is required"),
        ("claw_deploy", "image null (same as missing)", json!({"image": null}), "claw_deploy: image is required"),
        ("claw_deploy", "image uppercase", json!({"image": "PyTorch"}), "claw_deploy: image \"PyTorch\" is not a valid image reference: path components are lowercase letters, digits and '.', '_', '-' inside"),
        ("claw_deploy", "gpus -1", json!({"image": "ubuntu", "gpus": -1}), "claw_deploy: gpus must be a whole number from 0 to 16, got -1"),
        ("claw_deploy", "gpus 17", json!({"image": "ubuntu", "gpus": 17}), "claw_deploy: gpus must be a whole number from 0 to 16, got 17"),
        ("claw_deploy", "gpus 1.5", json!({"image": "ubuntu", "gpus": 1.5}), "claw_deploy: gpus must be a whole number from 0 to 16, got 1.5"),
        ("claw_deploy", "gpus \"2\"", json!({"image": "ubuntu", "gpus": "2"}), "claw_deploy: gpus must be a whole number from 0 to 16, got \"2\""),
        ("claw_deploy", "memory \"8x\"", json!({"image": "ubuntu", "memory": "8x"}), "claw_deploy: memory \"8x\" is not a size Docker reads (unknown unit \"x\"): write a number, optionally one space, then b, k, m, g, t or p in any case, optionally followed by b or ib, e.g. \"8g\", \"8GB\", \"512m\", \"16GiB\", \"1.5g\""),
        ("claw_deploy", "memory \"1k\" (below Docker's 6m)", json!({"image": "ubuntu", "memory": "1k"}), "claw_deploy: memory \"1k\" is below Docker's minimum of 6m (0 means no limit)"),
        ("claw_deploy", "memory \"9999999999p\" (above Docker's int64 bytes)", json!({"image": "ubuntu", "memory": "9999999999p"}), "claw_deploy: memory \"9999999999p\" is larger than Docker accepts (8 EiB)"),
        ("claw_deploy", "memory ending in a multi-byte character \"8é\"", json!({"image": "ubuntu", "memory": "8é"}), "claw_deploy: memory \"8é\" is not a size Docker reads (unknown unit \"é\"): write a number, optionally one space, then b, k, m, g, t or p in any case, optionally followed by b or ib, e.g. \"8g\", \"8GB\", \"512m\", \"16GiB\", \"1.5g\""),
        ("claw_deploy", "shmSize \"ü\"", json!({"image": "ubuntu", "shmSize": "ü"}), "claw_deploy: shmSize \"ü\" is not a size Docker reads (no number): write a number, optionally one space, then b, k, m, g, t or p in any case, optionally followed by b or ib, e.g. \"8g\", \"8GB\", \"512m\", \"16GiB\", \"1.5g\""),
        ("claw_deploy", "cpu 0", json!({"image": "ubuntu", "cpu": 0}), "claw_deploy: cpu must be a number from 0.01 to 1024, got 0"),
        ("claw_deploy", "cpu 0.001 (below Docker's smallest --cpus)", json!({"image": "ubuntu", "cpu": 0.001}), "claw_deploy: cpu must be a number from 0.01 to 1024, got 0.001"),
        ("claw_deploy", "cpu 2000", json!({"image": "ubuntu", "cpu": 2000}), "claw_deploy: cpu must be a number from 0.01 to 1024, got 2000"),
        ("claw_deploy", "env name empty", json!({"image": "ubuntu", "env": {"": "a"}}), "claw_deploy: env name \"\" must be non-empty and hold no '=' (Docker's rule)"),
        ("claw_deploy", "env name holding '='", json!({"image": "ubuntu", "env": {"A=B": "a"}}), "claw_deploy: env name \"A=B\" must be non-empty and hold no '=' (Docker's rule)"),
        ("claw_deploy", "env value an object", json!({"image": "ubuntu", "env": {"A": {}}}), "claw_deploy: env A must be a string, number or boolean, got an object"),
        ("claw_deploy", "env value over 32 KB", json!({"image": "ubuntu", "env": {"A": "x".repeat(33 * 1024)}}), "claw_deploy: env A: the value must be at most 32 KB, without NUL"),
        ("claw_deploy", "env a string", json!({"image": "ubuntu", "env": "A=1"}), "claw_deploy: env must be an object like {\"EPOCHS\": \"3\"} or an array like [\"EPOCHS=3\"], got a string"),
        ("claw_deploy", "env item without '='", json!({"image": "ubuntu", "env": ["HF_TOKEN"]}), "claw_deploy: env item \"HF_TOKEN\" has no '=': Docker would copy HF_TOKEN's value from the node agent's own environment; give it its value after an equals sign"),
        ("claw_deploy", "env item a number", json!({"image": "ubuntu", "env": [5]}), "claw_deploy: env items must be \"KEY=VALUE\" strings, got a number"),
        ("claw_deploy", "command empty", json!({"image": "ubuntu", "command": []}), "claw_deploy: command must hold at least one string; omit it to use the image's default"),
        ("claw_deploy", "command a string", json!({"image": "ubuntu", "command": "python x.py"}), "claw_deploy: command must be an array of strings, one per argument (the node runs it without a shell), e.g. [\"python\",\"x.py\"], got a string"),
        ("claw_deploy", "command a string with shell syntax", json!({"image": "ubuntu", "command": "python x.py > log.txt"}), "claw_deploy: command must be an array of strings, one per argument (the node runs it without a shell), e.g. [\"sh\",\"-c\",\"python x.py > log.txt\"], got a string"),
        ("claw_deploy", "command JSON text of an array", json!({"image": "ubuntu", "command": "[\"python\", \"x.py\"]"}), "claw_deploy: command must be an array of strings, not JSON text: pass the array itself, [\"python\",\"x.py\"]"),
        ("claw_deploy", "command item a number", json!({"image": "ubuntu", "command": ["a", 1]}), "claw_deploy: command[1] must be a string, got a number"),
        ("claw_deploy", "volumes a string", json!({"image": "ubuntu", "volumes": "/data:/data"}), "claw_deploy: volumes must be an array of strings, e.g. [\"/data:/data\"], got a string"),
        ("claw_deploy", "strategy \"random\"", json!({"image": "ubuntu", "strategy": "random"}), "claw_deploy: strategy must be one of \"binpack\", \"spread\", got \"random\""),
        ("claw_deploy", "preferNode naming no node", json!({"image": "ubuntu", "preferNode": "x"}), "claw_deploy: preferNode \"x\" names no connected clawnode; connected: gpu-01, gpu-02"),
        ("claw_deploy", "minVramMb 0", json!({"image": "ubuntu", "minVramMb": 0}), "claw_deploy: minVramMb must be a whole number from 1 to 10000000, got 0"),
        ("claw_multi_invoke", "command missing", json!({}), "claw_multi_invoke: command is required"),
        ("claw_multi_invoke", "command \"rm -rf /\"", json!({"command": "rm -rf /"}), "claw_multi_invoke: command \"rm -rf /\" is not a clawnode command name (like gpu.metrics)"),
        ("claw_multi_invoke", "command \"Node.Health\"", json!({"command": "Node.Health"}), "claw_multi_invoke: command \"Node.Health\" is not a clawnode command name (like gpu.metrics)"),
        ("claw_multi_invoke", "command \"node.\"", json!({"command": "node."}), "claw_multi_invoke: command \"node.\" is not a clawnode command name (like gpu.metrics)"),
        ("claw_multi_invoke", "params an array", json!({"command": "node.health", "params": []}), "claw_multi_invoke: params must be a JSON object such as {}, got an array"),
        ("claw_multi_invoke", "params a JSON string", json!({"command": "node.health", "params": "{}"}), "claw_multi_invoke: params must be a JSON object such as {}, got a string"),
        ("claw_multi_invoke", "params null (same as omitted: {})", json!({"command": "node.health", "params": null}), "accepted: node.health on 2 node(s): 2 ok, 0 failed."),
        ("claw_multi_invoke", "params over 64 KB", json!({"command": "node.health", "params": {"a": "x".repeat(70_000)}}), "claw_multi_invoke: params must be at most 64 KB of JSON"),
        ("claw_multi_invoke", "nodes a string", json!({"command": "node.health", "nodes": "gpu-01"}), "claw_multi_invoke: nodes must be an array of strings, e.g. [\"gpu-01\"], got a string"),
        ("claw_multi_invoke", "nodes naming no node", json!({"command": "node.health", "nodes": ["gpu-01", "ghost"]}), "claw_multi_invoke: nodes \"ghost\" names no connected clawnode; connected: gpu-01, gpu-02"),
        ("claw_multi_invoke", "a well-formed command no node declares", json!({"command": "volume.list"}), "[UNAVAILABLE] claw_multi_invoke: no usable clawnode can be sent volume.list: none declares it, or the gateway withholds it (a command the nodes declare goes through once it is in gateway.nodes.commands.allow and the nodes reconnected and were approved again)"),
        ("claw_deploy", "gpuModel with gpus 0", json!({"image": "ubuntu", "gpus": 0, "gpuModel": "A100"}), "claw_deploy: gpuModel applies to the GPUs asked for, and gpus is 0: ask for gpus too, or leave gpuModel out"),
        ("claw_multi_invoke", "nodes empty", json!({"command": "node.health", "nodes": []}), "claw_multi_invoke: nodes must name at least one node (an id or a display name); omit it for every clawnode"),
        ("claw_multi_invoke", "workload.run, which would skip claw_deploy's checks", json!({"command": "workload.run", "params": {"image": "alpine", "volumes": ["/:/host"]}}), "claw_multi_invoke: workload.run is refused here: use claw_deploy, which checks the image, env, volumes and sizes, places the GPUs and records them as held (dryRun: true to plan only)"),
        ("claw_multi_invoke", "job.create, a container from a spec the plugin does not check", json!({"command": "job.create", "params": {"image": "alpine"}}), "claw_multi_invoke: job.create is refused fleet-wide: it runs processes, reveals secrets or destroys work. An operator can allow it by adding \"job.create\" to plugins.entries.clawbernetes.config.multiInvoke.allow"),
        ("claw_multi_invoke", "timeoutMs 50", json!({"command": "node.health", "timeoutMs": 50}), "claw_multi_invoke: timeoutMs must be a whole number from 100 to 600000, got 50"),
    ];
    for (tool, case, a, want) in cases {
        rec.check(area, &format!("{tool}: {case}"), want.to_owned(), outcome(&p, tool, a));
    }
}

fn runner(cases: u32) -> TestRunner {
    let cfg = PtConfig { cases, failure_persistence: None, ..PtConfig::default() };
    TestRunner::new_with_rng(cfg, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(Value::from),
        "\\PC{0,16}".prop_map(Value::from),
        Just(json!("--privileged")),
        Just(json!("8g --privileged")),
        Just(json!("/:/host")),
        Just(json!("16Gi")),
        Just(json!("discovery.type=single-node")),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-zA-Z.]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect()))
        ]
    })
}

#[test]
fn any_value_for_any_argument_gives_a_result_or_an_error_naming_the_field() {
    let rec = Recorder::new("args-fuzz");
    let p = Plugin::new(Config::default());
    let strategy = (0..TOOLS.len(), any::<prop::sample::Index>(), any_json());
    let out = runner(600).run(&strategy, |(t, k, v)| {
        let def = TOOLS[t];
        let tool = def.name;
        let keys = accepted(def);
        let key = keys[k.index(keys.len())];
        let mut a = serde_json::Map::new();
        if tool == "claw_deploy" && key != "image" {
            a.insert("image".into(), json!("ubuntu"));
        }
        if tool == "claw_multi_invoke" && key != "command" {
            a.insert("command".into(), json!("node.health"));
        }
        a.insert(key.into(), v.clone());
        if tool == "claw_deploy" {
            a.insert("dryRun".into(), json!(true));
        }
        let h = host();
        match h.run(tools::call(&p, &h, tool, &Value::Object(a))) {
            Ok(_) => Ok(()),
            Err(e) => {
                let text = e.to_string();
                let unavailable = text.contains("no usable clawnode can be sent");
                let named = text.contains(key.trim_end_matches('s')) || unavailable;
                let code = if unavailable { "UNAVAILABLE" } else { "INVALID_REQUEST" };
                prop_assert!(
                    text.starts_with(&format!("{tool}: ")) && named && e.code() == code,
                    "{tool} {key}={v}: [{}] {text}",
                    e.code()
                );
                Ok(())
            }
        }
    });
    let observed = match out {
        Ok(()) => "holds for 600 generated cases".to_owned(),
        Err(e) => format!("fails: {e}"),
    };
    rec.check("tool arguments", "any JSON value (nested, huge, flag-like) for any argument of any tool → a result, or an error starting with the tool and naming the argument (code INVALID_REQUEST); never a panic",
        "holds for 600 generated cases".to_owned(), observed);
}

fn dry_run(p: &Plugin, a: Value) -> Value {
    let h = host();
    let mut a = a;
    a["dryRun"] = json!(true);
    match h.run(deploy::run(p, &h, &a)) {
        Ok(r) => r.details.run_params,
        Err(e) => json!(e.to_string()),
    }
}

/// What claw_deploy passes on as Docker reads it (recorded with the flag cases).
fn deploy_passes_on_what_docker_accepts(rec: &Recorder) {
    let p = plugin();
    let area = "security: claw_deploy";
    let cases: Vec<(&str, Value, Value)> = vec![
        ("memory \"8GB\" (Docker reads 8 GiB), sent as 8g", json!({"memory": "8GB"}), json!({"memory": "8g"})),
        ("memory \"8gb\", sent as 8g", json!({"memory": "8gb"}), json!({"memory": "8g"})),
        ("memory \".5g\", sent as 512m", json!({"memory": ".5g"}), json!({"memory": "512m"})),
        ("memory \"0\" (Docker: no limit), sent as 0", json!({"memory": "0"}), json!({"memory": "0"})),
        ("memory \"16GiB\", sent as 16g", json!({"memory": "16GiB"}), json!({"memory": "16g"})),
        ("memory \"1.5g\", sent as 1536m", json!({"memory": "1.5g"}), json!({"memory": "1536m"})),
        ("memory \"512 MB\" (one space), sent as 512m", json!({"memory": "512 MB"}), json!({"memory": "512m"})),
        ("memory \"6m\" (Docker's minimum)", json!({"memory": "6m"}), json!({"memory": "6m"})),
        ("memory \"8589934592\" (bytes), sent as 8g", json!({"memory": "8589934592"}), json!({"memory": "8g"})),
        (
            "memory \"99999999g\" (no node has it: placement's business, not the argument's)",
            json!({"memory": "99999999g"}),
            json!({"memory": "99999999g"}),
        ),
        ("shmSize \"1.5G\", sent as 1536m", json!({"shmSize": "1.5G"}), json!({"shmSize": "1536m"})),
        ("shmSize \"64k\"", json!({"shmSize": "64k"}), json!({"shmSize": "64k"})),
        ("cpu 0.01 (Docker's smallest --cpus)", json!({"cpu": 0.01}), json!({"cpu": 0.01})),
        (
            "env name with dots (discovery.type)",
            json!({"env": {"discovery.type": "single-node"}}),
            json!({"env": ["discovery.type=single-node"]}),
        ),
        ("env name starting with a digit", json!({"env": {"1X": "a"}}), json!({"env": ["1X=a"]})),
        ("env name with a space", json!({"env": {"A B": "1"}}), json!({"env": ["A B=1"]})),
        ("env as an array with '=' in the value", json!({"env": ["A=b=c"]}), json!({"env": ["A=b=c"]})),
        ("env number and boolean values", json!({"env": {"N": 3, "B": true}}), json!({"env": ["B=true", "N=3"]})),
        ("name of two characters", json!({"name": "ab"}), json!({"name": "ab"})),
        ("name with '_', '.' and '-'", json!({"name": "a_b.c-1"}), json!({"name": "a_b.c-1"})),
        ("named volume", json!({"volumes": ["models:/models:ro"]}), json!({"volumes": ["models:/models:ro"]})),
        (
            "memory \"1e3m\" (Go's ParseFloat reads the exponent), sent as 1000m",
            json!({"memory": "1e3m"}),
            json!({"memory": "1000m"}),
        ),
        (
            "a system file read-only, and data folders under /var/lib and /home",
            json!({"volumes": ["/etc/localtime:/etc/localtime:ro", "/var/lib/models:/models", "/home/me/data:/data:rw,Z"]}),
            json!({"volumes": ["/etc/localtime:/etc/localtime:ro", "/var/lib/models:/models", "/home/me/data:/data:rw,Z"]}),
        ),
    ];
    for (case, extra, want) in cases {
        let mut a = json!({"image": "ubuntu", "gpus": 0});
        for (k, v) in extra.as_object().unwrap() {
            a[k] = v.clone();
        }
        let mut expected = json!({"image": "ubuntu"});
        for (k, v) in want.as_object().unwrap() {
            expected[k] = v.clone();
        }
        rec.check(area, &format!("accepted: {case}"), expected, dry_run(&p, a));
    }
}

#[test]
fn deploy_cannot_smuggle_docker_flags() {
    let rec = Recorder::new("args-deploy-flags");
    let p = plugin();
    let area = "security: claw_deploy";
    let base = |k: &str, v: Value| {
        let mut a = json!({"image": "ubuntu", "dryRun": true});
        a[k] = v;
        a
    };
    let name_rule = "is not a valid container name: Docker allows [a-zA-Z0-9][a-zA-Z0-9_.-]+ (two or more characters, starting with a letter or digit)";
    let size = |key: &str, val: &str, why: &str| {
        format!("{key} {val:?} is not a size Docker reads ({why}): write a number, optionally one space, then b, k, m, g, t or p in any case, optionally followed by b or ib, e.g. \"8g\", \"8GB\", \"512m\", \"16GiB\", \"1.5g\"")
    };
    let refused: Vec<(&str, Value, String)> = vec![
        ("image", json!("--privileged"), "image \"--privileged\" is not a valid image reference: it starts with '-'".into()),
        ("image", json!("ubuntu --privileged"), "image \"ubuntu --privileged\" is not a valid image reference: it contains white space".into()),
        ("image", json!("ubuntu\n--privileged"), "image \"ubuntu\\n--privileged\" is not a valid image reference: it contains white space".into()),
        ("name", json!("--privileged"), format!("name \"--privileged\" {name_rule}")),
        ("name", json!("x --network=host"), format!("name \"x --network=host\" {name_rule}")),
        ("name", json!("a"), format!("name \"a\" {name_rule}")),
        ("memory", json!("8g --privileged"), size("memory", "8g --privileged", "the number is not a decimal")),
        ("memory", json!("--privileged"), size("memory", "--privileged", "no number")),
        ("memory", json!("8g "), size("memory", "8g ", "white space at its start or end")),
        ("memory", json!("-8g"), size("memory", "-8g", "a negative size")),
        ("shmSize", json!("1g --cap-add=ALL"), size("shmSize", "1g --cap-add=ALL", "the number is not a decimal")),
        ("volumes", json!(["--privileged"]), "volume \"--privileged\" must be host:container or host:container:options (options: ro, rw, z, Z)".into()),
        ("volumes", json!(["/:/host"]), "volume \"/:/host\" would give the container the host's root or its container engine".into()),
        ("volumes", json!(["//:/host"]), "volume \"//:/host\" would give the container the host's root or its container engine".into()),
        ("volumes", json!(["/./:/host:ro"]), "volume \"/./:/host:ro\" would give the container the host's root or its container engine".into()),
        ("volumes", json!(["/var/run/docker.sock:/s"]), "volume \"/var/run/docker.sock:/s\" would give the container the host's root or its container engine".into()),
        ("volumes", json!(["/var/run:/r"]), "volume \"/var/run:/r\" would give the container the host's root or its container engine".into()),
        ("volumes", json!(["/var/lib/docker:/d"]), "volume \"/var/lib/docker:/d\" would give the container the host's root or its container engine".into()),
        ("volumes", json!(["/var/lib/docker/volumes:/v"]), "volume \"/var/lib/docker/volumes:/v\" would give the container the host's root or its container engine".into()),
        ("volumes", json!(["/var/lib/containers:/c"]), "volume \"/var/lib/containers:/c\" would give the container the host's root or its container engine".into()),
        ("volumes", json!(["/run/podman/podman.sock:/s"]), "volume \"/run/podman/podman.sock:/s\" would give the container the host's root or its container engine".into()),
        ("volumes", json!(["/run/containerd/containerd.sock:/s"]), "volume \"/run/containerd/containerd.sock:/s\" would give the container the host's root or its container engine".into()),
        ("volumes", json!(["/home/me/podman.sock:/s"]), "volume \"/home/me/podman.sock:/s\" would give the container the host's root or its container engine".into()),
        ("volumes", json!(["/proc/1/root:/h"]), "volume \"/proc/1/root:/h\" would give the container the host itself (/proc is refused, and what is under it)".into()),
        ("volumes", json!(["/proc/self/root/var/lib/docker:/h"]), "volume \"/proc/self/root/var/lib/docker:/h\" would give the container the host itself (/proc is refused, and what is under it)".into()),
        ("volumes", json!(["/dev:/dev"]), "volume \"/dev:/dev\" would give the container the host itself (/dev is refused, and what is under it)".into()),
        ("volumes", json!(["/sys:/s"]), "volume \"/sys:/s\" would give the container the host itself (/sys is refused, and what is under it)".into()),
        ("volumes", json!(["/boot:/b"]), "volume \"/boot:/b\" would give the container the host itself (/boot is refused, and what is under it)".into()),
        ("volumes", json!(["/root:/r"]), "volume \"/root:/r\" would give the container the host itself (/root is refused, and what is under it)".into()),
        ("volumes", json!(["/etc:/etc"]), "volume \"/etc:/etc\" would let the container change the host's system files (/etc): mount it read-only, /etc:/etc:ro".into()),
        ("volumes", json!(["/etc/shadow:/s"]), "volume \"/etc/shadow:/s\" would let the container change the host's system files (/etc): mount it read-only, /etc/shadow:/s:ro".into()),
        ("volumes", json!(["/usr:/u:rw"]), "volume \"/usr:/u:rw\" would let the container change the host's system files (/usr): mount it read-only, /usr:/u:ro".into()),
        ("volumes", json!(["/lib64:/l:z"]), "volume \"/lib64:/l:z\" would let the container change the host's system files (/lib64): mount it read-only, /lib64:/l:ro".into()),
        ("volumes", json!(["/data:/data:ro,rw"]), "volume \"/data:/data:ro,rw\" options conflict: give ro or rw, and z or Z, at most once each".into()),
        ("volumes", json!(["/data:/data --privileged"]), "volume \"/data:/data --privileged\" must not contain white space".into()),
        ("volumes", json!(["/data:/data:ro,--privileged"]), "volume \"/data:/data:ro,--privileged\" options may be ro, rw, z, Z (comma separated)".into()),
        ("volumes", json!(["/a/../etc:/x"]), "volume \"/a/../etc:/x\" must not contain \"..\": name the folder itself".into()),
        ("volumes", json!(["/data:relative"]), "volume \"/data:relative\" must name an absolute container path".into()),
        ("env", json!({"NVIDIA_VISIBLE_DEVICES": "all"}), "env NVIDIA_VISIBLE_DEVICES would let the container see GPUs the plugin did not give it (the nvidia runtime reads it): ask for GPUs with gpus instead".into()),
        ("env", json!(["--privileged"]), "env item \"--privileged\" has no '=': Docker would copy --privileged's value from the node agent's own environment; give it its value after an equals sign".into()),
    ];
    for (k, v, want) in refused {
        rec.check(area, &format!("{k} = {v}"), format!("claw_deploy: {want}"), outcome(&p, "claw_deploy", base(k, v)));
    }
    // What is accepted goes to the node as data, each value in its own field (never joined into
    // a command line): clawnode passes each env entry as the value of its own `-e`, so a name
    // that looks like a flag stays a name.
    let a = json!({"image": "ubuntu", "command": ["--privileged"], "env": {"A": "x --privileged", "--privileged": "1"}, "gpus": 0});
    rec.check(area, "command [\"--privileged\"] and env entries holding flags: passed as the container's argv / one env string each, not docker flags",
        json!({"image": "ubuntu", "command": ["--privileged"], "env": ["--privileged=1", "A=x --privileged"]}), dry_run(&p, a));
    rec.check(
        area,
        "env [\"-e=1\"]: the name \"-e\" is Docker's to accept, passed as one env string",
        json!({"image": "ubuntu", "env": ["-e=1"]}),
        dry_run(&p, json!({"image": "ubuntu", "gpus": 0, "env": ["-e=1"]})),
    );
    deploy_passes_on_what_docker_accepts(&rec);
}

/// Sizes are read as Docker reads them (recorded with the argument fuzz).
fn sizes_are_read_as_docker_reads_them(rec: &Recorder) {
    let unit = prop_oneof![Just(""), Just("k"), Just("m"), Just("g"), Just("t"), Just("p")];
    let tail = prop_oneof![Just(""), Just("b"), Just("ib")];
    let strategy = (1u64..1_000_000, prop::option::of(0u32..1000), any::<bool>(), unit, tail, any::<bool>());
    let out = runner(500).run(&strategy, |(whole, frac, space, unit, tail, upper)| {
        let number = frac.map_or(whole.to_string(), |f| format!("{whole}.{f}"));
        let suffix = if unit.is_empty() {
            if tail == "ib" {
                ""
            } else {
                tail
            }
        } else {
            tail
        };
        let sfx = format!("{unit}{suffix}");
        let sfx = if upper { sfx.to_uppercase() } else { sfx };
        let s = format!("{number}{}{sfx}", if space && !sfx.is_empty() { " " } else { "" });
        let power = ["", "k", "m", "g", "t", "p"].iter().position(|u| *u == unit).unwrap() as i32;
        let bytes = (number.parse::<f64>().unwrap() * 1024f64.powi(power)).floor();
        match runargs::size("memory", &s) {
            Ok((b, plain)) => {
                prop_assert!(b == bytes && bytes <= 9.2e18, "{s:?} read as {b} bytes, Docker reads {bytes}");
                let again = runargs::size("memory", &plain).map(|r| r.0);
                prop_assert!(again == Ok(bytes), "{s:?} sent as {plain:?}, which reads as {again:?}");
            }
            Err(e) => prop_assert!(bytes > 9.2e18, "{s:?} ({bytes} bytes) refused: {e}"),
        }
        Ok(())
    });
    rec.check(
        "tool arguments",
        "any size in Docker's grammar (number with optional decimals, optional space, k/m/g/t/p in any case, optional b or ib) reads as the bytes Docker reads, and the plain form sent to the node reads back the same",
        "holds for 500 generated cases".to_owned(),
        out.map(|()| "holds for 500 generated cases".to_owned()).unwrap_or_else(|e| format!("fails: {e}")),
    );
}

#[test]
fn multi_invoke_refuses_sensitive_commands_and_hides_secrets() {
    let rec = Recorder::new("args-multi-invoke");
    let area = "security: claw_multi_invoke";
    let p = plugin();
    for c in [
        "system.run",
        "container.exec",
        "secret.get",
        "auth.create_key",
        "node.drain",
        "workload.stop",
        "deploy.delete",
        "volume.delete",
        "backup.restore",
    ] {
        rec.check(area, &format!("{c} refused by default, saying how to allow it"),
            format!("claw_multi_invoke: {c} is refused fleet-wide: it runs processes, reveals secrets or destroys work. An operator can allow it by adding \"{c}\" to plugins.entries.clawbernetes.config.multiInvoke.allow"),
            outcome(&p, "claw_multi_invoke", json!({"command": c})));
    }
    let allowed =
        Plugin::new(Config::from_json(r#"{"multiInvoke": {"allow": ["secret.get", "auth.create_key"]}}"#).unwrap());
    let h = host();
    let run = |p: &Plugin, a: Value| {
        let out = h.run(multi_invoke::run(p, &h, &a)).unwrap();
        let all = format!("{}{}", out.text, serde_json::to_string(&out.details).unwrap());
        (serde_json::from_str::<Value>(out.details.results[0].payload.as_ref().unwrap().get()).unwrap(), all)
    };
    let (payload, all) = run(&allowed, json!({"command": "secret.get", "params": {"name": "db-creds"}}));
    rec.check(
        area,
        "secret.get allowed: values redacted in details and text",
        (json!({"password": REDACTED, "username": REDACTED}), false),
        (payload["data"].clone(), all.contains("s3cret")),
    );
    let (payload, all) = run(&allowed, json!({"command": "auth.create_key", "params": {"name": "ci"}}));
    let secret = fixture("auth.create_key")["secret"].as_str().unwrap().to_owned();
    rec.check(
        area,
        "auth.create_key allowed: the key's secret redacted in details and text",
        (json!(REDACTED), false),
        (payload["secret"].clone(), all.contains(&secret)),
    );
    let reveal =
        Plugin::new(Config::from_json(r#"{"multiInvoke": {"allow": ["secret.get"], "revealSecrets": true}}"#).unwrap());
    let (payload, _) = run(&reveal, json!({"command": "secret.get", "params": {"name": "db-creds"}}));
    rec.check(
        area,
        "secret.get with revealSecrets: true shows the value",
        json!("s3cret!@#"),
        payload["data"]["password"].clone(),
    );
    let ro = Plugin::new(Config::from_json(r#"{"readOnly": true, "multiInvoke": {"allow": ["system.run"]}}"#).unwrap());
    rec.check(
        area,
        "readOnly refuses an allowed sensitive command",
        "claw_multi_invoke: system.run changes state and the plugin is read-only (readOnly: true)".to_owned(),
        outcome(&ro, "claw_multi_invoke", json!({"command": "system.run"})),
    );
    let deny = Plugin::new(Config::from_json(r#"{"multiInvoke": {"deny": ["node.health"]}}"#).unwrap());
    rec.check(
        area,
        "deny list wins over a read command",
        "claw_multi_invoke: node.health is denied by the operator (multiInvoke.deny)".to_owned(),
        outcome(&deny, "claw_multi_invoke", json!({"command": "node.health"})),
    );
    // A credential nested deeper than the scrubber walks must not come out in clear.
    let mut deep = json!({"password": "hunter2"});
    for _ in 0..100 {
        deep = json!({"a": deep});
    }
    redact("config.get", &mut deep);
    rec.check(
        area,
        "a credential nested 100 levels deep in a payload is not echoed",
        false,
        deep.to_string().contains("hunter2"),
    );
    let mut v = json!({"items": [{"apiKey": "k1", "note": "ok"}], "token": 42});
    redact("config.list", &mut v);
    rec.check(
        area,
        "credential-named fields in any payload (apiKey, token) are redacted",
        json!({"items": [{"apiKey": REDACTED, "note": "ok"}], "token": REDACTED}),
        v,
    );
}

#[test]
fn config_out_of_range_is_refused_with_the_key() {
    let rec = Recorder::new("config");
    let area = "config";
    let e = |s: &str| match Config::from_json(s) {
        Ok(_) => "accepted".to_owned(),
        Err(e) => e.to_string(),
    };
    let cases = [
        (r#"{"healthIntervalMs": 999}"#, "invalid clawbernetes config: healthIntervalMs must be between 1000 and 86400000, got 999"),
        (r#"{"healthIntervalMs": -1}"#, "invalid clawbernetes config: healthIntervalMs: invalid value: integer `-1`, expected u64"),
        (r#"{"healthIntervalMs": "60000"}"#, "invalid clawbernetes config: healthIntervalMs: invalid type: string \"60000\", expected u64"),
        (r#"{"invokeTimeoutMs": 1e20}"#, "invalid clawbernetes config: invokeTimeoutMs: invalid type: floating point `1e+20`, expected u64"),
        (r#"{"invokeTimeoutMs": 600001}"#, "invalid clawbernetes config: invokeTimeoutMs must be between 100 and 600000, got 600001"),
        (r#"{"maxConcurrency": 0}"#, "invalid clawbernetes config: maxConcurrency must be between 1 and 100000, got 0"),
        (r#"{"factsTtlMs": 86400001}"#, "invalid clawbernetes config: factsTtlMs must be between 0 and 86400000, got 86400001"),
        (r#"{"thresholds": {"diskCritPercent": 101}}"#, "invalid clawbernetes config: thresholds.diskCritPercent must be between 0 and 100, got 101"),
        (r#"{"thresholds": {"diskWarnPercent": 99}}"#, "invalid clawbernetes config: thresholds.diskWarnPercent (99) is above thresholds.diskCritPercent (95): the warning level must not exceed the critical one"),
        (r#"{"thresholds": {"gpuTempWarnC": -5}}"#, "invalid clawbernetes config: thresholds.gpuTempWarnC must be between 0 and 150, got -5"),
        (r#"{"thresholds": {"failuresToOffline": -1}}"#, "invalid clawbernetes config: thresholds.failuresToOffline: invalid value: integer `-1`, expected u32"),
        (r#"{"thresholds": {"failuresToOffline": 0}}"#, "invalid clawbernetes config: thresholds.failuresToOffline must be between 1 and 1000, got 0"),
        (r#"{"thresholds": {"failuresToUnhealthy": 2}}"#, "invalid clawbernetes config: thresholds.failuresToUnhealthy: unknown field `failuresToUnhealthy`, expected one of `diskWarnPercent`, `diskCritPercent`, `memoryWarnPercent`, `memoryCritPercent`, `gpuTempWarnC`, `gpuTempCritC`, `loadPerCpuWarn`, `loadPerCpuCrit`, `failuresToOffline`"),
        (r#"{"alerts": {"minSeverity": "loud"}}"#, "invalid clawbernetes config: alerts.minSeverity: unknown variant `loud`, expected one of `degraded`, `unhealthy`, `offline`"),
        (r#"{"alerts": {"cooldownMs": 86400001}}"#, "invalid clawbernetes config: alerts.cooldownMs must be between 0 and 86400000, got 86400001"),
        (r#"{"deploy": {"confirmMs": 600001}}"#, "invalid clawbernetes config: deploy.confirmMs must be between 0 and 600000, got 600001"),
        (r#"{"nodePolicy": "yes"}"#, "invalid clawbernetes config: nodePolicy: invalid type: string \"yes\", expected a boolean"),
        (r#"{"multiInvoke": {"allow": "system.run"}}"#, "invalid clawbernetes config: multiInvoke.allow: invalid type: string \"system.run\", expected a sequence"),
        (r#"{"readOnly": "yes"}"#, "invalid clawbernetes config: readOnly: invalid type: string \"yes\", expected a boolean"),
        (r#"{"gatewayUrl": "ftp://gw:21"}"#, "invalid clawbernetes config: gatewayUrl must be an http:// or https:// URL, got \"ftp://gw:21\""),
        (r#"{"gatewayUrl": "javascript:alert(1)"}"#, "invalid clawbernetes config: gatewayUrl must be an http:// or https:// URL, got \"javascript:alert(1)\""),
        (r#"{"gatewayUrl": "http://"}"#, "invalid clawbernetes config: gatewayUrl must be an http:// or https:// URL, got \"http://\""),
        (r#"{"gatewayUrl": "http:///etc/passwd"}"#, "invalid clawbernetes config: gatewayUrl must be an http:// or https:// URL, got \"http:///etc/passwd\""),
        (r#"{"gatewayUrl": "http://a b"}"#, "invalid clawbernetes config: gatewayUrl must be an http:// or https:// URL, got \"http://a b\""),
        (r#"{"gatewayUrl": "gateway:18789"}"#, "invalid clawbernetes config: gatewayUrl must be an http:// or https:// URL, got \"gateway:18789\""),
        (r#"{"transport": "carrier-pigeon"}"#, "invalid clawbernetes config: transport: unknown variant `carrier-pigeon`, expected one of `auto`, `runtime`, `http`"),
        (r#"{"gatewayToken": 123456789}"#, "invalid clawbernetes config: gatewayToken must be a string (its value is not shown)"),
        (r#"{"gatewayToken": ["s3cr3t-token"]}"#, "invalid clawbernetes config: gatewayToken must be a string (its value is not shown)"),
        (r#"[1]"#, "invalid clawbernetes config: the config must be a JSON object, got an array"),
        (r#"[]"#, "invalid clawbernetes config: the config must be a JSON object, got an array"),
        (r#""x""#, "invalid clawbernetes config: the config must be a JSON object, got a string"),
        (r#"{"healthIntervalMs": 60000"#, "invalid clawbernetes config: EOF while parsing an object at line 1 column 26"),
    ];
    for (text, want) in cases {
        rec.check(area, text, want.to_owned(), e(text));
    }
    rec.check(
        area,
        "{} and null give the defaults",
        true,
        Config::from_json("{}") == Ok(Config::default()) && Config::from_json("null") == Ok(Config::default()),
    );
    rec.check(
        area,
        "https gatewayUrl with a path accepted",
        true,
        Config::from_json(r#"{"gatewayUrl": "https://gw.example:8443/base"}"#).is_ok(),
    );
}

#[test]
fn argument_checks_never_panic() {
    let rec = Recorder::new("args-memory-fuzz");
    let out = runner(500).run(&"\\PC{0,12}", |s| {
        let _ = runargs::size("memory", &s);
        let _ = runargs::image(&s);
        let _ = runargs::volume(&s);
        let _ = runargs::container_name(&s);
        let _ = runargs::env(&json!([s.clone()]));
        let _ = runargs::env(&json!({s.clone(): s}));
        Ok(())
    });
    rec.check(
        "tool arguments",
        "any short string as a size, image, volume, container name or env entry: never a panic",
        "holds for 500 generated cases".to_owned(),
        out.map(|()| "holds for 500 generated cases".to_owned()).unwrap_or_else(|e| format!("fails: {e}")),
    );
    sizes_are_read_as_docker_reads_them(&rec);
}

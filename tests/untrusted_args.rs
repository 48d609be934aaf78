#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Untrusted tool arguments and config: every tool's arguments refused with the field named,
//! no docker flag smuggled through `claw_deploy`, sensitive commands refused, secrets not
//! echoed, config out of range refused at load. Each case lands in `docs/RELIABILITY.md`.

mod common;

use clawbernetes::config::Config;
use clawbernetes::plugin::Plugin;
use clawbernetes::redact::{redact, REDACTED};
use clawbernetes::schema::{accepted, TOOL_NAMES};
use clawbernetes::{args, tools};
use common::recorder::Recorder;
use common::{fixture, node, FakeHost};
use futures_executor::block_on;
use proptest::prelude::*;
use proptest::test_runner::{Config as PtConfig, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Value};

fn host() -> FakeHost {
    FakeHost::new(vec![node("gpu-01"), node("gpu-02")])
}

fn err(p: &Plugin, tool: &str, a: Value) -> String {
    match block_on(tools::call(p, &host(), tool, &a)) {
        Ok(_) => "accepted".to_owned(),
        Err(e) => e,
    }
}

fn plugin() -> Plugin {
    Plugin::new(Config::default())
}

#[test]
fn every_tool_refuses_non_object_and_unknown_arguments() {
    let rec = Recorder::new("args-shape");
    let p = plugin();
    for tool in TOOL_NAMES {
        for (what, a, kind) in [
            ("an array", json!([]), "an array"),
            ("a string", json!("x"), "a string"),
            ("a number", json!(1), "a number"),
        ] {
            rec.check(
                "tool arguments",
                &format!("{tool} with {what} as arguments"),
                format!("{tool}: arguments must be an object, got {kind}"),
                err(&p, tool, a),
            );
        }
        rec.check(
            "tool arguments",
            &format!("{tool} with an unknown argument"),
            format!("{tool}: unknown argument \"bogus\"; accepted: {}", accepted(tool).join(", ")),
            err(&p, tool, json!({"bogus": 1})),
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
        ("claw_workloads", "state \"zombie\"", json!({"state": "zombie"}), "claw_workloads: state must be one of running, exited, created, restarting, paused, dead, unknown, got \"zombie\""),
        ("claw_workloads", "name with NUL", json!({"name": "a\u{0}b"}), "claw_workloads: name must be a non-empty string of at most 128 characters"),
        ("claw_deploy", "image missing", json!({}), "claw_deploy: image is required"),
        ("claw_deploy", "image uppercase", json!({"image": "PyTorch"}), "claw_deploy: image \"PyTorch\" is not a valid image reference: path components are lowercase letters, digits and '.', '_', '-' inside"),
        ("claw_deploy", "gpus -1", json!({"image": "ubuntu", "gpus": -1}), "claw_deploy: gpus must be a whole number from 0 to 16, got -1"),
        ("claw_deploy", "gpus 17", json!({"image": "ubuntu", "gpus": 17}), "claw_deploy: gpus must be a whole number from 0 to 16, got 17"),
        ("claw_deploy", "gpus 1.5", json!({"image": "ubuntu", "gpus": 1.5}), "claw_deploy: gpus must be a whole number from 0 to 16, got 1.5"),
        ("claw_deploy", "gpus \"2\"", json!({"image": "ubuntu", "gpus": "2"}), "claw_deploy: gpus must be a whole number from 0 to 16, got \"2\""),
        ("claw_deploy", "memory \"8gb\"", json!({"image": "ubuntu", "memory": "8gb"}), "claw_deploy: memory must be a size like \"8g\", \"512m\" or \"1024k\", got \"8gb\""),
        ("claw_deploy", "memory \"0g\"", json!({"image": "ubuntu", "memory": "0g"}), "claw_deploy: memory must be a size like \"8g\", \"512m\" or \"1024k\", got \"0g\""),
        ("claw_deploy", "memory \"1k\" (below Docker's 6m)", json!({"image": "ubuntu", "memory": "1k"}), "claw_deploy: memory \"1k\" is below Docker's minimum of 6m"),
        ("claw_deploy", "memory \"99999999g\"", json!({"image": "ubuntu", "memory": "99999999g"}), "claw_deploy: memory \"99999999g\" is larger than 64 TB"),
        ("claw_deploy", "memory ending in a multi-byte character \"8é\"", json!({"image": "ubuntu", "memory": "8é"}), "claw_deploy: memory must be a size like \"8g\", \"512m\" or \"1024k\", got \"8é\""),
        ("claw_deploy", "shmSize \"ü\"", json!({"image": "ubuntu", "shmSize": "ü"}), "claw_deploy: shmSize must be a size like \"8g\", \"512m\" or \"1024k\", got \"ü\""),
        ("claw_deploy", "cpu 0", json!({"image": "ubuntu", "cpu": 0}), "claw_deploy: cpu must be a number above 0 and at most 1024, got 0"),
        ("claw_deploy", "env key starting with a digit", json!({"image": "ubuntu", "env": {"1X": "a"}}), "claw_deploy: env key \"1X\" must be letters, digits and '_', not starting with a digit"),
        ("claw_deploy", "env value an object", json!({"image": "ubuntu", "env": {"A": {}}}), "claw_deploy: env A must be a string, number or boolean, got an object"),
        ("claw_deploy", "env a string", json!({"image": "ubuntu", "env": "A=1"}), "claw_deploy: env must be an object like {\"EPOCHS\": \"3\"}, got a string"),
        ("claw_deploy", "command empty", json!({"image": "ubuntu", "command": []}), "claw_deploy: command must hold at least one string; omit it to use the image's default"),
        ("claw_deploy", "command a string", json!({"image": "ubuntu", "command": "python x.py"}), "claw_deploy: command must be an array of strings, e.g. [\"python x.py\"], got a string"),
        ("claw_deploy", "command item a number", json!({"image": "ubuntu", "command": ["a", 1]}), "claw_deploy: command[1] must be a string, got a number"),
        ("claw_deploy", "strategy \"random\"", json!({"image": "ubuntu", "strategy": "random"}), "claw_deploy: strategy must be \"binpack\" or \"spread\", got \"random\""),
        ("claw_deploy", "preferNode naming no node", json!({"image": "ubuntu", "preferNode": "x"}), "claw_deploy: preferNode \"x\" names no connected clawnode; connected: gpu-01, gpu-02"),
        ("claw_deploy", "minVramMb 0", json!({"image": "ubuntu", "minVramMb": 0}), "claw_deploy: minVramMb must be a whole number from 1 to 10000000, got 0"),
        ("claw_multi_invoke", "command missing", json!({}), "claw_multi_invoke: command is required"),
        ("claw_multi_invoke", "command \"rm -rf /\"", json!({"command": "rm -rf /"}), "claw_multi_invoke: command \"rm -rf /\" is not a clawnode command name (like gpu.metrics)"),
        ("claw_multi_invoke", "command \"Node.Health\"", json!({"command": "Node.Health"}), "claw_multi_invoke: command \"Node.Health\" is not a clawnode command name (like gpu.metrics)"),
        ("claw_multi_invoke", "command \"node.\"", json!({"command": "node."}), "claw_multi_invoke: command \"node.\" is not a clawnode command name (like gpu.metrics)"),
        ("claw_multi_invoke", "params an array", json!({"command": "node.health", "params": []}), "claw_multi_invoke: params must be a JSON object such as {}, got an array"),
        ("claw_multi_invoke", "params a JSON string", json!({"command": "node.health", "params": "{}"}), "claw_multi_invoke: params must be a JSON object such as {}, got a string"),
        ("claw_multi_invoke", "params null", json!({"command": "node.health", "params": null}), "claw_multi_invoke: params must be a JSON object such as {}, got null"),
        ("claw_multi_invoke", "params over 64 KB", json!({"command": "node.health", "params": {"a": "x".repeat(70_000)}}), "claw_multi_invoke: params must be at most 64 KB of JSON"),
        ("claw_multi_invoke", "nodes a string", json!({"command": "node.health", "nodes": "gpu-01"}), "claw_multi_invoke: nodes must be an array of strings, e.g. [\"gpu-01\"], got a string"),
        ("claw_multi_invoke", "nodes naming no node", json!({"command": "node.health", "nodes": ["gpu-01", "ghost"]}), "claw_multi_invoke: nodes \"ghost\" names no connected clawnode; connected: gpu-01, gpu-02"),
        ("claw_multi_invoke", "timeoutMs 50", json!({"command": "node.health", "timeoutMs": 50}), "claw_multi_invoke: timeoutMs must be a whole number from 100 to 600000, got 50"),
    ];
    for (tool, case, a, want) in cases {
        rec.check(area, &format!("{tool}: {case}"), want.to_owned(), err(&p, tool, a));
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
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-zA-Z]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect()))
        ]
    })
}

#[test]
fn any_value_for_any_argument_gives_a_result_or_an_error_naming_the_field() {
    let rec = Recorder::new("args-fuzz");
    let p = Plugin::new(Config::default());
    let strategy = (0..TOOL_NAMES.len(), any::<prop::sample::Index>(), any_json());
    let out = runner(600).run(&strategy, |(t, k, v)| {
        let tool = TOOL_NAMES[t];
        let keys = accepted(tool);
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
        match block_on(tools::call(&p, &host(), tool, &Value::Object(a))) {
            Ok(_) => Ok(()),
            Err(e) => {
                let named = e.contains(key.trim_end_matches('s'))
                    || e.contains("no node can host")
                    || e.contains("no connected clawnode declares");
                prop_assert!(e.starts_with(&format!("{tool}: ")) && named, "{tool} {key}={v}: {e}");
                Ok(())
            }
        }
    });
    let observed = match out {
        Ok(()) => "holds for 600 generated cases".to_owned(),
        Err(e) => format!("fails: {e}"),
    };
    rec.check("tool arguments", "any JSON value (nested, huge, flag-like) for any argument of any tool → a result, or an error starting with the tool and naming the argument; never a panic",
        "holds for 600 generated cases".to_owned(), observed);
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
    let refused: Vec<(&str, Value, &str)> = vec![
        ("image", json!("--privileged"), "image \"--privileged\" is not a valid image reference: it starts with '-'"),
        (
            "image",
            json!("ubuntu --privileged"),
            "image \"ubuntu --privileged\" is not a valid image reference: it contains white space",
        ),
        (
            "image",
            json!("ubuntu\n--privileged"),
            "image \"ubuntu\\n--privileged\" is not a valid image reference: it contains white space",
        ),
        (
            "name",
            json!("--privileged"),
            "name \"--privileged\" must be 1-63 letters, digits, '_', '.' or '-', starting with a letter or digit",
        ),
        (
            "name",
            json!("x --network=host"),
            "name \"x --network=host\" must be 1-63 letters, digits, '_', '.' or '-', starting with a letter or digit",
        ),
        (
            "memory",
            json!("8g --privileged"),
            "memory must be a size like \"8g\", \"512m\" or \"1024k\", got \"8g --privileged\"",
        ),
        (
            "memory",
            json!("--privileged"),
            "memory must be a size like \"8g\", \"512m\" or \"1024k\", got \"--privileged\"",
        ),
        (
            "shmSize",
            json!("1g --cap-add=ALL"),
            "shmSize must be a size like \"8g\", \"512m\" or \"1024k\", got \"1g --cap-add=ALL\"",
        ),
        ("volumes", json!(["--privileged"]), "volume \"--privileged\" must be host:container or host:container:ro"),
        (
            "volumes",
            json!(["/:/host"]),
            "volume \"/:/host\" would give the container the host's root or its container engine",
        ),
        (
            "volumes",
            json!(["//:/host"]),
            "volume \"//:/host\" would give the container the host's root or its container engine",
        ),
        (
            "volumes",
            json!(["/./:/host:ro"]),
            "volume \"/./:/host:ro\" would give the container the host's root or its container engine",
        ),
        (
            "volumes",
            json!(["/var/run/docker.sock:/s"]),
            "volume \"/var/run/docker.sock:/s\" would give the container the host's root or its container engine",
        ),
        (
            "volumes",
            json!(["/data:/data --privileged"]),
            "volume \"/data:/data --privileged\" must not contain white space",
        ),
        (
            "volumes",
            json!(["/data:/data:ro,--privileged"]),
            "volume \"/data:/data:ro,--privileged\" options may be ro, rw, z, Z",
        ),
        (
            "volumes",
            json!(["/a/../etc:/x"]),
            "volume \"/a/../etc:/x\" must name an absolute host path or a volume name as its source",
        ),
        ("env", json!({"A B": "1"}), "env key \"A B\" must be letters, digits and '_', not starting with a digit"),
        ("env", json!(["--privileged"]), "env item \"--privileged\" must be KEY=VALUE"),
        ("env", json!(["-e=1"]), "env key \"-e\" must be letters, digits and '_', not starting with a digit"),
    ];
    for (k, v, want) in refused {
        rec.check(area, &format!("{k} = {v}"), format!("claw_deploy: {want}"), err(&p, "claw_deploy", base(k, v)));
    }
    // What is accepted goes to the node as data, each value in its own field (never joined into a command line).
    let a = json!({"image": "ubuntu", "dryRun": true, "command": ["--privileged"], "env": {"A": "x --privileged"}, "gpus": 0});
    let d = block_on(tools::call(&p, &host(), "claw_deploy", &a)).unwrap().details();
    rec.check(area, "command [\"--privileged\"] and env value with a flag: passed as the container's argv / one env string, not docker flags",
        json!({"image": "ubuntu", "command": ["--privileged"], "env": ["A=x --privileged"]}), d["runParams"].clone());
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
            err(&p, "claw_multi_invoke", json!({"command": c})));
    }
    let allowed =
        Plugin::new(Config::from_json(r#"{"multiInvoke": {"allow": ["secret.get", "auth.create_key"]}}"#).unwrap());
    let h = host();
    let d = block_on(tools::call(
        &allowed,
        &h,
        "claw_multi_invoke",
        &json!({"command": "secret.get", "params": {"name": "db-creds"}}),
    ))
    .unwrap();
    rec.check(
        area,
        "secret.get allowed: values redacted in details and text",
        (json!({"password": REDACTED, "username": REDACTED}), false),
        (
            d.details()["results"][0]["payload"]["data"].clone(),
            d.text.contains("s3cret") || d.details().to_string().contains("s3cret"),
        ),
    );
    let d = block_on(tools::call(
        &allowed,
        &h,
        "claw_multi_invoke",
        &json!({"command": "auth.create_key", "params": {"name": "ci"}}),
    ))
    .unwrap();
    let secret = fixture("auth.create_key")["secret"].as_str().unwrap().to_owned();
    rec.check(
        area,
        "auth.create_key allowed: the key's secret redacted in details and text",
        (json!(REDACTED), false),
        (
            d.details()["results"][0]["payload"]["secret"].clone(),
            d.text.contains(&secret) || d.details().to_string().contains(&secret),
        ),
    );
    let reveal =
        Plugin::new(Config::from_json(r#"{"multiInvoke": {"allow": ["secret.get"], "revealSecrets": true}}"#).unwrap());
    let d = block_on(tools::call(
        &reveal,
        &h,
        "claw_multi_invoke",
        &json!({"command": "secret.get", "params": {"name": "db-creds"}}),
    ))
    .unwrap();
    rec.check(
        area,
        "secret.get with revealSecrets: true shows the value",
        json!("s3cret!@#"),
        d.details()["results"][0]["payload"]["data"]["password"].clone(),
    );
    let ro = Plugin::new(Config::from_json(r#"{"readOnly": true, "multiInvoke": {"allow": ["system.run"]}}"#).unwrap());
    rec.check(
        area,
        "readOnly refuses an allowed sensitive command",
        "claw_multi_invoke: system.run changes state and the plugin is read-only (readOnly: true)".to_owned(),
        err(&ro, "claw_multi_invoke", json!({"command": "system.run"})),
    );
    let deny = Plugin::new(Config::from_json(r#"{"multiInvoke": {"deny": ["node.health"]}}"#).unwrap());
    rec.check(
        area,
        "deny list wins over a read command",
        "claw_multi_invoke: node.health is denied by the operator (multiInvoke.deny)".to_owned(),
        err(&deny, "claw_multi_invoke", json!({"command": "node.health"})),
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
        (r#"{"thresholds": {"diskCritPercent": 101}}"#, "invalid clawbernetes config: thresholds.disk critical must be between 0 and 100, got 101"),
        (r#"{"thresholds": {"gpuTempWarnC": -5}}"#, "invalid clawbernetes config: thresholds.gpuTemp warning must be between 0 and 150, got -5"),
        (r#"{"thresholds": {"failuresToOffline": -1}}"#, "invalid clawbernetes config: thresholds.failuresToOffline: invalid value: integer `-1`, expected u32"),
        (r#"{"thresholds": {"failuresToUnhealthy": 0}}"#, "invalid clawbernetes config: thresholds: need 1 <= failuresToUnhealthy (0) <= failuresToOffline (5)"),
        (r#"{"thresholds": {"failuresToUnhealthy": 6}}"#, "invalid clawbernetes config: thresholds: need 1 <= failuresToUnhealthy (6) <= failuresToOffline (5)"),
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
fn memory_sizes_never_panic() {
    let rec = Recorder::new("args-memory-fuzz");
    let out = runner(500).run(&"\\PC{0,12}", |s| {
        let _ = args::memory_mb("memory", &s);
        let _ = args::image(&s);
        let _ = args::volume(&s);
        let _ = args::container_name(&s);
        Ok(())
    });
    rec.check(
        "tool arguments",
        "any short string as a memory size, image, volume or name: never a panic",
        "holds for 500 generated cases".to_owned(),
        out.map(|()| "holds for 500 generated cases".to_owned()).unwrap_or_else(|e| format!("fails: {e}")),
    );
}

//! Each wire mode's `connect` params, key by key and value by value, and its signature checked
//! over the exact signed string.
//!
//! The facts (copied here; tests do not read `shared/`):
//! - `shared/reference/clawnode-wire.md` §3: the frame's keys, protocol 3 for clawnode, the v2
//!   and v3 signed strings, `scopes: []` for a node OpenClaw 2026.9.6 will pair.
//! - clawnode's source, clawbernetes `8cd7d81`: `crates/clawnode/src/client.rs` (`PROTOCOL_VERSION
//!   = 3`, `client.id "node-host"`, `platform = format!("{} {}", OS, ARCH)`, `version =
//!   CARGO_PKG_VERSION` = `0.1.0`, a uuid v4 `instanceId`, no `deviceFamily`, `scopes:
//!   ["node"]`), `crates/claw-identity/src/lib.rs` (`build_auth_payload`: `v2|deviceId|clientId|
//!   clientMode|role|scopes|signedAtMs|token|nonce`), `crates/clawnode/src/lib.rs` (the command
//!   list in declaration order, caps).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use clawsim::identity::Identity;
use clawsim::wire::{self, connect_params, Hello, WireMode};
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use serde_json::{json, Value};

const NONCE: &str = "4f9c1d2e-0b7a-4c3d-9e8f-1a2b3c4d5e6f";
const SIGNED_AT: u64 = 1_795_634_851_669;
const TOKEN: &str = "0123456789abcdef0123456789abcdef";
const INSTANCE: &str = "9b2f6c1e-3d4a-4b5c-8d7e-6f5a4b3c2d1e";

/// What a default clawnode build declares, in clawnode's own order (`lib.rs`: `NodeState::new`'s
/// 38, then secret, deploy, volume, backup, auth, audit, autoscale).
const CLAWNODE_COMMANDS: [&str; 68] = [
    "system.info",
    "system.run",
    "system.which",
    "gpu.list",
    "gpu.metrics",
    "workload.run",
    "workload.stop",
    "workload.logs",
    "workload.list",
    "workload.inspect",
    "workload.stats",
    "container.exec",
    "node.capabilities",
    "node.health",
    "config.create",
    "config.get",
    "config.update",
    "config.delete",
    "config.list",
    "job.create",
    "job.status",
    "job.logs",
    "job.delete",
    "cron.create",
    "cron.list",
    "cron.trigger",
    "cron.suspend",
    "cron.resume",
    "namespace.create",
    "namespace.set_quota",
    "namespace.usage",
    "namespace.list",
    "node.label",
    "node.taint",
    "node.drain",
    "policy.create",
    "policy.validate",
    "policy.list",
    "secret.create",
    "secret.get",
    "secret.delete",
    "secret.list",
    "secret.rotate",
    "deploy.create",
    "deploy.status",
    "deploy.update",
    "deploy.rollback",
    "deploy.history",
    "deploy.promote",
    "deploy.pause",
    "deploy.delete",
    "volume.create",
    "volume.mount",
    "volume.unmount",
    "volume.snapshot",
    "volume.list",
    "volume.delete",
    "backup.create",
    "backup.restore",
    "backup.list",
    "auth.create_key",
    "auth.revoke_key",
    "auth.list_keys",
    "audit.query",
    "autoscale.create",
    "autoscale.status",
    "autoscale.adjust",
    "autoscale.delete",
];

fn hello(wire: WireMode) -> Hello {
    Hello {
        wire,
        display_name: "gpu-h100-a".to_string(),
        caps: wire::caps(8, "docker"),
        commands: clawsim::default_build_commands(),
        token: TOKEN.to_string(),
    }
}

/// Checks `params.device.signature` is the device key's Ed25519 signature of `signed`, then
/// returns the params with the signature taken out (the rest is compared as a whole).
fn check_signature(mut params: Value, id: &Identity, signed: &str) -> Value {
    let sig = params["device"].as_object_mut().unwrap().remove("signature").unwrap();
    let sig: [u8; 64] = URL_SAFE_NO_PAD.decode(sig.as_str().unwrap()).unwrap().try_into().unwrap();
    let key: [u8; 32] = URL_SAFE_NO_PAD.decode(&id.public_key).unwrap().try_into().unwrap();
    VerifyingKey::from_bytes(&key).unwrap().verify(signed.as_bytes(), &Signature::from_bytes(&sig)).unwrap();
    params
}

fn expected(wire: WireMode, id: &Identity, client: Value, scopes: Value) -> Value {
    let protocol = if wire == WireMode::Current { 4 } else { 3 };
    json!({
        "minProtocol": protocol,
        "maxProtocol": protocol,
        "client": client,
        "caps": ["system", "gpu", "nvidia", "docker", "container"],
        "commands": CLAWNODE_COMMANDS.to_vec(),
        "auth": {"token": TOKEN},
        "role": "node",
        "scopes": scopes,
        "device": {"id": id.device_id, "publicKey": id.public_key, "signedAt": SIGNED_AT, "nonce": NONCE},
    })
}

#[test]
fn the_declared_commands_are_a_default_clawnode_build_in_its_order() {
    assert_eq!(clawsim::default_build_commands(), CLAWNODE_COMMANDS);
}

#[test]
fn current_mode_speaks_protocol_4_and_signs_v3() {
    let id = Identity::from_seed([3; 32]);
    let p = connect_params(&hello(WireMode::Current), &id, NONCE, SIGNED_AT, INSTANCE);
    let signed = format!("v3|{}|node-host|node|node||{SIGNED_AT}|{TOKEN}|{NONCE}|linux|linux", id.device_id);
    let p = check_signature(p, &id, &signed);
    let client = json!({
        "id": "node-host",
        "displayName": "gpu-h100-a",
        "version": "clawsim-0.1.0",
        "platform": "linux",
        "deviceFamily": "Linux",
        "mode": "node",
        "instanceId": INSTANCE,
    });
    assert_eq!(p, expected(WireMode::Current, &id, client, json!([])));
}

#[test]
fn legacy_mode_is_a_clawnode_release_with_scopes_emptied() {
    let id = Identity::from_seed([4; 32]);
    let p = connect_params(&hello(WireMode::Legacy), &id, NONCE, SIGNED_AT, INSTANCE);
    let signed = format!("v2|{}|node-host|node|node||{SIGNED_AT}|{TOKEN}|{NONCE}", id.device_id);
    let p = check_signature(p, &id, &signed);
    let client = json!({
        "id": "node-host",
        "displayName": "gpu-h100-a",
        "version": "0.1.0",
        "platform": "linux x86_64",
        "mode": "node",
        "instanceId": INSTANCE,
    });
    assert_eq!(p, expected(WireMode::Legacy, &id, client, json!([])));
    assert!(p["client"].get("deviceFamily").is_none());
}

#[test]
fn legacy_scopes_mode_is_clawnode_unmodified_asking_for_the_node_scope() {
    let id = Identity::from_seed([5; 32]);
    let p = connect_params(&hello(WireMode::LegacyScopes), &id, NONCE, SIGNED_AT, INSTANCE);
    let signed = format!("v2|{}|node-host|node|node|node|{SIGNED_AT}|{TOKEN}|{NONCE}", id.device_id);
    let p = check_signature(p, &id, &signed);
    let client = json!({
        "id": "node-host",
        "displayName": "gpu-h100-a",
        "version": "0.1.0",
        "platform": "linux x86_64",
        "mode": "node",
        "instanceId": INSTANCE,
    });
    assert_eq!(p, expected(WireMode::LegacyScopes, &id, client, json!(["node"])));
}

#[test]
fn the_frame_text_has_sorted_keys_like_clawnodes_serde_json() {
    // clawnode builds the frame with `json!` over a serde_json without `preserve_order`, so
    // every object's keys come out sorted; so do ours.
    let id = Identity::from_seed([6; 32]);
    let text =
        wire::request("r1", "connect", connect_params(&hello(WireMode::Legacy), &id, NONCE, SIGNED_AT, INSTANCE));
    assert!(text.starts_with(r#"{"id":"r1","method":"connect","params":{"auth":{"token":"#), "{text}");
    let client_at = text.find(r#""client":{"displayName":"gpu-h100-a","id":"node-host","instanceId":"#).unwrap();
    assert!(text[client_at..].contains(r#""mode":"node","platform":"linux x86_64","version":"0.1.0"}"#), "{text}");
}

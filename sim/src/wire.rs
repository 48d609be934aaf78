//! Gateway frames a node sends and receives. Pure builders and parsers; the socket is elsewhere.
//!
//! Frames: `{type:"req",id,method,params}` → `{type:"res",id,ok,payload|error}`, and
//! `{type:"event",event,payload}` from the gateway.

use crate::identity::{payload_v2, payload_v3, Identity, SignedFields};
use crate::node::Reply;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The client id every clawnode uses (the gateway's `GATEWAY_CLIENT_IDS.NODE_HOST`).
pub const CLIENT_ID: &str = "node-host";
/// The client mode of a node.
pub const CLIENT_MODE: &str = "node";
/// `client.version` of a clawnode release: its `CARGO_PKG_VERSION`, the clawbernetes
/// workspace version (`Cargo.toml` at clawbernetes `8cd7d81`).
pub const CLAWNODE_VERSION: &str = "0.1.0";
/// `client.version` in the current mode, so gateway logs tell the simulator apart.
pub const CLAWSIM_VERSION: &str = concat!("clawsim-", env!("CARGO_PKG_VERSION"));
/// What clawnode's `std::env::consts` give on an x86-64 Linux host: `format!("{OS} {ARCH}")`
/// (clawnode `client.rs`), which the gateway's command policy resolves to platform `unknown`.
pub const CLAWNODE_PLATFORM: &str = "linux x86_64";
/// Seconds clawnode waits before it reconnects, whatever ended the connection
/// (`reconnect_delay_secs`, default 5, clawnode `main.rs`).
pub const CLAWNODE_RECONNECT_SECS: u64 = 5;

/// How a simulated node connects: the gateway's own node protocol, or what clawnode sends.
///
/// Facts from clawnode's source (clawbernetes `8cd7d81`, `crates/clawnode/src/client.rs` and
/// `crates/claw-identity/src/lib.rs`) and `shared/reference/clawnode-wire.md` §3.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WireMode {
    /// Protocol 4 (min = max = 4), the v3 signed string, platform `linux`, deviceFamily
    /// `Linux`, `scopes: []`.
    #[default]
    Current,
    /// A current clawnode release as an operator runs it against OpenClaw 2026.9.6: protocol 3,
    /// the v2 signed string, platform `linux x86_64`, no deviceFamily, client version `0.1.0`,
    /// a fresh instance id per connect, `scopes: []` (clawnode asks for `["node"]`, which the
    /// gateway refuses; operators rewrite it).
    Legacy,
    /// clawnode unmodified: `Legacy` with `scopes: ["node"]`. OpenClaw 2026.9.6 refuses to pair
    /// it (`invalid scope for requested roles: node`), and the node retries every 5 s.
    LegacyScopes,
}

/// Every wire mode, in the order `--wire` lists them.
pub const WIRE_MODES: [WireMode; 3] = [WireMode::Current, WireMode::Legacy, WireMode::LegacyScopes];

impl WireMode {
    /// The name used on the command line and in fleet files.
    pub fn as_str(self) -> &'static str {
        match self {
            WireMode::Current => "current",
            WireMode::Legacy => "legacy",
            WireMode::LegacyScopes => "legacy-scopes",
        }
    }

    /// Parses `current`, `legacy` or `legacy-scopes`.
    pub fn parse(text: &str) -> Result<WireMode, String> {
        WIRE_MODES.into_iter().find(|m| m.as_str() == text).ok_or_else(|| {
            let names: Vec<&str> = WIRE_MODES.iter().map(|m| m.as_str()).collect();
            format!("wire mode must be one of {}, got {text:?}", names.join(", "))
        })
    }

    /// `minProtocol` = `maxProtocol`.
    pub fn protocol(self) -> u8 {
        match self {
            WireMode::Current => 4,
            WireMode::Legacy | WireMode::LegacyScopes => 3,
        }
    }

    /// Whether this is one of clawnode's modes (protocol 3).
    pub fn is_legacy(self) -> bool {
        self != WireMode::Current
    }

    /// `client.platform`.
    pub fn platform(self) -> &'static str {
        if self.is_legacy() {
            CLAWNODE_PLATFORM
        } else {
            "linux"
        }
    }

    /// `client.deviceFamily` (clawnode sends none).
    pub fn device_family(self) -> Option<&'static str> {
        if self.is_legacy() {
            None
        } else {
            Some("Linux")
        }
    }

    /// `client.version`.
    pub fn client_version(self) -> &'static str {
        if self.is_legacy() {
            CLAWNODE_VERSION
        } else {
            CLAWSIM_VERSION
        }
    }

    /// The `scopes` asked for (and signed).
    pub fn scopes(self) -> Vec<String> {
        match self {
            WireMode::LegacyScopes => vec!["node".to_string()],
            WireMode::Current | WireMode::Legacy => Vec::new(),
        }
    }
}

/// How the node introduces itself.
#[derive(Debug, Clone)]
pub struct Hello {
    pub wire: WireMode,
    /// `client.displayName`: the node's hostname (clawnode sends the OS hostname).
    pub display_name: String,
    pub caps: Vec<String>,
    pub commands: Vec<String>,
    pub token: String,
}

/// The `connect` request's params, signed over the challenge nonce. `instance_id` is
/// `client.instanceId` (clawnode: a fresh uuid v4 on every connect).
pub fn connect_params(hello: &Hello, identity: &Identity, nonce: &str, signed_at_ms: u64, instance_id: &str) -> Value {
    let wire = hello.wire;
    let scopes = wire.scopes();
    let platform = wire.platform();
    let fields = SignedFields {
        device_id: &identity.device_id,
        client_id: CLIENT_ID,
        client_mode: CLIENT_MODE,
        role: "node",
        scopes: &scopes,
        signed_at_ms,
        token: &hello.token,
        nonce,
        platform,
        device_family: wire.device_family().unwrap_or(""),
    };
    let signed = if wire.is_legacy() { payload_v2(&fields) } else { payload_v3(&fields) };
    let mut client = json!({
        "id": CLIENT_ID,
        "displayName": hello.display_name,
        "version": wire.client_version(),
        "platform": platform,
        "mode": CLIENT_MODE,
        "instanceId": instance_id,
    });
    if let (Some(family), Some(obj)) = (wire.device_family(), client.as_object_mut()) {
        obj.insert("deviceFamily".to_string(), json!(family));
    }
    json!({
        "minProtocol": wire.protocol(),
        "maxProtocol": wire.protocol(),
        "client": client,
        "caps": hello.caps,
        "commands": hello.commands,
        "auth": {"token": hello.token},
        "role": "node",
        "scopes": scopes,
        "device": {
            "id": identity.device_id,
            "publicKey": identity.public_key,
            "signature": identity.sign(&signed),
            "signedAt": signed_at_ms,
            "nonce": nonce,
        },
    })
}

/// The container capabilities clawnode declares (`caps`): `system`; `gpu`, `nvidia` when it saw
/// GPUs at start; `docker`, `container` when `docker --version` runs, else `podman`,
/// `container` when `podman --version` runs, else nothing (clawnode `lib.rs` `NodeState::new`).
pub fn caps(gpu_count: u32, container_runtime: &str) -> Vec<String> {
    let mut caps = vec!["system".to_string()];
    if gpu_count > 0 {
        caps.extend(["gpu".to_string(), "nvidia".to_string()]);
    }
    if matches!(container_runtime, "docker" | "podman") {
        caps.extend([container_runtime.to_string(), "container".to_string()]);
    }
    caps
}

/// A request frame.
pub fn request(id: &str, method: &str, params: Value) -> String {
    json!({"type": "req", "id": id, "method": method, "params": params}).to_string()
}

/// The `node.invoke.result` params for a reply.
pub fn invoke_result(invoke_id: &str, node_id: &str, reply: &Reply) -> Value {
    match reply {
        Reply::Ok(payload) => json!({"id": invoke_id, "nodeId": node_id, "ok": true, "payload": payload}),
        Reply::Malformed(text) => json!({"id": invoke_id, "nodeId": node_id, "ok": true, "payloadJSON": text}),
        Reply::Error(message) => json!({
            "id": invoke_id, "nodeId": node_id, "ok": false,
            "error": {"code": "COMMAND_ERROR", "message": if message.is_empty() { "command failed" } else { message }},
        }),
    }
}

/// A heartbeat `node.event`'s params.
pub fn heartbeat(node_id: &str) -> Value {
    json!({"event": "heartbeat", "payload": {"nodeId": node_id}})
}

/// What a frame from the gateway means to a node.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// `connect.challenge` with its nonce.
    Challenge { nonce: String },
    /// `node.invoke.request`.
    Invoke(InvokeRequest),
    /// A response to one of our requests.
    Response { id: String, ok: bool, payload: Value, error: Value },
    /// Any other event (ticks, presence, …).
    OtherEvent(String),
    /// Not a frame we understand.
    Unknown,
}

/// One invoke the gateway wants the node to run.
#[derive(Debug, Clone, PartialEq)]
pub struct InvokeRequest {
    pub id: String,
    pub command: String,
    /// Decoded `paramsJSON` (`Null` when absent or null), or the JSON error text.
    pub params: Result<Value, String>,
    pub timeout_ms: Option<u64>,
}

/// Classifies a text frame from the gateway.
pub fn parse_incoming(text: &str) -> Incoming {
    let Ok(frame) = serde_json::from_str::<Value>(text) else {
        return Incoming::Unknown;
    };
    let str_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    match frame.get("type").and_then(Value::as_str) {
        Some("event") => {
            let event = str_of(&frame, "event").unwrap_or_default();
            let payload = frame.get("payload").cloned().unwrap_or(Value::Null);
            match event.as_str() {
                "connect.challenge" => match str_of(&payload, "nonce") {
                    Some(nonce) => Incoming::Challenge { nonce },
                    None => Incoming::Unknown,
                },
                "node.invoke.request" => {
                    let (Some(id), Some(command)) = (str_of(&payload, "id"), str_of(&payload, "command")) else {
                        return Incoming::Unknown;
                    };
                    let params = match payload.get("paramsJSON") {
                        Some(Value::String(s)) => serde_json::from_str(s).map_err(|e| e.to_string()),
                        _ => Ok(Value::Null),
                    };
                    let timeout_ms = payload.get("timeoutMs").and_then(Value::as_u64);
                    Incoming::Invoke(InvokeRequest { id, command, params, timeout_ms })
                }
                _ => Incoming::OtherEvent(event),
            }
        }
        Some("res") => Incoming::Response {
            id: str_of(&frame, "id").unwrap_or_default(),
            ok: frame.get("ok").and_then(Value::as_bool).unwrap_or(false),
            payload: frame.get("payload").cloned().unwrap_or(Value::Null),
            error: frame.get("error").cloned().unwrap_or(Value::Null),
        },
        _ => Incoming::Unknown,
    }
}

/// A gateway's `error` object: `{code, message, details?: {code?}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayError {
    pub code: String,
    pub message: String,
    /// `details.code`, when the gateway gives one (`PAIRING_REQUIRED`, …).
    pub detail: Option<String>,
}

impl GatewayError {
    /// Reads an `error` value; missing parts become `ERROR` / `no message`.
    pub fn from_value(error: &Value) -> GatewayError {
        GatewayError {
            code: error.get("code").and_then(Value::as_str).unwrap_or("ERROR").to_string(),
            message: error.get("message").and_then(Value::as_str).unwrap_or("no message").to_string(),
            detail: error.pointer("/details/code").and_then(Value::as_str).map(str::to_string),
        }
    }
}

impl std::fmt::Display for GatewayError {
    /// `CODE: message (details.code)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.detail {
            Some(detail) => write!(f, "{}: {} ({detail})", self.code, self.message),
            None => write!(f, "{}: {}", self.code, self.message),
        }
    }
}

/// A one-line summary of a gateway error object (`CODE: message (details.code)`).
pub fn describe_error(error: &Value) -> String {
    GatewayError::from_value(error).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invoke_request_params_are_decoded() {
        let text = r#"{"type":"event","event":"node.invoke.request","payload":{"id":"i1","nodeId":"n","command":"gpu.list","paramsJSON":"{\"a\":1}","timeoutMs":5000,"idempotencyKey":"k"}}"#;
        assert_eq!(
            parse_incoming(text),
            Incoming::Invoke(InvokeRequest {
                id: "i1".into(),
                command: "gpu.list".into(),
                params: Ok(json!({"a": 1})),
                timeout_ms: Some(5000)
            })
        );
        let null =
            r#"{"type":"event","event":"node.invoke.request","payload":{"id":"i2","command":"x","paramsJSON":null}}"#;
        assert!(matches!(parse_incoming(null), Incoming::Invoke(InvokeRequest { params: Ok(Value::Null), .. })));
    }

    #[test]
    fn results_carry_payload_error_or_raw_json() {
        assert_eq!(
            invoke_result("i", "n", &Reply::Ok(json!({"a": 1}))),
            json!({"id": "i", "nodeId": "n", "ok": true, "payload": {"a": 1}})
        );
        assert_eq!(
            invoke_result("i", "n", &Reply::Error("boom".into())),
            json!({"id": "i", "nodeId": "n", "ok": false, "error": {"code": "COMMAND_ERROR", "message": "boom"}})
        );
        assert_eq!(invoke_result("i", "n", &Reply::Malformed("{\"a\":".into()))["payloadJSON"], json!("{\"a\":"));
    }

    #[test]
    fn wire_modes_parse_by_name_and_refuse_others() {
        assert_eq!(WireMode::parse("legacy-scopes"), Ok(WireMode::LegacyScopes));
        assert_eq!(WIRE_MODES.map(WireMode::as_str), ["current", "legacy", "legacy-scopes"]);
        assert_eq!(
            WireMode::parse("v3"),
            Err("wire mode must be one of current, legacy, legacy-scopes, got \"v3\"".to_string())
        );
    }

    #[test]
    fn caps_follow_clawnode_runtime_detection() {
        assert_eq!(caps(8, "docker"), ["system", "gpu", "nvidia", "docker", "container"]);
        assert_eq!(caps(0, "podman"), ["system", "podman", "container"]);
        assert_eq!(caps(2, "none"), ["system", "gpu", "nvidia"]);
    }

    #[test]
    fn gateway_errors_read_code_message_and_detail() {
        let e = GatewayError::from_value(
            &json!({"code": "NOT_PAIRED", "message": "pairing required", "details": {"code": "PAIRING_REQUIRED"}}),
        );
        assert_eq!(e.to_string(), "NOT_PAIRED: pairing required (PAIRING_REQUIRED)");
        assert_eq!(describe_error(&Value::Null), "ERROR: no message");
    }
}

//! Gateway frames a node sends and receives. Pure builders and parsers; the socket is elsewhere.
//!
//! Frames: `{type:"req",id,method,params}` → `{type:"res",id,ok,payload|error}`, and
//! `{type:"event",event,payload}` from the gateway.

use crate::identity::{payload_v2, payload_v3, Identity, SignedFields};
use crate::node::Reply;
use serde_json::{json, Value};

/// The client id every clawnode uses.
pub const CLIENT_ID: &str = "node-host";
/// The client mode of a node.
pub const CLIENT_MODE: &str = "node";

/// How the node introduces itself.
#[derive(Debug, Clone)]
pub struct Hello {
    /// 4 (current: signs the v3 string) or 3 (legacy, what clawnode speaks: signs v2).
    pub protocol: u8,
    pub display_name: String,
    /// `linux` by default; clawnode sends `linux x86_64`, which the gateway's command
    /// policy resolves to the `unknown` platform.
    pub platform: String,
    /// `Linux` (sent with protocol 4 only).
    pub device_family: String,
    pub instance_id: String,
    pub caps: Vec<String>,
    pub commands: Vec<String>,
    pub token: String,
}

/// The `connect` request's params, signed over the challenge nonce.
pub fn connect_params(hello: &Hello, identity: &Identity, nonce: &str, signed_at_ms: u64) -> Value {
    let scopes: Vec<String> = Vec::new();
    let legacy = hello.protocol == 3;
    let device_family = if legacy { "" } else { hello.device_family.as_str() };
    let fields = SignedFields {
        device_id: &identity.device_id,
        client_id: CLIENT_ID,
        client_mode: CLIENT_MODE,
        role: "node",
        scopes: &scopes,
        signed_at_ms,
        token: &hello.token,
        nonce,
        platform: &hello.platform,
        device_family,
    };
    let signed = if legacy { payload_v2(&fields) } else { payload_v3(&fields) };
    let mut client = json!({
        "id": CLIENT_ID,
        "displayName": hello.display_name,
        "version": concat!("clawsim-", env!("CARGO_PKG_VERSION")),
        "platform": hello.platform,
        "mode": CLIENT_MODE,
        "instanceId": hello.instance_id,
    });
    if let (false, Some(obj)) = (legacy, client.as_object_mut()) {
        obj.insert("deviceFamily".to_string(), json!(hello.device_family));
    }
    json!({
        "minProtocol": hello.protocol,
        "maxProtocol": hello.protocol,
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

/// A one-line summary of a gateway error object (`CODE: message (details.code)`).
pub fn describe_error(error: &Value) -> String {
    let code = error.get("code").and_then(Value::as_str).unwrap_or("ERROR");
    let message = error.get("message").and_then(Value::as_str).unwrap_or("no message");
    match error.pointer("/details/code").and_then(Value::as_str) {
        Some(detail) => format!("{code}: {message} ({detail})"),
        None => format!("{code}: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invoke_request_params_are_decoded() {
        let text = r#"{"type":"event","event":"node.invoke.request","payload":{"id":"i1","nodeId":"n","command":"gpu.list","paramsJSON":"{\"a\":1}","timeoutMs":5000,"idempotencyKey":"k"}}"#;
        assert_eq!(
            parse_incoming(text),
            Incoming::Invoke(InvokeRequest { id: "i1".into(), command: "gpu.list".into(), params: Ok(json!({"a": 1})), timeout_ms: Some(5000) })
        );
        let null = r#"{"type":"event","event":"node.invoke.request","payload":{"id":"i2","command":"x","paramsJSON":null}}"#;
        assert!(matches!(parse_incoming(null), Incoming::Invoke(InvokeRequest { params: Ok(Value::Null), .. })));
    }

    #[test]
    fn results_carry_payload_error_or_raw_json() {
        assert_eq!(invoke_result("i", "n", &Reply::Ok(json!({"a": 1}))), json!({"id": "i", "nodeId": "n", "ok": true, "payload": {"a": 1}}));
        assert_eq!(
            invoke_result("i", "n", &Reply::Error("boom".into())),
            json!({"id": "i", "nodeId": "n", "ok": false, "error": {"code": "COMMAND_ERROR", "message": "boom"}})
        );
        assert_eq!(invoke_result("i", "n", &Reply::Malformed("{\"a\":".into()))["payloadJSON"], json!("{\"a\":"));
    }

    #[test]
    fn connect_params_request_no_scopes_and_sign_v3() {
        let id = Identity::from_seed([1; 32]);
        let hello = Hello {
            protocol: 4,
            display_name: "n1".into(),
            platform: "linux".into(),
            device_family: "Linux".into(),
            instance_id: "inst".into(),
            caps: vec!["system".into()],
            commands: vec!["gpu.list".into()],
            token: "t".into(),
        };
        let p = connect_params(&hello, &id, "nonce", 5);
        assert_eq!(p["scopes"], json!([]));
        assert_eq!(p["role"], json!("node"));
        assert_eq!(p["minProtocol"], json!(4));
        assert_eq!(p["client"]["deviceFamily"], json!("Linux"));
        let expected = id.sign(&format!("v3|{}|node-host|node|node||5|t|nonce|linux|linux", id.device_id));
        assert_eq!(p["device"]["signature"], json!(expected));
    }
}

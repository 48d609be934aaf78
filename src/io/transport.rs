//! The gateway's two ways to reach nodes, as pure codecs: node lists from the in-process
//! runtime (`{nodes:[…]}`) and from HTTP `POST /tools/invoke` with the `nodes` tool
//! (`{ok, result:{details:{…}}}`), and the HTTP requests and replies of that tool.

use super::host::FailureKind;
use crate::json::kind;
use crate::node::entry::{Commands, NodeEntry};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::rc::Rc;

/// The fields of a node-list entry the core reads; the wasm layer serialises only these.
pub const NODE_LIST_FIELDS: [&str; 11] = [
    "nodes",
    "nodeId",
    "displayName",
    "connected",
    "approvalState",
    "commands",
    "pendingDeclaredCommands",
    "clientId",
    "caps",
    "platform",
    "deviceFamily",
];

/// Payloads larger than this are refused per node, before they are parsed.
pub const MAX_PAYLOAD_BYTES: usize = 4 * 1024 * 1024;

/// Node lists (and gateway replies, which may carry one) larger than this are refused: a
/// listed node takes about 2.5 KB, so this leaves room for well over 10 000 nodes.
pub const MAX_LIST_BYTES: usize = 64 * 1024 * 1024;

/// Parses the text of a node list, refusing oversized or malformed JSON.
pub fn parse_list_text(text: &str) -> Result<Value, String> {
    if text.len() > MAX_LIST_BYTES {
        return Err(format!("node list too large: {} bytes (limit {MAX_LIST_BYTES})", text.len()));
    }
    serde_json::from_str(text).map_err(|e| format!("node list is not valid JSON: {e}"))
}

/// Reads a node list (`{nodes:[…]}`) from either transport. Malformed entries are skipped
/// only when they lack an id; other fields fall back to safe values (not connected, no commands).
pub fn parse_node_list(v: &Value) -> Result<Vec<Rc<NodeEntry>>, String> {
    let entries = match v.get("nodes") {
        Some(Value::Array(a)) => a,
        Some(other) => return Err(format!("node list: nodes is {}, expected an array", kind(other))),
        None if v.is_object() => return Err("node list: nodes is missing".to_owned()),
        None => return Err(format!("node list: expected an object, got {}", kind(v))),
    };
    let mut out = Vec::new();
    // Nodes of one build declare the same commands: they share one list instead of each
    // holding its own copy of dozens of strings (at fleet scale, megabytes per listing). Only
    // the last few distinct lists are compared, so a fleet of all-different nodes stays linear.
    let mut lists: Vec<(Vec<String>, Commands)> = Vec::new();
    let mut shared = |v: Option<&Value>| -> Commands {
        let declared: Vec<&str> =
            v.and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        let same = |l: &&(Vec<String>, Commands)| {
            l.0.len() == declared.len() && l.0.iter().zip(&declared).all(|(a, b)| a == b)
        };
        match lists.iter().rev().take(8).find(same) {
            Some((_, c)) => c.clone(),
            None => {
                let raw: Vec<String> = declared.iter().map(|c| (*c).to_owned()).collect();
                let c = Commands::new(raw.clone());
                lists.push((raw, c.clone()));
                c
            }
        }
    };
    let mut caps_lists: Vec<Rc<[String]>> = Vec::new();
    let mut shared_caps = |v: Option<&Value>| -> Rc<[String]> {
        let tags: Vec<&str> =
            v.and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        let same = |l: &&Rc<[String]>| l.len() == tags.len() && l.iter().zip(&tags).all(|(a, b)| a == b);
        match caps_lists.iter().rev().take(8).find(same) {
            Some(l) => Rc::clone(l),
            None => {
                let l: Rc<[String]> = tags.iter().map(|c| (*c).to_owned()).collect();
                caps_lists.push(Rc::clone(&l));
                l
            }
        }
    };
    for n in entries {
        let Value::Object(map) = n else { continue };
        let Some(id) = map.get("nodeId").and_then(Value::as_str).filter(|s| !s.is_empty()) else { continue };
        let text = |k: &str| map.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        let name = map.get("displayName").and_then(Value::as_str).filter(|s| !s.is_empty()).unwrap_or(id);
        let approval = map.get("approvalState").and_then(Value::as_str).unwrap_or("");
        out.push(Rc::new(NodeEntry {
            id: id.to_owned(),
            name: name.to_owned(),
            connected: map.get("connected").and_then(Value::as_bool).unwrap_or(false),
            commands: shared(map.get("commands")),
            pending: shared(map.get("pendingDeclaredCommands")),
            pending_approval: approval.starts_with("pending"),
            client_id: text("clientId"),
            caps: shared_caps(map.get("caps")),
            platform: text("platform"),
            device_family: text("deviceFamily"),
        }));
    }
    Ok(out)
}

/// The last node list and what it parsed to: the gateway's list rarely changes between calls,
/// and parsing thousands of entries costs more than comparing the text.
#[derive(Debug, Default)]
pub struct ListCache {
    last: RefCell<Option<(String, Vec<Rc<NodeEntry>>)>>,
}

impl ListCache {
    /// The nodes of a runtime node list's JSON text, reusing the last parse when the text is
    /// the same.
    pub fn parse(&self, text: String) -> Result<Vec<Rc<NodeEntry>>, String> {
        if let Some((last, nodes)) = self.last.borrow().as_ref() {
            if *last == text {
                return Ok(nodes.clone());
            }
        }
        let nodes = parse_node_list(&parse_list_text(&text)?)?;
        *self.last.borrow_mut() = Some((text, nodes.clone()));
        Ok(nodes)
    }
}

/// Checks a node's payload text before it is parsed: refuses oversized text.
pub fn check_payload(text: String) -> Result<String, String> {
    if text.len() > MAX_PAYLOAD_BYTES {
        return Err(format!("payload too large: {} bytes (limit {MAX_PAYLOAD_BYTES})", text.len()));
    }
    Ok(text)
}

/// The body of `POST /tools/invoke` that lists nodes.
pub fn http_list_body() -> String {
    json!({"tool": "nodes", "action": "status", "args": {}}).to_string()
}

/// The body of `POST /tools/invoke` that invokes `command` on `node_id`.
pub fn http_invoke_body(node_id: &str, command: &str, params: &Value, timeout_ms: u64) -> String {
    json!({
        "tool": "nodes",
        "action": "invoke",
        "args": {
            "node": node_id,
            "invokeCommand": command,
            "invokeParamsJson": params.to_string(),
            "invokeTimeoutMs": timeout_ms,
        }
    })
    .to_string()
}

#[derive(Deserialize)]
struct Reply<'a> {
    #[serde(default)]
    ok: Option<bool>,
    #[serde(default)]
    error: Option<Value>,
    #[serde(borrow, default)]
    result: Option<ReplyResult<'a>>,
}

#[derive(Deserialize)]
struct ReplyResult<'a> {
    #[serde(borrow, default)]
    details: Option<&'a RawValue>,
}

/// Reads a `POST /tools/invoke` reply and returns the JSON text of `result.details`, or says
/// what went wrong and how to fix it.
pub fn http_details(status: u16, body: &str, gateway_url: &str) -> Result<String, String> {
    match status {
        401 | 403 => {
            return Err(format!(
                "the gateway at {gateway_url} refused the token (HTTP {status}): set gatewayToken in the plugin config \
                 or OPENCLAW_GATEWAY_TOKEN to the gateway's token"
            ))
        }
        404 => {
            return Err(format!(
                "the gateway at {gateway_url} does not allow the nodes tool over HTTP (HTTP 404): add \"nodes\" to \
                 gateway.tools.allow in openclaw.json, or use transport \"runtime\" inside the gateway"
            ))
        }
        _ => {}
    }
    if body.len() > MAX_LIST_BYTES {
        return Err(format!("gateway reply too large: {} bytes (limit {MAX_LIST_BYTES})", body.len()));
    }
    let v: Reply = serde_json::from_str(body)
        .map_err(|_| format!("the gateway answered HTTP {status} with a body that is not JSON"))?;
    if !(200..300).contains(&status) || v.ok != Some(true) {
        let err = v.error.as_ref();
        let message = err.and_then(|e| e.get("message")).and_then(Value::as_str).unwrap_or("no message");
        let kind_ = err.and_then(|e| e.get("type")).and_then(Value::as_str).unwrap_or("error");
        return Err(format!("gateway error (HTTP {status} {kind_}): {message}"));
    }
    match v.result.and_then(|r| r.details) {
        Some(d) if d.get().starts_with('{') => Ok(d.get().to_owned()),
        Some(d) => Err(format!(
            "gateway reply: result.details is {}, expected an object",
            serde_json::from_str::<Value>(d.get()).map_or("unreadable", |v| kind(&v))
        )),
        None => Err("gateway reply has no result.details".to_owned()),
    }
}

/// What a failed runtime invoke means, from the error's name, code, `details.code`, message
/// and `retryable` flag: the host's own backpressure (its worker pool full, or an error it
/// marks retryable such as `PAIRING_CHANGED` before dispatch) is retried; a timeout, a
/// disconnect or an abort means the node gave no answer; anything else (a `COMMAND_ERROR`,
/// output the gateway could not read) came from a live node, whose other commands are still
/// worth asking.
pub fn runtime_failure_kind(text: &str, retryable: bool) -> FailureKind {
    const SILENT: [&str; 7] = [
        "TIMEOUT",
        "timed out",
        "NOT_CONNECTED",
        "not connected",
        "AbortError",
        "aborted",
        "while invocation was active",
    ];
    const OVERLOAD: [&str; 2] = ["capacity reached", "overloaded"];
    if OVERLOAD.iter().any(|s| text.contains(s))
        || ["before dispatch", "before request dispatch"].iter().any(|s| text.contains(s))
    {
        // "… before dispatch": the gateway could not confirm the node's pairing in time (its
        // shared-state pool was busy, `node pairing state unavailable before dispatch`, not
        // marked retryable) and never sent the invoke: safe to send again, whatever the command
        FailureKind::Backpressure
    } else if SILENT.iter().any(|s| text.contains(s)) {
        FailureKind::Silent
    } else if retryable {
        FailureKind::Backpressure
    } else {
        FailureKind::NodeError
    }
}

/// What a failed HTTP `nodes` invoke means: the gateway refusing for now (429, 503) is
/// backpressure; its sanitised 500 `tool_error` stands for both a node's own error and a node
/// that timed out, so one that came back only after the invoke's deadline (`waited_ms` ≥
/// `deadline_ms`) counts as silent; anything else means the node was not reached.
pub fn http_failure_kind(status: u16, body: &str, waited_ms: f64, deadline_ms: u64) -> FailureKind {
    if matches!(status, 429 | 503) {
        FailureKind::Backpressure
    } else if http_node_answered(status, body) && waited_ms < deadline_ms as f64 {
        FailureKind::NodeError
    } else {
        FailureKind::Silent
    }
}

/// Whether a failed HTTP `nodes` invoke reply means the node itself answered with an error:
/// the gateway turns a node's `COMMAND_ERROR` into HTTP 500 `tool_error` (message sanitised),
/// so the node is alive and its other commands are still worth asking.
pub fn http_node_answered(status: u16, body: &str) -> bool {
    status == 500
        && serde_json::from_str::<Value>(body)
            .ok()
            .and_then(|v| v.get("error")?.get("type")?.as_str().map(|t| t == "tool_error"))
            .unwrap_or(false)
}

#[derive(Deserialize)]
struct InvokeDetails<'a> {
    #[serde(borrow, default)]
    payload: Option<&'a RawValue>,
    #[serde(rename = "payloadJSON", default)]
    payload_json: Option<String>,
}

/// The node's payload text inside an HTTP `nodes` invoke's `result.details`: `payloadJSON`
/// when it is text — the node's answer as sent, which the gateway also wraps as
/// `payload: {payloadJSON}` when it cannot parse it —, else `payload`, as the runtime transport
/// reads them.
pub fn http_invoke_payload(details: &str) -> Result<String, String> {
    let d: InvokeDetails =
        serde_json::from_str(details).map_err(|e| format!("gateway reply: result.details is not an object ({e})"))?;
    match (d.payload, d.payload_json) {
        (_, Some(text)) => check_payload(text),
        (Some(p), None) if p.get() != "null" => check_payload(p.get().to_owned()),
        _ => Err("gateway reply has no payload".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_replies_say_what_to_fix() {
        let url = "http://127.0.0.1:18789";
        assert!(http_details(404, "{}", url).unwrap_err().contains("add \"nodes\" to gateway.tools.allow"));
        assert!(http_details(401, "", url).unwrap_err().contains("refused the token (HTTP 401)"));
        assert_eq!(
            http_details(500, r#"{"ok":false,"error":{"type":"tool_error","message":"tool execution failed"}}"#, url)
                .unwrap_err(),
            "gateway error (HTTP 500 tool_error): tool execution failed"
        );
        assert_eq!(
            http_details(200, "<html>", url).unwrap_err(),
            "the gateway answered HTTP 200 with a body that is not JSON"
        );
        let d = http_details(200, r#"{"ok":true,"result":{"details":{"payload":{"a":1}}}}"#, url).unwrap();
        assert_eq!(http_invoke_payload(&d).unwrap(), r#"{"a":1}"#);
        // a payload the gateway could not parse comes back as payloadJSON (and wrapped in payload):
        // the node's text, as the runtime transport reads it
        let cut = r#"{"ok":true,"result":{"details":{"payload":{"payloadJSON":"{\"count\":1"},"payloadJSON":"{\"count\":1"}}}"#;
        assert_eq!(http_invoke_payload(&http_details(200, cut, url).unwrap()).unwrap(), r#"{"count":1"#);
    }

    #[test]
    fn a_sanitised_500_after_the_deadline_is_a_timeout() {
        let tool_error = r#"{"ok":false,"error":{"type":"tool_error","message":"tool execution failed"}}"#;
        assert_eq!(http_failure_kind(500, tool_error, 120.0, 30_000), FailureKind::NodeError);
        assert_eq!(http_failure_kind(500, tool_error, 30_004.0, 30_000), FailureKind::Silent);
        assert_eq!(http_failure_kind(503, "", 5.0, 30_000), FailureKind::Backpressure);
        assert_eq!(http_failure_kind(502, "bad gateway", 5.0, 30_000), FailureKind::Silent);
    }

    #[test]
    fn backpressure_is_retried_and_only_timeouts_disconnects_and_aborts_are_silence() {
        use FailureKind::*;
        let cases = [
            ("UNAVAILABLE: WorkerTaskError: worker task capacity reached: code=overloaded", false, Backpressure),
            ("UNAVAILABLE: node pairing changed before request dispatch", true, Backpressure),
            ("UNAVAILABLE: node pairing state unavailable before dispatch", false, Backpressure),
            ("UNAVAILABLE: TIMEOUT: node invoke timed out", false, Silent),
            ("NOT_CONNECTED: node not connected", false, Silent),
            ("UNAVAILABLE: node pairing changed while invocation was active", true, Silent),
            ("AbortError: This operation was aborted", false, Silent),
            ("UNAVAILABLE: COMMAND_ERROR: containerId or name required", false, NodeError),
            ("INVALID_REQUEST: invalid payload", false, NodeError),
        ];
        for (text, retryable, kind) in cases {
            assert_eq!(runtime_failure_kind(text, retryable), kind, "{text}");
        }
    }

    #[test]
    fn node_lists_keep_ids_and_fall_back_safely() {
        let v = json!({"nodes": [
            {"nodeId": "a", "displayName": "gpu-01", "connected": true, "commands": ["node.health"], "approvalState": "approved",
             "clientId": "node-host", "caps": ["system", "container"], "platform": "linux x86_64"},
            {"nodeId": "b", "connected": "yes", "commands": "x", "approvalState": "pending-approval",
             "pendingDeclaredCommands": ["node.health", "node.capabilities"]},
            {"displayName": "no id"},
            7
        ]});
        let nodes = parse_node_list(&v).unwrap();
        assert_eq!(nodes.len(), 2);
        assert_eq!(
            (nodes[0].name.as_str(), nodes[0].connected, nodes[0].commands.has("node.health")),
            ("gpu-01", true, true)
        );
        assert_eq!((nodes[0].platform.as_str(), nodes[0].device_family.as_str()), ("linux x86_64", ""));
        assert_eq!((nodes[1].name.as_str(), nodes[1].connected, nodes[1].pending_approval), ("b", false, true));
        assert!(nodes[1].is_clawnode() && nodes[0].is_clawnode());
    }
}

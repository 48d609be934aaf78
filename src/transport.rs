//! The gateway's two ways to reach nodes, as pure codecs: node lists from the in-process
//! runtime (`{nodes:[…]}`) and from HTTP `POST /tools/invoke` with the `nodes` tool
//! (`{ok, result:{details:{…}}}`), and the HTTP requests and replies of that tool.

use crate::host::NodeEntry;
use crate::json::{kind, Fields};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::rc::Rc;

/// The fields of a node-list entry the core reads; the wasm layer serialises only these.
pub const NODE_LIST_FIELDS: [&str; 6] = ["nodes", "nodeId", "displayName", "connected", "approvalState", "commands"];

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
pub fn parse_node_list(v: &Value) -> Result<Vec<NodeEntry>, String> {
    let f = Fields::of(v, "node list")?;
    let mut out = Vec::new();
    // Nodes of one build declare the same commands: they share one list instead of each
    // holding its own copy of dozens of strings (at fleet scale, megabytes per listing). Only
    // the last few distinct lists are compared, so a fleet of all-different nodes stays linear.
    let mut lists: Vec<Rc<[String]>> = Vec::new();
    for n in f.arr("nodes")? {
        let Value::Object(map) = n else { continue };
        let Some(id) = map.get("nodeId").and_then(Value::as_str).filter(|s| !s.is_empty()) else { continue };
        let name = map.get("displayName").and_then(Value::as_str).filter(|s| !s.is_empty()).unwrap_or(id);
        let declared: Vec<&str> = map
            .get("commands")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let same = |l: &&Rc<[String]>| l.len() == declared.len() && l.iter().zip(&declared).all(|(a, b)| a == b);
        let commands = match lists.iter().rev().take(8).find(same) {
            Some(l) => Rc::clone(l),
            None => {
                let l: Rc<[String]> = declared.iter().map(|c| (*c).to_owned()).collect();
                lists.push(Rc::clone(&l));
                l
            }
        };
        let approval = map.get("approvalState").and_then(Value::as_str).unwrap_or("");
        out.push(NodeEntry {
            id: id.to_owned(),
            name: name.to_owned(),
            connected: map.get("connected").and_then(Value::as_bool).unwrap_or(false),
            commands,
            pending_approval: approval.starts_with("pending"),
        });
    }
    Ok(out)
}

/// The last node list and what it parsed to: the gateway's list rarely changes between calls,
/// and parsing thousands of entries costs more than comparing the text.
#[derive(Debug, Default)]
pub struct ListCache {
    last: RefCell<Option<(String, Vec<NodeEntry>)>>,
}

impl ListCache {
    /// The nodes of a runtime node list's JSON text, reusing the last parse when the text is
    /// the same.
    pub fn parse(&self, text: String) -> Result<Vec<NodeEntry>, String> {
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

/// Parses a node's payload text, refusing oversized or malformed JSON.
pub fn parse_payload(text: &str) -> Result<Value, String> {
    if text.len() > MAX_PAYLOAD_BYTES {
        return Err(format!("payload too large: {} bytes (limit {MAX_PAYLOAD_BYTES})", text.len()));
    }
    serde_json::from_str(text).map_err(|e| format!("payload is not valid JSON: {e}"))
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

/// Reads a `POST /tools/invoke` reply and returns `result.details`, or says what went wrong
/// and how to fix it.
pub fn http_details(status: u16, body: &str, gateway_url: &str) -> Result<Value, String> {
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
    let v: Value = serde_json::from_str(body)
        .map_err(|_| format!("the gateway answered HTTP {status} with a body that is not JSON"))?;
    let ok = v.get("ok").and_then(Value::as_bool).unwrap_or(false);
    if !(200..300).contains(&status) || !ok {
        let err = v.get("error");
        let message = err.and_then(|e| e.get("message")).and_then(Value::as_str).unwrap_or("no message");
        let kind_ = err.and_then(|e| e.get("type")).and_then(Value::as_str).unwrap_or("error");
        return Err(format!("gateway error (HTTP {status} {kind_}): {message}"));
    }
    match v.get("result").and_then(|r| r.get("details")) {
        Some(d @ Value::Object(_)) => Ok(d.clone()),
        Some(other) => Err(format!("gateway reply: result.details is {}, expected an object", kind(other))),
        None => Err("gateway reply has no result.details".to_owned()),
    }
}

/// Whether a failed runtime invoke means the node gave no answer at all (timed out, not
/// connected, its pairing changed, or the call was aborted), from the error's code, its
/// `details.code` and its message. Anything else (a `COMMAND_ERROR`, output the gateway could
/// not read) came from a live node, whose other commands are still worth asking.
pub fn runtime_node_silent(text: &str) -> bool {
    const SILENT: [&str; 8] = [
        "TIMEOUT",
        "timed out",
        "NOT_CONNECTED",
        "not connected",
        "PAIRING_CHANGED",
        "pairing changed",
        "AbortError",
        "aborted",
    ];
    SILENT.iter().any(|s| text.contains(s))
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

/// The node's payload inside an HTTP `nodes` invoke's details.
pub fn http_invoke_payload(details: Value) -> Result<Value, String> {
    match details {
        Value::Object(mut map) => {
            if let Some(p) = map.remove("payload") {
                let size = p.to_string().len();
                if size > MAX_PAYLOAD_BYTES {
                    return Err(format!("payload too large: {size} bytes (limit {MAX_PAYLOAD_BYTES})"));
                }
                return Ok(p);
            }
            match map.remove("payloadJSON").as_ref().and_then(Value::as_str) {
                Some(text) => parse_payload(text),
                None => Err("gateway reply has no payload".to_owned()),
            }
        }
        other => Err(format!("gateway reply: details is {}, expected an object", kind(&other))),
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
        assert_eq!(http_invoke_payload(d).unwrap(), json!({"a": 1}));
    }

    #[test]
    fn only_timeouts_disconnects_and_aborts_count_as_a_silent_node() {
        for silent in [
            "UNAVAILABLE: TIMEOUT: node invoke timed out",
            "TIMEOUT: node invoke timed out",
            "NOT_CONNECTED: node not connected",
            "UNAVAILABLE: node pairing changed while invocation was active",
            "AbortError: This operation was aborted",
        ] {
            assert!(runtime_node_silent(silent), "{silent}");
        }
        for answered in ["UNAVAILABLE: COMMAND_ERROR: containerId or name required", "INVALID_REQUEST: invalid payload"]
        {
            assert!(!runtime_node_silent(answered), "{answered}");
        }
    }

    #[test]
    fn node_lists_keep_ids_and_fall_back_safely() {
        let v = json!({"nodes": [
            {"nodeId": "a", "displayName": "gpu-01", "connected": true, "commands": ["node.health"], "approvalState": "approved"},
            {"nodeId": "b", "connected": "yes", "commands": "x", "approvalState": "pending-approval"},
            {"displayName": "no id"},
            7
        ]});
        let nodes = parse_node_list(&v).unwrap();
        assert_eq!(nodes.len(), 2);
        assert_eq!((nodes[0].name.as_str(), nodes[0].connected, nodes[0].commands.len()), ("gpu-01", true, 1));
        assert_eq!((nodes[1].name.as_str(), nodes[1].connected, nodes[1].pending_approval), ("b", false, true));
    }
}

//! An operator's WebSocket client of the gateway: connects with the shared token (no device
//! identity; on loopback the gateway grants the requested operator scopes), calls methods, and
//! approves the fleet's pending node command surfaces with `node.pair.approve`.

use crate::wire::{self, Incoming};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::{sleep, timeout, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Scopes the operator asks for: reading, writing, pairing and admin (approval needs them).
pub const OPERATOR_SCOPES: [&str; 4] = ["operator.admin", "operator.read", "operator.write", "operator.pairing"];

/// A connected operator.
pub struct Operator {
    sink: SplitSink<Ws, Message>,
    stream: SplitStream<Ws>,
    next_id: u64,
    /// Events received while waiting for responses (name, payload).
    pub events: Vec<(String, Value)>,
}

impl Operator {
    /// Connects and completes the operator handshake.
    pub async fn connect(url: &str, token: &str) -> Result<Operator, String> {
        let (ws, _) = timeout(Duration::from_secs(10), tokio_tungstenite::connect_async(url))
            .await
            .map_err(|_| format!("connect to {url} timed out"))?
            .map_err(|e| format!("cannot connect to {url}: {e}"))?;
        let (sink, stream) = ws.split();
        let mut op = Operator { sink, stream, next_id: 0, events: Vec::new() };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = op.next_text(deadline).await?;
            if let Incoming::Challenge { .. } = wire::parse_incoming(&text) {
                break;
            }
        }
        let params = json!({
            "minProtocol": 4,
            "maxProtocol": 4,
            "client": {"id": "gateway-client", "version": concat!("clawsim-", env!("CARGO_PKG_VERSION")), "platform": "linux", "mode": "backend"},
            "role": "operator",
            "scopes": OPERATOR_SCOPES,
            "auth": {"token": token},
        });
        op.call("connect", params, Duration::from_secs(15)).await.map_err(|e| format!("operator connect refused: {e}"))?;
        Ok(op)
    }

    async fn next_text(&mut self, deadline: Instant) -> Result<String, String> {
        loop {
            let msg = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .map_err(|_| "timed out waiting for the gateway".to_string())?;
            match msg {
                Some(Ok(Message::Text(t))) => return Ok(t.to_string()),
                Some(Ok(Message::Close(f))) => {
                    return Err(format!("gateway closed the connection{}", f.map(|f| format!(": {}", f.reason)).unwrap_or_default()))
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(format!("socket error: {e}")),
                None => return Err("gateway closed the connection".to_string()),
            }
        }
    }

    /// Calls a gateway method and waits for its response payload.
    pub async fn call(&mut self, method: &str, params: Value, wait: Duration) -> Result<Value, String> {
        self.next_id += 1;
        let id = format!("op-{}", self.next_id);
        self.sink
            .send(Message::Text(wire::request(&id, method, params).into()))
            .await
            .map_err(|e| format!("send {method}: {e}"))?;
        let deadline = Instant::now() + wait;
        loop {
            let text = self.next_text(deadline).await.map_err(|e| format!("{method}: {e}"))?;
            let frame: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            match wire::parse_incoming(&text) {
                Incoming::Response { id: rid, ok, payload, error } if rid == id => {
                    return if ok { Ok(payload) } else { Err(wire::describe_error(&error)) };
                }
                Incoming::OtherEvent(name) => {
                    self.events.push((name, frame.get("payload").cloned().unwrap_or(Value::Null)));
                    if self.events.len() > 1000 {
                        self.events.drain(..500);
                    }
                }
                _ => {}
            }
        }
    }

    /// Approves pending node surfaces until every node in `expect` (ids) is connected with a
    /// non-empty command list, or `wait` runs out. Returns the request ids it approved.
    pub async fn approve_fleet(&mut self, expect: &BTreeSet<String>, wait: Duration) -> Result<Vec<String>, String> {
        let deadline = Instant::now() + wait;
        let mut approved = Vec::new();
        loop {
            let pairing = self.call("node.pair.list", json!({}), Duration::from_secs(10)).await?;
            let pending = pairing.get("pending").and_then(Value::as_array).cloned().unwrap_or_default();
            for request in pending {
                let node_id = request.get("nodeId").and_then(Value::as_str).unwrap_or("");
                let Some(request_id) = request.get("requestId").and_then(Value::as_str) else { continue };
                if !expect.is_empty() && !expect.contains(node_id) {
                    continue;
                }
                match self.call("node.pair.approve", json!({"requestId": request_id}), Duration::from_secs(10)).await {
                    Ok(_) => approved.push(request_id.to_string()),
                    Err(e) => crate::log(&format!("approve {request_id} ({node_id}) failed: {e}")),
                }
            }
            let ready = self.ready_nodes().await?;
            if expect.iter().all(|id| ready.contains(id)) && (!expect.is_empty() || !approved.is_empty()) {
                return Ok(approved);
            }
            if Instant::now() >= deadline {
                let missing: Vec<&String> = expect.iter().filter(|id| !ready.contains(*id)).collect();
                return Err(format!("timed out: {} node(s) not connected with approved commands: {missing:?}", missing.len()));
            }
            sleep(Duration::from_millis(300)).await;
        }
    }

    /// Ids of nodes `node.list` shows connected with a non-empty command list.
    pub async fn ready_nodes(&mut self) -> Result<BTreeSet<String>, String> {
        let list = self.call("node.list", json!({}), Duration::from_secs(10)).await?;
        Ok(list
            .get("nodes")
            .and_then(Value::as_array)
            .map(|nodes| {
                nodes
                    .iter()
                    .filter(|n| n.get("connected") == Some(&Value::Bool(true)))
                    .filter(|n| n.get("commands").and_then(Value::as_array).is_some_and(|c| !c.is_empty()))
                    .filter_map(|n| n.get("nodeId").and_then(Value::as_str).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default())
    }
}

//! An operator's WebSocket client of the gateway: connects with the shared token (no device
//! identity; on loopback the gateway grants the requested operator scopes), calls methods, and
//! approves the fleet's pending node command surfaces with `node.pair.approve`.

use crate::wire::{self, GatewayError, Incoming};
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

/// Approvals sent to the gateway at a time (it answers each after a state-store write).
const APPROVALS_IN_FLIGHT: usize = 16;

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
        op.call("connect", params, Duration::from_secs(15))
            .await
            .map_err(|e| format!("operator connect refused: {e}"))?;
        Ok(op)
    }

    /// Connects, trying again with back-off (0.25 s doubling to 5 s) until `deadline` while
    /// the gateway is unreachable or busy (HTTP 503 while hundreds of nodes hand-shake).
    pub async fn connect_retrying(url: &str, token: &str, deadline: Instant) -> Result<Operator, String> {
        let mut pause = Duration::from_millis(250);
        loop {
            match Operator::connect(url, token).await {
                Ok(op) => return Ok(op),
                Err(e) if Instant::now() + pause >= deadline => return Err(e),
                Err(e) => crate::log(&format!("operator: {e}; retrying")),
            }
            sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(5));
        }
    }

    async fn next_text(&mut self, deadline: Instant) -> Result<String, String> {
        loop {
            let msg = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .map_err(|_| "timed out waiting for the gateway".to_string())?;
            match msg {
                Some(Ok(Message::Text(t))) => return Ok(t.to_string()),
                Some(Ok(Message::Close(f))) => {
                    return Err(format!(
                        "gateway closed the connection{}",
                        f.map(|f| format!(": {}", f.reason)).unwrap_or_default()
                    ))
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(format!("socket error: {e}")),
                None => return Err("gateway closed the connection".to_string()),
            }
        }
    }

    /// Calls a gateway method and waits for its response payload; a refusal becomes its
    /// one-line summary.
    pub async fn call(&mut self, method: &str, params: Value, wait: Duration) -> Result<Value, String> {
        self.request(method, params, wait).await?.map_err(|e| e.to_string())
    }

    /// Calls a gateway method: `Err` when no answer came (socket, timeout), `Ok(Err)` when the
    /// gateway refused.
    pub async fn request(
        &mut self,
        method: &str,
        params: Value,
        wait: Duration,
    ) -> Result<Result<Value, GatewayError>, String> {
        let mut answers = self.request_many(method, vec![params], 1, wait).await?;
        answers.pop().ok_or_else(|| format!("{method}: no answer"))
    }

    /// Calls `method` once per params, keeping up to `in_flight` requests open at a time, and
    /// returns the answers in the order of `params`. `wait` bounds each request.
    pub async fn request_many(
        &mut self,
        method: &str,
        params: Vec<Value>,
        in_flight: usize,
        wait: Duration,
    ) -> Result<Vec<Result<Value, GatewayError>>, String> {
        let total = params.len();
        let mut answers: Vec<Option<Result<Value, GatewayError>>> = (0..total).map(|_| None).collect();
        let mut queue = params.into_iter().enumerate();
        let mut open: std::collections::HashMap<String, (usize, Instant)> = std::collections::HashMap::new();
        let mut done = 0;
        while done < total {
            while open.len() < in_flight.max(1) {
                let Some((index, p)) = queue.next() else { break };
                self.next_id += 1;
                let id = format!("op-{}", self.next_id);
                self.sink
                    .send(Message::Text(wire::request(&id, method, p).into()))
                    .await
                    .map_err(|e| format!("send {method}: {e}"))?;
                open.insert(id, (index, Instant::now() + wait));
            }
            let deadline = open.values().map(|(_, d)| *d).min().unwrap_or_else(|| Instant::now() + wait);
            let text = self.next_text(deadline).await.map_err(|e| format!("{method}: {e}"))?;
            match wire::parse_incoming(&text) {
                Incoming::Response { id, ok, payload, error } => {
                    if let Some((index, _)) = open.remove(&id) {
                        if let Some(slot) = answers.get_mut(index) {
                            *slot = Some(if ok { Ok(payload) } else { Err(GatewayError::from_value(&error)) });
                        }
                        done += 1;
                    }
                }
                Incoming::OtherEvent(name) => {
                    let frame: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                    self.events.push((name, frame.get("payload").cloned().unwrap_or(Value::Null)));
                    if self.events.len() > 1000 {
                        self.events.drain(..500);
                    }
                }
                _ => {}
            }
        }
        answers.into_iter().map(|a| a.ok_or_else(|| format!("{method}: no answer"))).collect()
    }

    /// Approves pending node surfaces until every node in `expect` (ids) is connected with a
    /// non-empty command list, or `deadline` passes. Adds the request ids it approved to
    /// `approved`.
    pub async fn approve_fleet(
        &mut self,
        expect: &BTreeSet<String>,
        deadline: Instant,
        approved: &mut Vec<String>,
    ) -> Result<(), String> {
        loop {
            let pairing = self.call("node.pair.list", json!({}), Duration::from_secs(10)).await?;
            let pending = pairing.get("pending").and_then(Value::as_array).cloned().unwrap_or_default();
            let ours: Vec<(String, String)> = pending
                .iter()
                .filter_map(|r| {
                    let node_id = r.get("nodeId").and_then(Value::as_str)?;
                    let request_id = r.get("requestId").and_then(Value::as_str)?;
                    (expect.is_empty() || expect.contains(node_id))
                        .then(|| (node_id.to_string(), request_id.to_string()))
                })
                .collect();
            let params = ours.iter().map(|(_, r)| json!({"requestId": r})).collect();
            let answers =
                self.request_many("node.pair.approve", params, APPROVALS_IN_FLIGHT, Duration::from_secs(30)).await?;
            for ((node_id, request_id), answer) in ours.into_iter().zip(answers) {
                match answer {
                    Ok(_) => approved.push(request_id),
                    Err(e) => crate::log(&format!("approve {request_id} ({node_id}) failed: {e}")),
                }
            }
            let ready = self.ready_nodes().await?;
            if expect.iter().all(|id| ready.contains(id)) && (!expect.is_empty() || !approved.is_empty()) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                let missing: Vec<&String> = expect.iter().filter(|id| !ready.contains(*id)).collect();
                return Err(format!("{} node(s) not connected with approved commands: {missing:?}", missing.len()));
            }
            sleep(Duration::from_millis(300)).await;
        }
    }

    /// Tries to approve the pending device pairing requests (`device.pair.list`,
    /// `device.pair.approve`) of the devices in `devices` (ids), as an operator would for nodes
    /// the gateway answers `NOT_PAIRED`. One entry per request found, with the gateway's answer:
    /// OpenClaw 2026.9.6 refuses a node that asked for `scopes: ["node"]` with
    /// `invalid scope for requested roles: node`.
    pub async fn approve_devices(&mut self, devices: &BTreeSet<String>) -> Result<Vec<DeviceApproval>, String> {
        let list = self.call("device.pair.list", json!({}), Duration::from_secs(10)).await?;
        let mut out = Vec::new();
        for request in list.get("pending").and_then(Value::as_array).into_iter().flatten() {
            let device_id = request.get("deviceId").and_then(Value::as_str).unwrap_or("");
            let Some(request_id) = request.get("requestId").and_then(Value::as_str) else { continue };
            if !devices.contains(device_id) {
                continue;
            }
            let answer =
                self.request("device.pair.approve", json!({"requestId": request_id}), Duration::from_secs(10)).await?;
            out.push(DeviceApproval {
                device_id: device_id.to_string(),
                request_id: request_id.to_string(),
                outcome: answer.map(|_| ()),
            });
        }
        Ok(out)
    }

    /// Ids of nodes `node.list` shows connected and approved: `approvalState: "approved"`
    /// (OpenClaw 2026.9.6 says `pending-approval`, `pending-reapproval` or `unapproved`
    /// otherwise), or, from a gateway that gives no approval state, a non-empty command list.
    /// An approved node may have no commands at all when the allowlist grants none.
    pub async fn ready_nodes(&mut self) -> Result<BTreeSet<String>, String> {
        let list = self.call("node.list", json!({}), Duration::from_secs(10)).await?;
        Ok(list
            .get("nodes")
            .and_then(Value::as_array)
            .map(|nodes| {
                nodes
                    .iter()
                    .filter(|n| n.get("connected") == Some(&Value::Bool(true)))
                    .filter(|n| match n.get("approvalState").and_then(Value::as_str) {
                        Some(state) => state == "approved",
                        None => n.get("commands").and_then(Value::as_array).is_some_and(|c| !c.is_empty()),
                    })
                    .filter_map(|n| n.get("nodeId").and_then(Value::as_str).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default())
    }
}

/// One device pairing request and what the gateway said to its approval.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceApproval {
    pub device_id: String,
    pub request_id: String,
    pub outcome: Result<(), GatewayError>,
}

/// Approves the fleet's pending node surfaces (see [`Operator::approve_fleet`]) within `wait`,
/// connecting again whenever the operator connection fails or is refused: a gateway busy with
/// hundreds of node handshakes answers new sockets with HTTP 503 for a while. Returns the
/// request ids approved.
pub async fn approve_with_retries(
    url: &str,
    token: &str,
    expect: &BTreeSet<String>,
    wait: Duration,
) -> Result<Vec<String>, String> {
    let deadline = Instant::now() + wait;
    let mut approved = Vec::new();
    loop {
        let error = match Operator::connect_retrying(url, token, deadline).await {
            Ok(mut op) => match op.approve_fleet(expect, deadline, &mut approved).await {
                Ok(()) => return Ok(approved),
                Err(e) => e,
            },
            Err(e) => e,
        };
        if Instant::now() >= deadline {
            return Err(format!("approval not finished in {} s: {error}", wait.as_secs()));
        }
        crate::log(&format!("approval: {error}; retrying"));
        sleep(Duration::from_millis(500)).await;
    }
}

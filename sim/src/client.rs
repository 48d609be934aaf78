//! The connection loop of one simulated node: connect, answer the challenge, serve invokes one
//! at a time, send heartbeats, and reconnect with back-off when the gateway goes away.

use crate::clock::now_ms;
use crate::identity::Identity;
use crate::latency::Latency;
use crate::node::{Node, Reply};
use crate::wire::{self, GatewayError, Hello, Incoming, InvokeRequest};
use futures_util::{SinkExt, StreamExt};
use rand::{Rng, SeedableRng};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, Semaphore};
use tokio::time::{sleep, sleep_until, timeout, Instant};
use tokio_tungstenite::tungstenite::Message;

/// What the fleet supervisor hears from a node task.
#[derive(Debug, Clone)]
pub enum Event {
    /// The gateway accepted the connect (`hello-ok`).
    Connected { name: String, node_id: String },
    /// The connection ended; `reason` says why.
    Disconnected { name: String, node_id: String, reason: String },
    /// The gateway answered the connect with an error (`attempt` counts tries since the last
    /// successful connect).
    Refused { name: String, node_id: String, error: GatewayError, attempt: u32 },
    /// The connection could not be set up: TCP, the HTTP upgrade (the gateway answers 503 past
    /// 32 unauthenticated sockets per address), no challenge, no answer in time.
    Unreachable { name: String, node_id: String, error: String, attempt: u32 },
    /// One invoke was served.
    Served { name: String, command: String, ok: bool, ms: u64 },
}

/// A live change to one node, from the control channel (stdin).
#[derive(Debug, Clone, PartialEq)]
pub enum Control {
    /// Close the connection now; come back after `secs` (or on `Reconnect`, or never).
    Disconnect { name: String, secs: Option<f64> },
    /// Come back now, if away because of a `Disconnect` or a timed fault.
    Reconnect { name: String },
}

/// How one node connects.
#[derive(Clone)]
pub struct Settings {
    /// The node's unique name (events, control lines).
    pub name: String,
    pub url: String,
    pub hello: Hello,
    /// `client.instanceId` in the current mode; legacy modes draw a fresh uuid per connect,
    /// as clawnode does.
    pub instance_id: String,
    /// Shared by every node of the process: a permit is held from the TCP connect until the
    /// gateway answers the connect. All simulated nodes come from one address, and the gateway
    /// refuses (HTTP 503) more than 32 unauthenticated sockets per address; real nodes each
    /// have their own address.
    pub handshakes: Arc<Semaphore>,
    pub latency: Latency,
    pub heartbeat: Duration,
    /// Timed fault: drop the connection at this instant.
    pub disconnect_at: Option<Instant>,
    /// Timed fault: stay away this long (None: until told to reconnect).
    pub reconnect_after: Option<Duration>,
    /// Print every served invoke.
    pub verbose: bool,
}

/// Why a connection could not be set up.
enum Failure {
    /// The gateway answered the connect with an error.
    Refused(GatewayError),
    /// No answer from the gateway (TCP, HTTP, timeouts).
    Unreachable(String),
}

enum End {
    /// The socket closed or failed; reconnect with back-off.
    Lost(String),
    /// Told to go away (fault or control); wait this long (None: until told).
    Away(Option<Duration>, String),
}

/// Runs a node until the process ends.
pub async fn run(
    node: Arc<Mutex<Node>>,
    identity: Arc<Identity>,
    mut settings: Settings,
    events: mpsc::UnboundedSender<Event>,
    mut control: broadcast::Receiver<Control>,
) {
    let name = settings.name.clone();
    let node_id = identity.device_id.clone();
    let mut rng = rand::rngs::StdRng::from_entropy();
    let mut failures: u32 = 0;
    let legacy = settings.hello.wire.is_legacy();
    loop {
        let end = match session(&node, &identity, &mut settings, &events, &mut control, &mut rng).await {
            Ok(end) => {
                failures = 0;
                end
            }
            Err(failure) => {
                failures = failures.saturating_add(1);
                let (name, node_id, attempt) = (name.clone(), node_id.clone(), failures);
                let reason = match failure {
                    Failure::Refused(error) => {
                        let reason = error.to_string();
                        let _ = events.send(Event::Refused { name, node_id, error, attempt });
                        reason
                    }
                    Failure::Unreachable(error) => {
                        let _ = events.send(Event::Unreachable { name, node_id, error: error.clone(), attempt });
                        error
                    }
                };
                End::Lost(reason)
            }
        };
        match end {
            End::Lost(reason) => {
                if failures == 0 {
                    let _ = events.send(Event::Disconnected { name: name.clone(), node_id: node_id.clone(), reason });
                }
                let wait = if legacy {
                    // clawnode: a fixed delay after whatever ended the connection
                    wire::CLAWNODE_RECONNECT_SECS * 1000
                } else {
                    // exponential back-off with jitter: 0.5 s, 1 s, 2 s … capped at 10 s
                    let base = 500u64.saturating_mul(1u64 << failures.min(5)).min(10_000);
                    base / 2 + rng.gen_range(0..=base / 2)
                };
                if wait_or_control(Some(Duration::from_millis(wait)), &name, &mut control).await {
                    failures = 0;
                }
            }
            End::Away(wait, reason) => {
                let _ = events.send(Event::Disconnected { name: name.clone(), node_id: node_id.clone(), reason });
                wait_or_control(wait, &name, &mut control).await;
            }
        }
    }
}

/// Sleeps for `wait` (forever when None), cut short by a `Reconnect` for this node.
/// Returns true when cut short.
async fn wait_or_control(wait: Option<Duration>, name: &str, control: &mut broadcast::Receiver<Control>) -> bool {
    let deadline = wait.map(|w| Instant::now() + w);
    loop {
        let recv = control.recv();
        let outcome = match deadline {
            Some(d) => tokio::select! {
                _ = sleep_until(d) => return false,
                c = recv => c,
            },
            None => recv.await,
        };
        match outcome {
            Ok(Control::Reconnect { name: n }) if n == name => return true,
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => {
                if let Some(d) = deadline {
                    sleep_until(d).await;
                    return false;
                }
                std::future::pending::<()>().await;
            }
        }
    }
}

/// One connection, from the TCP connect to its end. `Err` when the connect itself failed.
async fn session(
    node: &Arc<Mutex<Node>>,
    identity: &Arc<Identity>,
    settings: &mut Settings,
    events: &mpsc::UnboundedSender<Event>,
    control: &mut broadcast::Receiver<Control>,
    rng: &mut rand::rngs::StdRng,
) -> Result<End, Failure> {
    let name = settings.name.clone();
    let permit = settings.handshakes.clone().acquire_owned().await.ok();
    let (ws, _) = timeout(Duration::from_secs(10), tokio_tungstenite::connect_async(settings.url.as_str()))
        .await
        .map_err(|_| Failure::Unreachable(format!("connect to {} timed out", settings.url)))?
        .map_err(|e| Failure::Unreachable(format!("cannot connect to {}: {e}", settings.url)))?;
    let (mut sink, mut stream) = ws.split();

    // 1. challenge → signed connect → hello-ok
    let nonce = timeout(Duration::from_secs(10), async {
        while let Some(msg) = stream.next().await {
            if let Ok(Message::Text(t)) = msg {
                if let Incoming::Challenge { nonce } = wire::parse_incoming(&t) {
                    return Some(nonce);
                }
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
    .ok_or_else(|| Failure::Unreachable("the gateway sent no connect.challenge".to_string()))?;
    let connect_id = crate::uuid_v4(rng);
    let instance_id = if settings.hello.wire.is_legacy() { crate::uuid_v4(rng) } else { settings.instance_id.clone() };
    let params = wire::connect_params(&settings.hello, identity, &nonce, now_ms(), &instance_id);
    sink.send(Message::Text(wire::request(&connect_id, "connect", params).into()))
        .await
        .map_err(|e| Failure::Unreachable(format!("send connect: {e}")))?;
    let hello = timeout(Duration::from_secs(15), async {
        while let Some(msg) = stream.next().await {
            match msg {
                Ok(Message::Text(t)) => {
                    if let Incoming::Response { id, ok, error, .. } = wire::parse_incoming(&t) {
                        if id == connect_id {
                            return if ok { Ok(()) } else { Err(Failure::Refused(GatewayError::from_value(&error))) };
                        }
                    }
                }
                Ok(Message::Close(frame)) => {
                    let reason = frame.map(|f| f.reason.to_string()).unwrap_or_default();
                    return Err(Failure::Unreachable(format!("closed during connect: {reason}")));
                }
                Ok(_) => {}
                Err(e) => return Err(Failure::Unreachable(format!("socket error during connect: {e}"))),
            }
        }
        Err(Failure::Unreachable("closed during connect".to_string()))
    })
    .await
    .map_err(|_| Failure::Unreachable("no answer to connect in 15 s".to_string()))?;
    drop(permit);
    hello?;
    let node_id = identity.device_id.clone();
    let _ = events.send(Event::Connected { name: name.clone(), node_id: node_id.clone() });

    // 2. serve: a writer channel, an invoke worker (one at a time), heartbeats, faults, control.
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<String>();
    let (inv_tx, inv_rx) = mpsc::unbounded_channel::<InvokeRequest>();
    let worker = tokio::spawn(serve_invokes(
        node.clone(),
        node_id.clone(),
        name.clone(),
        settings.latency.clone(),
        settings.verbose,
        inv_rx,
        out_tx.clone(),
        events.clone(),
    ));
    // clawnode's heartbeat interval ticks at once after connect; the current mode waits one period
    let first_beat = if settings.hello.wire.is_legacy() { Instant::now() } else { Instant::now() + settings.heartbeat };
    let mut heartbeat = tokio::time::interval_at(first_beat, settings.heartbeat);
    let far = Instant::now() + Duration::from_secs(86_400 * 365);
    let end = loop {
        let disconnect_at = settings.disconnect_at.unwrap_or(far);
        tokio::select! {
            Some(text) = out_rx.recv() => {
                if let Err(e) = sink.send(Message::Text(text.into())).await {
                    break End::Lost(format!("send failed: {e}"));
                }
            }
            msg = stream.next() => match msg {
                Some(Ok(Message::Text(t))) => match wire::parse_incoming(&t) {
                    Incoming::Invoke(req) => { let _ = inv_tx.send(req); }
                    Incoming::Response { ok: false, error, .. } => {
                        crate::log(&format!("{name}: gateway refused a request: {}", wire::describe_error(&error)));
                    }
                    _ => {}
                },
                Some(Ok(Message::Close(frame))) => {
                    break End::Lost(format!("gateway closed the connection{}", frame.map(|f| format!(": {} {}", f.code, f.reason)).unwrap_or_default()));
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => break End::Lost(format!("socket error: {e}")),
                None => break End::Lost("gateway closed the connection".to_string()),
            },
            _ = heartbeat.tick() => {
                let frame = wire::request(&crate::uuid_v4(rng), "node.event", wire::heartbeat(&node_id));
                if let Err(e) = sink.send(Message::Text(frame.into())).await {
                    break End::Lost(format!("send failed: {e}"));
                }
            }
            _ = sleep_until(disconnect_at) => {
                settings.disconnect_at = None;
                break End::Away(settings.reconnect_after, "fault: disconnect_after_secs".to_string());
            }
            c = control.recv() => {
                if let Ok(Control::Disconnect { name: n, secs }) = c {
                    if n == name {
                        break End::Away(secs.map(Duration::from_secs_f64), "control: disconnect".to_string());
                    }
                }
            }
        }
    };
    worker.abort();
    let _ = sink.send(Message::Close(None)).await;
    let _ = sink.close().await;
    Ok(end)
}

/// Serves invokes in arrival order, one at a time, each after a latency draw.
#[allow(clippy::too_many_arguments)]
async fn serve_invokes(
    node: Arc<Mutex<Node>>,
    node_id: String,
    name: String,
    latency: Latency,
    verbose: bool,
    mut inbox: mpsc::UnboundedReceiver<InvokeRequest>,
    out: mpsc::UnboundedSender<String>,
    events: mpsc::UnboundedSender<Event>,
) {
    let mut rng = rand::rngs::StdRng::from_entropy();
    let mut seq: u64 = 0;
    while let Some(req) = inbox.recv().await {
        let started = Instant::now();
        sleep(Duration::from_millis(latency.sample(&mut rng))).await;
        let reply = match req.params {
            Ok(params) => match node.lock() {
                Ok(mut n) => n.handle(&req.command, params, now_ms()),
                Err(_) => Reply::Error("simulator state poisoned".to_string()),
            },
            Err(e) => Reply::Error(e),
        };
        let ok = !matches!(reply, Reply::Error(_));
        seq += 1;
        let frame =
            wire::request(&format!("res-{seq}"), "node.invoke.result", wire::invoke_result(&req.id, &node_id, &reply));
        if out.send(frame).is_err() {
            return;
        }
        let ms = started.elapsed().as_millis() as u64;
        if verbose {
            let _ = events.send(Event::Served { name: name.clone(), command: req.command.clone(), ok, ms });
        }
    }
}
